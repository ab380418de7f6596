/**
 * What a `--report` shows, decided once for both of its renderers (report.ts writes it as Markdown,
 * report-html.ts as HTML): whose node and when; per network its chain as links in chain order with
 * the first broken one and the links after it marked, the verdict in words, the broken link's
 * evidence and fix; over several hosts a row per host, the cross-host findings and each broken host's
 * network with the instances it served. No verdict is computed here: they are the NetworkReport's and
 * fleet/verdict.ts's. Every text from evidence is made printable (control characters as \xNN, newlines
 * as spaces) and cut here, the same for both; each renderer only escapes it for its own format.
 */
import {chainFor} from '../chains/registry.js'
import type {AffectedInstance, Finding, Fix, NetworkReport, Status, Verdict} from '../chains/types.js'
import type {FleetReport} from '../fleet/types.js'
import {fleetBroken, fleetNotJudged} from '../fleet/verdict.js'
import {printable} from './findings.js'

export interface ReportHeader {
  /** the node the evidence is from (a snapshot's own), or the hosts asked */
  host: string
  /** when the evidence was taken */
  takenAt: string
  /** the tool that collected it (a snapshot's own) */
  collectedBy?: string
  /** this tool, which judged it */
  judgedBy: string
  /** diagnose --server/--port/--ip: the instance started from, in words (its port, address, host, lease) */
  instance?: string
}

/** How long each kind of text from evidence may be in a report (longer is cut, saying so). */
export const CUT = {
  cell: 300,
  evidence: 1000,
  fix: 2000,
  host: 200,
  linkSummary: 120,
  summary: 2000,
  word: 60,
} as const

/** Text from a node or a snapshot as a report shows it: printable, one line, cut at `max`. */
export const shown = (text: string, max: number) => printable(text, max)

/** A piece of the verdict sentence: prose, or a name (a check id, a host: from evidence, so escaped) shown as code. */
export type Words = ({text: string} | {id: string})[]

/** One link of the chain as the picture draws it. */
export interface Link {
  id: string
  status: Status
  /** the first link that failed: the verdict */
  broken: boolean
  /** after the broken link: moot, drawn on a dotted line */
  afterBroken: boolean
  /** a skip that left the link unjudged (Finding.unjudged) */
  unjudged: boolean
  /** the finding's summary, printable, cut at CUT.linkSummary */
  summary: string
}

export interface NetworkView {
  network: string
  /** the chain as the report names it: its label (`ML2/OVN`), else its backend (`dhcp-agent`) */
  chain: string
  verdict: Verdict
  /** the verdict in a word or three: `healthy`, `broken`, `not judged`, `3 of 16 checks run` */
  word: string
  /** the verdict explained, after its word (`broken`: the first broken link is `ID`) */
  words: Words
  links: Link[]
  /** the first link that failed, with its evidence lines cut at CUT.evidence */
  first?: {finding: Finding; summary: string; evidence: string[]}
  /** every finding, in chain order */
  findings: Finding[]
}

export interface HostRow {
  host: string
  /** `not inspected` for a host that gave no evidence, else its verdict */
  state: Verdict | 'not inspected'
  /** why it was not inspected */
  error?: string
  /** its first broken link */
  first?: Finding
  /** its first link left unjudged, when none is broken */
  unjudged?: Finding
}

export interface FleetView {
  network: string
  verdict: 'broken' | 'not-judged' | 'healthy'
  /** the verdict in words: `not judged`... */
  word: string
  /** which hosts it rests on: broken on H, a cross-host check failing, not inspected or not judged on H */
  words: Words
  hosts: HostRow[]
  /** the cross-host findings that fail or warn */
  cross: Finding[]
  /** each reachable broken host: its network drawn in full, and the instances that leased from it */
  broken: {host: string; view: NetworkView; affected: AffectedInstance[]}[]
}

export type ReportModel =
  | {kind: 'networks'; header: ReportHeader; judgedAt: string; networks: NetworkView[]}
  | {kind: 'fleet'; header: ReportHeader; judgedAt: string; fleets: FleetView[]}

/** The chain's name in words (the registry's label), the backend's name when it has none. */
const chainLabel = (backend: string) => chainFor(backend)?.label ?? backend

function verdictWords(r: NetworkReport, first: Finding | undefined): Words {
  switch (r.verdict) {
    case 'broken':
      return [{text: 'the first broken link is '}, {id: first?.id ?? ''}]
    case 'not-judged':
      return [
        {text: 'no link found broken, but '},
        ...(r.unjudged ?? []).flatMap((id, i): Words => [...(i > 0 ? [{text: ', '}] : []), {id}]),
        {text: ' could not be judged'},
      ]
    case 'checks-pass':
      return [{text: 'each passes (no verdict on the rest of the chain)'}]
    case 'healthy':
      return [{text: 'every link of the chain was judged, none is broken'}]
  }
}

/** One network's report as the picture, the verdict and the broken link show it. */
export function networkView(r: NetworkReport): NetworkView {
  const firstAt = r.findings.findIndex((f) => f.status === 'fail')
  const first = firstAt < 0 ? undefined : r.findings[firstAt]
  const links = r.findings.map(
    (f, i): Link => ({
      afterBroken: firstAt >= 0 && i > firstAt,
      broken: i === firstAt,
      id: f.id,
      status: f.status,
      summary: shown(f.summary, CUT.linkSummary),
      unjudged: f.unjudged === true,
    }),
  )
  return {
    chain: chainLabel(r.backend),
    findings: r.findings,
    first: first && {evidence: first.evidence.map((e) => shown(e, CUT.evidence)), finding: first, summary: shown(first.summary, CUT.summary)},
    links,
    network: r.network,
    verdict: r.verdict,
    word: r.verdict === 'checks-pass' ? `${r.ran?.checks} of ${r.ran?.of} checks run` : r.verdict === 'not-judged' ? 'not judged' : r.verdict,
    words: verdictWords(r, first),
  }
}

function fleetView(r: FleetReport): FleetView {
  const hosts = r.hosts.map(
    (h): HostRow =>
      h.reachable
        ? {
            first: h.findings.find((f) => f.status === 'fail'),
            host: h.host,
            state: h.verdict ?? 'not-judged',
            unjudged: h.findings.find((f) => f.unjudged),
          }
        : {error: h.error ?? 'no evidence', host: h.host, state: 'not inspected'},
  )
  const broken = r.hosts
    .filter((h) => h.reachable && h.verdict === 'broken')
    .map((h) => ({
      affected: h.affected ?? [],
      host: h.host,
      view: networkView({
        backend: h.backend ?? 'dhcp-agent',
        findings: h.findings,
        healthy: false,
        layout: h.layout ?? 'neutron',
        network: r.network,
        verdict: 'broken',
      }),
    }))
  const verdict = fleetBroken(r) ? 'broken' : fleetNotJudged(r) ? 'not-judged' : 'healthy'
  const named = (what: string, names: string[]): Words =>
    names.length === 0 ? [] : [{text: `${what} on `}, ...names.flatMap((id, i): Words => [...(i > 0 ? [{text: ', '}] : []), {id}])]
  const because = [
    named(
      'a link broken',
      broken.map((b) => b.host),
    ),
    r.cross.some((f) => f.status === 'fail') ? [{text: 'a check across hosts fails'}] : [],
    named(
      'not inspected',
      hosts.filter((h) => h.state === 'not inspected').map((h) => h.host),
    ),
    named(
      'a link not judged',
      hosts.filter((h) => h.state === 'not-judged').map((h) => h.host),
    ),
  ].filter((w) => w.length > 0)
  return {
    broken,
    cross: r.cross.filter((f) => f.status === 'fail' || f.status === 'warn'),
    hosts,
    network: r.network,
    verdict,
    word: verdict === 'not-judged' ? 'not judged' : verdict,
    words:
      verdict === 'healthy'
        ? [{text: 'every link judged on every host, none broken'}]
        : because.flatMap((w, i): Words => [...(i > 0 ? [{text: '; '}] : []), ...w]),
  }
}

/** One host's networks (this node, a snapshot, a sosreport). */
export const networksModel = (header: ReportHeader, reports: readonly NetworkReport[]): ReportModel => ({
  header,
  judgedAt: new Date().toISOString(),
  kind: 'networks',
  networks: reports.map(networkView),
})

/** One network, or every network, over several hosts (--host, --hosts-from-api, several snapshots). */
export const fleetModel = (header: ReportHeader, fleets: readonly FleetReport[]): ReportModel => ({
  fleets: fleets.map(fleetView),
  header,
  judgedAt: new Date().toISOString(),
  kind: 'fleet',
})

/** A fix's steps in order: the fix, then its alternative. */
export const fixSteps = (fix: Fix) => [fix, ...(fix.alternative ? [fix.alternative] : [])]
