/**
 * diagnose as JUnit XML, for CI test reporters (GitLab, Jenkins, GitHub actions that read JUnit):
 * one <testsuite> per host × network, one <testcase> per check.
 *
 *   fail -> <failure message="summary">evidence lines, then `fix: COMMAND`, `why: ...` (and `or: ...`, `why: ...`)</failure>
 *   skip -> <skipped message="summary"/>
 *   warn -> passes, "WARN: summary", the evidence and the fix in <system-out>
 *   pass -> an empty testcase
 *
 * A host that could not be inspected (FleetReport, several hosts) is one failing testcase
 * `host.reachable` with the transport's message. Findings only several hosts reveal (`cross.*`) go in
 * one more suite, `quantum-meta (all hosts) <network>`, when there are any.
 *
 * Every text is from a node or a snapshot, so untrusted: escaped for XML, the characters XML 1.0
 * cannot carry at all (C0 controls other than tab/newline/CR, U+FFFE, U+FFFF, lone surrogates)
 * removed, and each piece cut at a bound so one runaway evidence line cannot make a report of
 * megabytes. The shape validates against the Jenkins xunit plugin's junit-10.xsd
 * (test/fixtures/junit/): no `skipped` on <testsuites>, which that schema does not allow there.
 */
import {type Finding, type Fix, type FixStep, isConfigFix, type NetworkReport} from '../chains/types.js'
import type {FleetReport} from '../fleet/types.js'

/** the characters XML 1.0 has no way to write, not even as a character reference */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/gu

/** at most this many characters of one summary, evidence line or fix */
export const MAX_TEXT = 4000
/** at most this many evidence lines of one finding */
export const MAX_EVIDENCE_LINES = 200

export function xmlSafe(text: string, max = MAX_TEXT): string {
  const clean = text.replace(NOT_XML, '')
  return clean.length > max ? `${clean.slice(0, max)}… (cut, ${clean.length} characters)` : clean
}

/** element content: & < > escaped (so `]]>` cannot end anything), CR kept as a reference */
export function escText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
}

/** an attribute value in double quotes: whitespace other than space as references (a parser would fold it) */
export function escAttr(text: string): string {
  return escText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;')
}

/** one host's verdict on one network, or why the host could not be judged */
export interface JunitSuite {
  host: string
  network: string
  findings: Finding[]
  /** the host could not be inspected: one failing `host.reachable` testcase with this message */
  unreachable?: string
  /** ISO time the evidence was taken */
  timestamp?: string
  /** suite name; default `quantum-meta <host> <network>` */
  name?: string
  /** testcase classname; default `<host>.<network>` */
  classname?: string
  /** a broken host's instances (lines `MAC IP port P device D`): appended to its first failure */
  affected?: string[]
}

/** At most this many affected instances in a failure (the table and --json carry the rest). */
const MAX_AFFECTED_LINES = 200

interface Counts {
  tests: number
  failures: number
  skipped: number
}

function countsOf(s: JunitSuite): Counts {
  if (s.unreachable !== undefined) return {failures: 1, skipped: 0, tests: 1}
  return {
    failures: s.findings.filter((f) => f.status === 'fail').length,
    skipped: s.findings.filter((f) => f.status === 'skip').length,
    tests: s.findings.length,
  }
}

/** A fix as `fix:` (the command, or `in FILE [SECTION]: key = value`) and `why:` lines; its alternative as `or:` and `why:`. */
function fixText(fix: Fix): string[] {
  const step = (label: string, f: FixStep) => [
    `${label}: ${escText(isConfigFix(f) ? `in ${f.file} [${f.section}]: ${f.set}` : f.command)}`,
    `why: ${escText(f.why)}`,
  ]
  return [...step('fix', fix), ...(fix.alternative ? step('or', fix.alternative) : [])]
}

function body(f: Finding, affected: string[] = []): string {
  const lines = f.evidence.slice(0, MAX_EVIDENCE_LINES).map((l) => escText(l))
  if (f.evidence.length > MAX_EVIDENCE_LINES) lines.push(`… (${f.evidence.length - MAX_EVIDENCE_LINES} more evidence lines cut)`)
  if (f.fix) lines.push(...fixText(f.fix))
  if (affected.length > 0) {
    lines.push(
      `${affected.length} instance${affected.length === 1 ? '' : 's'} leased from this host:`,
      ...affected.slice(0, MAX_AFFECTED_LINES).map((l) => `  ${escText(l)}`),
    )
    if (affected.length > MAX_AFFECTED_LINES) lines.push(`  … and ${affected.length - MAX_AFFECTED_LINES} more`)
  }
  return lines.join('\n')
}

function testcase(f: Finding, classname: string, failureType = 'broken link', affected?: string[]): string {
  const open = `    <testcase name="${escAttr(f.id)}" classname="${escAttr(classname)}" time="0"`
  switch (f.status) {
    case 'fail': {
      return `${open}>\n      <failure message="${escAttr(f.summary)}" type="${escAttr(failureType)}">${body(f, affected)}</failure>\n    </testcase>`
    }

    case 'skip': {
      return `${open}>\n      <skipped message="${escAttr(f.summary)}"/>\n    </testcase>`
    }

    case 'warn': {
      const text = [`WARN: ${escText(f.summary)}`, body(f)].filter(Boolean).join('\n')
      return `${open}>\n      <system-out>${text}</system-out>\n    </testcase>`
    }

    default: {
      return `${open}/>`
    }
  }
}

function suite(s: JunitSuite, id: number): string {
  const c = countsOf(s)
  const name = s.name ?? `quantum-meta ${s.host} ${s.network}`
  const classname = s.classname ?? `${s.host}.${s.network}`
  const attrs = [
    `name="${escAttr(name)}"`,
    `id="${id}"`,
    `hostname="${escAttr(s.host)}"`,
    `package="${escAttr(classname)}"`,
    `tests="${c.tests}"`,
    `failures="${c.failures}"`,
    `errors="0"`,
    `skipped="${c.skipped}"`,
    `time="0"`,
    ...(s.timestamp ? [`timestamp="${escAttr(s.timestamp)}"`] : []),
  ]
  const firstFail = s.findings.find((f) => f.status === 'fail')
  const cases =
    s.unreachable === undefined
      ? s.findings.map((f) => testcase(f, classname, undefined, f === firstFail ? s.affected : undefined))
      : [
          testcase(
            {evidence: [], id: 'host.reachable', status: 'fail', summary: s.unreachable || 'the host could not be inspected'},
            classname,
            'not inspected',
          ),
        ]
  return `  <testsuite ${attrs.join(' ')}>\n${cases.join('\n')}${cases.length > 0 ? '\n' : ''}  </testsuite>`
}

/** The document: a <testsuites> of the suites, with the totals. */
export function renderJunit(suites: JunitSuite[]): string {
  const total = suites
    .map((s) => countsOf(s))
    .reduce((a, b) => ({failures: a.failures + b.failures, skipped: a.skipped + b.skipped, tests: a.tests + b.tests}), {failures: 0, skipped: 0, tests: 0})
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="quantum-meta diagnose" tests="${total.tests}" failures="${total.failures}" errors="0" time="0">`,
    ...suites.map((s, i) => suite(s, i)),
    '</testsuites>',
    '',
  ].join('\n')
}

/** One node's reports (live: this node's hostname; offline: the snapshot's `host`). */
export function junitOfReports(host: string, reports: NetworkReport[], timestamp?: string): string {
  return renderJunit(reports.map((r) => ({findings: r.findings, host, network: r.network, timestamp})))
}

/** Several hosts: one suite per host of each network, unreachable hosts as a failing `host.reachable`. */
export function suitesOfFleet(report: FleetReport): JunitSuite[] {
  const suites: JunitSuite[] = report.hosts.map((h) =>
    h.reachable
      ? {
          affected: h.affected?.map((a) =>
            [
              a.mac,
              a.ip,
              a.hostname,
              a.port && `port ${a.port}`,
              a.device && `device ${a.device}${a.deviceOwner ? ` (${a.deviceOwner})` : ''}`,
              a.expired && '(lease expired)',
            ]
              .filter(Boolean)
              .join(' '),
          ),
          findings: h.findings,
          host: h.host,
          network: report.network,
        }
      : {findings: [], host: h.host, network: report.network, unreachable: h.error ?? ''},
  )
  if (report.cross.length > 0) {
    suites.push({classname: `cross.${report.network}`, findings: report.cross, host: '(all hosts)', network: report.network})
  }
  return suites
}

export function junitOfFleet(reports: FleetReport | FleetReport[]): string {
  return renderJunit((Array.isArray(reports) ? reports : [reports]).flatMap((r) => suitesOfFleet(r)))
}
