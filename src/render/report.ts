/**
 * `diagnose ... --report FILE.md`: a report for the ticket. Whose node, when, by which version; the
 * chain drawn link by link from the instance to Nova with the broken link marked; the verdict; the
 * first broken link with its evidence and fix; every finding; on several hosts, each host and the
 * instances that leased from a broken one. Markdown, so it pastes into a ticket or a wiki as is.
 */
import {chainFor} from '../chains/registry.js'
import type {Finding, Fix, FixStep, NetworkReport} from '../chains/types.js'
import {isConfigFix} from '../chains/types.js'
import type {FleetReport, HostReport} from '../fleet/types.js'
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
}

const MARK: Record<Finding['status'], string> = {fail: '✘', pass: '✔', skip: '·', warn: '!'}

/** Text from evidence inside a Markdown code block: printable, and no line that closes the block. */
const inBlock = (text: string, max = 1000) => printable(text, max).replaceAll('```', "'''")
/** Text from evidence in a table cell or a line: printable, no pipe or backtick that breaks the Markdown. */
const inline = (text: string, max = 300) => printable(text, max).replaceAll('|', '\\|').replaceAll('`', "'")

function fixText(fix: Fix): string[] {
  const step = (f: FixStep, lead: string): string[] =>
    isConfigFix(f) ? [`${lead}# in ${f.file} [${f.section}]:`, f.set, `# ${f.why}`] : [`${lead}${f.command}`, `# ${f.why}`]
  return [...step(fix, ''), ...(fix.alternative ? ['# or:', ...step(fix.alternative, '')] : [])].map((l) => inBlock(l, 2000))
}

/** The chain as a picture: one box per link in chain order, the first broken one marked. */
export function chainPicture(r: NetworkReport): string[] {
  const first = r.findings.find((f) => f.status === 'fail')
  const label = chainFor(r.backend)?.label ?? r.backend
  const width = Math.max(...r.findings.map((f) => f.id.length), 10)
  const out = [`  instance: GET http://169.254.169.254/   (${label})`, '      │']
  for (const f of r.findings) {
    const note = f === first ? `  ◀── BROKEN: ${inBlock(f.summary, 120)}` : f.status === 'skip' ? `  (${inBlock(f.summary, 80)})` : ''
    out.push(`  [${MARK[f.status]}] ${f.id.padEnd(width)}${note}`)
    out.push(f.status === 'fail' || (first && r.findings.indexOf(f) > r.findings.indexOf(first)) ? '      ┆' : '      │')
  }
  out.push('  Nova metadata API')
  return out
}

function verdictLine(r: NetworkReport): string {
  switch (r.verdict) {
    case 'broken':
      return `**broken**: the first broken link is \`${r.findings.find((f) => f.status === 'fail')?.id}\``
    case 'not-judged':
      return `**not judged**: no link found broken, but ${r.unjudged?.map((id) => `\`${id}\``).join(', ')} could not be judged`
    case 'checks-pass':
      return `**${r.ran?.checks} of ${r.ran?.of} checks run**, each passes (no verdict on the rest of the chain)`
    case 'healthy':
      return '**healthy**: every link of the chain was judged, none is broken'
  }
}

function findingsTable(findings: readonly Finding[]): string[] {
  return ['| | check | finding |', '|---|---|---|', ...findings.map((f) => `| ${MARK[f.status]} ${f.status} | \`${f.id}\` | ${inline(f.summary)} |`)]
}

function networkSection(r: NetworkReport, level: string): string[] {
  const out = [`${level} Network \`${r.network}\``, '', verdictLine(r), '', '```', ...chainPicture(r), '```', '']
  const first = r.findings.find((f) => f.status === 'fail')
  if (first) {
    out.push(`${level}# The broken link: \`${first.id}\``, '', inline(first.summary, 2000), '')
    if (first.evidence.length > 0) out.push('Evidence:', '', '```', ...first.evidence.map((e) => inBlock(e)), '```', '')
    if (first.fix) out.push('Fix (run on the node; the reason after `#`):', '', '```sh', ...fixText(first.fix), '```', '')
  }
  out.push(`${level}# Every check`, '', ...findingsTable(r.findings), '')
  return out
}

function header(h: ReportHeader): string[] {
  return [
    '# quantum-meta: the metadata chain',
    '',
    `- host: \`${inline(h.host, 200)}\``,
    `- evidence taken: ${inline(h.takenAt, 60)}${h.collectedBy ? ` by ${inline(h.collectedBy, 60)}` : ''}`,
    `- judged by: ${h.judgedBy}, ${new Date().toISOString()}`,
    '',
  ]
}

/** One host's networks (this node, a snapshot, a sosreport). */
export function reportOfNetworks(h: ReportHeader, reports: readonly NetworkReport[]): string {
  const out = header(h)
  if (reports.length > 1) {
    out.push('| network | verdict |', '|---|---|', ...reports.map((r) => `| \`${r.network}\` | ${r.verdict} |`), '')
  }
  for (const r of reports) out.push(...networkSection(r, '##'))
  return `${out.join('\n')}\n`
}

function hostRow(h: HostReport): string {
  if (!h.reachable) return `| \`${inline(h.host, 100)}\` | not inspected | ${inline(h.error ?? 'no evidence')} |`
  const first = h.findings.find((f) => f.status === 'fail')
  const unjudged = h.findings.find((f) => f.unjudged)
  const what = first ? `\`${first.id}\`: ${inline(first.summary)}` : unjudged ? `not judged: \`${unjudged.id}\`` : ''
  return `| \`${inline(h.host, 100)}\` | ${h.verdict ?? ''} | ${what} |`
}

/** One network over several hosts (--host, --hosts-from-api, several snapshots). */
export function reportOfFleet(h: ReportHeader, r: FleetReport): string {
  const out = header(h)
  const verdict = fleetBroken(r) ? '**broken**' : fleetNotJudged(r) ? '**not judged**' : '**healthy**'
  out.push(`## Network \`${r.network}\` on ${r.hosts.length} hosts: ${verdict}`, '', '| host | verdict | first broken link |', '|---|---|---|')
  out.push(...r.hosts.map(hostRow), '')
  const cross = r.cross.filter((f) => f.status === 'fail' || f.status === 'warn')
  if (cross.length > 0) {
    out.push('### Across hosts', '')
    for (const f of cross) {
      out.push(`- ${MARK[f.status]} \`${f.id}\`: ${inline(f.summary, 1000)}`)
      if (f.fix) out.push('', '  ```sh', ...fixText(f.fix).map((l) => `  ${l}`), '  ```')
    }
    out.push('')
  }
  for (const host of r.hosts.filter((x) => x.reachable && x.verdict === 'broken')) {
    const report: NetworkReport = {
      backend: host.backend ?? 'dhcp-agent',
      findings: host.findings,
      healthy: false,
      layout: host.layout ?? 'neutron',
      network: r.network,
      verdict: 'broken',
    }
    out.push(...networkSection(report, '###').map((l) => (l.startsWith('### Network') ? `### Host \`${inline(host.host, 100)}\`` : l)))
    if (host.affected && host.affected.length > 0) {
      out.push('#### Instances that leased from it', '', '| MAC | IP | instance | port |', '|---|---|---|---|')
      out.push(...host.affected.map((a) => `| ${inline(a.mac)} | ${inline(a.ip)} | ${inline(a.device ?? a.hostname ?? '')} | ${inline(a.port ?? '')} |`), '')
    }
  }
  return `${out.join('\n')}\n`
}
