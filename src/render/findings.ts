/** Human output of diagnose: a table in chain order, then the first broken link and its fix. */
import Table from 'cli-table3'

import {chainFor} from '../chains/registry.js'
import {type Finding, type Fix, type FixStep, isConfigFix, type NetworkReport, type Status} from '../chains/types.js'
import {shq} from '../chains/common/text.js'
import {paint} from '../output.js'

const MARK: Record<Status, string> = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'}

function mark(s: Status): string {
  const c = paint()
  return s === 'pass' ? c.green(MARK[s]) : s === 'fail' ? c.red(c.bold(MARK[s])) : s === 'warn' ? c.yellow(MARK[s]) : c.dim(MARK[s])
}

/** The fix for links not judged: evidence that holds what they read. */
const moreEvidence = (network: string): Fix => ({
  alternative: {
    command: 'sos report --batch -o networking,openstack_neutron,process',
    why: `or a sosreport with the plugins the links read; then quantum-meta diagnose ${network} --sosreport DIR (DIR: the extracted report)`,
  },
  command: `quantum-meta collect ${shq(network)} -o /tmp/qm-evidence.json`,
  why: `on the node, as root: a snapshot with what the links read; then quantum-meta diagnose ${network} --snapshot /tmp/qm-evidence.json`,
})

const width = () => Math.max(80, Math.min(process.stdout.columns ?? 120, 160))

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g

/**
 * Text from a snapshot or a node, made safe to print: control characters (an ESC would drive the
 * terminal) shown as \xNN, a newline as a space, and cut at `max` characters saying so. cli-table3's
 * word wrap is quadratic in a cell's length, so a table cell is always cut first.
 */
export function printable(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (cut, ${text.length} characters)` : text
  return cut.replace(/\n/g, ' ').replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/**
 * A fix as lines to paste: the command alone on its line (a config fix: `# in FILE [SECTION]:` and the
 * `key = value` line), its reason after `# `; the alternative likewise after `# or:`. Each line goes
 * through printable (a command quotes what it takes from evidence, but is still printed safely).
 */
export function fixLines(fix: Fix): string[] {
  const step = (f: FixStep) =>
    isConfigFix(f)
      ? [`# in ${printable(f.file, 500)} [${printable(f.section, 100)}]:`, printable(f.set, 1000), `# ${printable(f.why, 2000)}`]
      : [printable(f.command, 2000), `# ${printable(f.why, 2000)}`]
  return [...step(fix), ...(fix.alternative ? ['# or:', ...step(fix.alternative)] : [])]
}

export function renderReport(r: NetworkReport): string {
  const c = paint()
  const w = width()
  const table = new Table({
    colWidths: [6, 28, w - 6 - 28 - 4],
    head: ['', 'check', 'finding'],
    style: {border: [], head: []},
    wordWrap: true,
  })
  for (const f of r.findings) table.push([mark(f.status), f.id, printable(f.summary, 400)])
  const out = [`network ${r.network} (${chainFor(r.backend)?.label ?? `${r.layout} layout`})`, table.toString()]
  const notable = r.findings.filter((f) => f.status === 'fail' || f.status === 'warn')
  for (const f of notable) {
    if (f.evidence.length === 0) continue
    out.push(`${mark(f.status)} ${f.id}:`, ...f.evidence.map((e) => `    ${printable(e, 1000)}`))
  }
  const first = r.findings.find((f) => f.status === 'fail')
  if (first) {
    out.push('', c.red(c.bold(`first broken link: ${first.id}`)), `  ${printable(first.summary, 2000)}`)
    if (first.fix) out.push('fix:', ...fixLines(first.fix))
  } else if (r.unjudged && r.unjudged.length > 0) {
    // nothing failed, but links were never judged: no verdict of health (exit 3)
    const why = r.findings.find((f) => f.unjudged)!
    out.push(
      '',
      c.yellow(c.bold(`not judged: ${r.unjudged.join(', ')} (and what needs them): the evidence lacks what they read`)),
      `  ${printable(why.summary, 2000)}`,
    )
    out.push('fix:', ...fixLines(moreEvidence(r.network)))
  } else {
    const warnFirst = r.findings.find((f) => f.status === 'warn')
    out.push('', c.green(`healthy: no link of the metadata chain is broken${warnFirst ? ` (see the warning on ${warnFirst.id})` : ''}`))
    if (warnFirst?.fix) out.push('to clear the warning:', ...fixLines(warnFirst.fix))
  }
  return out.join('\n') + '\n'
}

export function renderAll(reports: NetworkReport[]): string {
  const w = width()
  const table = new Table({colWidths: [38, 8, w - 38 - 8 - 4], head: ['network', 'status', 'first broken link'], style: {border: [], head: []}, wordWrap: true})
  for (const r of reports) {
    const first: Finding | undefined = r.findings.find((f) => f.status === 'fail') ?? r.findings.find((f) => f.status === 'warn')
    const unjudged = r.healthy && r.unjudged && r.unjudged.length > 0 ? r.findings.find((f) => f.unjudged) : undefined
    if (unjudged) table.push([r.network, mark('skip'), printable(`not judged: ${unjudged.id}: ${unjudged.summary}`, 400)])
    else table.push([r.network, mark(r.healthy ? (first ? 'warn' : 'pass') : 'fail'), first ? printable(`${first.id}: ${first.summary}`, 400) : ''])
  }
  const bad = reports.filter((r) => !r.healthy).length
  return `${table.toString()}\n${reports.length} networks, ${bad} broken\n`
}
