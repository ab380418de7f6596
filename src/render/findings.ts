/** Human output of diagnose: a table in chain order, then the first broken link and its fix. */
import {deploymentNamed} from '../deployments/registry.js'
import {chainFor} from '../chains/registry.js'
import {type Finding, type Fix, type FixStep, isConfigFix, type NetworkReport, type Status} from '../chains/types.js'
import {paint} from '../output.js'
import {drawTable} from './table.js'
import {wrapLine} from './width.js'

const MARK: Record<Status, string> = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'}

function mark(s: Status): string {
  const c = paint()
  return s === 'pass' ? c.green(MARK[s]) : s === 'fail' ? c.red(c.bold(MARK[s])) : s === 'warn' ? c.yellow(MARK[s]) : c.dim(MARK[s])
}

/**
 * A line of prose fitted to the width (src/render/width.ts), its continuation lines under `hang`, each
 * painted by `colour` after it is wrapped (a colour code never counts toward the width), and a leading
 * status word painted as its mark.
 */
export function fitted(text: string, width: number, opts: {hang?: string; colour?: (s: string) => string; status?: Status} = {}): string[] {
  const lines = wrapLine(text, width, opts.hang ?? `${/^ */.exec(text)![0]}  `)
  const {colour, status} = opts
  return lines.map((l, i) => {
    const painted = colour ? colour(l) : l
    return i === 0 && status && l.startsWith(MARK[status]) ? mark(status) + painted.slice(MARK[status].length) : painted
  })
}

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

/** Where the evidence was taken, when not an agent of packages on the host: the deployment, and the agent's container. */
export function deploymentLines(r: NetworkReport): string[] {
  const d = r.deployment
  if (!d) return []
  const out = [`deployment: ${deploymentNamed(d.name).title}${d.from ? ` (${printable(d.from, 300)})` : ''}`]
  const c = d.container
  if (c)
    out.push(
      `the agent (pid ${c.pid}) runs in ${c.engine ? `${c.engine} container ` : 'a container '}${c.id ?? ''}${c.pidNamespace === 'private' ? ', its own pid namespace (pid files mapped to host pids)' : ''}: its files read through ${printable(c.root, 200)}`,
    )
  if (d.stateOnHost !== undefined) out.push(`no DHCP agent runs: the state its container would see read from the host's ${printable(d.stateOnHost, 300)}`)
  return out
}

/** One network's findings: the table in chain order, the evidence of what is wrong, the verdict and the fix, fitted to `width`. */
export function renderReport(r: NetworkReport, width: number): string {
  const c = paint()
  const say = (text: string, opts?: Parameters<typeof fitted>[2]) => fitted(text, width, opts)
  const table = drawTable({
    columns: [{head: ''}, {head: 'check', min: 10}, {flex: true, head: 'finding'}],
    rows: r.findings.map((f) => [mark(f.status), f.id, printable(f.summary, Number.isFinite(width) ? 400 : 2000)]),
    width,
  })
  const out = [...say(`network ${r.network} (${chainFor(r.backend)?.label ?? `${r.layout} layout`})`), ...deploymentLines(r).flatMap((l) => say(l)), table]
  const notable = r.findings.filter((f) => f.status === 'fail' || f.status === 'warn')
  for (const f of notable) {
    if (f.evidence.length === 0) continue
    out.push(...say(`${MARK[f.status]} ${f.id}:`, {status: f.status}), ...f.evidence.flatMap((e) => say(`    ${printable(e, 1000)}`)))
  }
  const first = r.findings.find((f) => f.status === 'fail')
  if (first) {
    out.push('', ...say(`first broken link: ${first.id}`, {colour: (s) => c.red(c.bold(s))}), ...say(`  ${printable(first.summary, 2000)}`))
    // the fix lines are pasted: each whole on its line, whatever the width
    if (first.fix) out.push('fix:', ...fixLines(first.fix))
  } else if (r.verdict === 'not-judged') {
    // nothing failed, but links were never judged: no verdict of health (exit 3)
    const own = r.findings.filter((f) => f.unjudged && !f.summary.startsWith('skipped: '))
    out.push(
      '',
      ...say(`not judged: ${r.unjudged?.join(', ')}: no link found broken, but the chain is not known to work`, {colour: (s) => c.yellow(c.bold(s))}),
    )
    for (const f of own.slice(0, 5)) out.push(...say(`  ${f.id}: ${printable(f.summary, 2000)}`))
    if (own.length > 5) out.push(`  and ${own.length - 5} more (see the table)`)
  } else {
    const warnFirst = r.findings.find((f) => f.status === 'warn')
    const seeWarn = warnFirst ? ` (see the warning on ${warnFirst.id})` : ''
    out.push(
      '',
      ...say(
        r.verdict === 'checks-pass'
          ? `${r.ran?.checks} of ${r.ran?.of} checks run, each passes${seeWarn}: no verdict on the rest of the chain`
          : `healthy: every link of the metadata chain was judged, none is broken${seeWarn}`,
        {colour: c.green},
      ),
    )
    out.push(...skippedNotes(r.findings).flatMap((l) => say(l)))
    if (warnFirst?.fix) out.push('to clear the warning:', ...fixLines(warnFirst.fix))
  }
  return out.join('\n') + '\n'
}

/** The skips that hold no verdict back, said once under it: what this node does not serve, what was not asked. */
function skippedNotes(findings: readonly Finding[]): string[] {
  const out: string[] = []
  const here = findings.filter((f) => f.skipped === 'not-here' && !f.summary.startsWith('skipped: '))
  for (const f of here) out.push(`  not this node's: ${f.id}: ${printable(f.summary, 600)}`)
  for (const f of findings.filter((x) => x.skipped === 'warn-only')) out.push(`  not told (it only warns): ${f.id}: ${printable(f.summary, 600)}`)
  for (const f of findings.filter((x) => x.skipped === 'not-told' && !x.summary.startsWith('skipped: ')))
    out.push(`  not told (the evidence cannot settle it): ${f.id}: ${printable(f.summary, 600)}`)
  const asked = findings.filter((f) => f.skipped === 'not-asked')
  if (asked.length > 0) out.push(`  not run (see the table): ${asked.map((f) => f.id).join(', ')}`)
  return out
}

const VERDICT_ORDER: Record<NetworkReport['verdict'], number> = {broken: 0, 'checks-pass': 3, healthy: 3, 'not-judged': 1}

/** diagnose --all: a row a network, the broken first, fitted to `width`. */
export function renderAll(reports: NetworkReport[], width: number): string {
  // the broken first, then the not judged, each in network-id order
  const sorted = [...reports].sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || a.network.localeCompare(b.network))
  const cell = Number.isFinite(width) ? 400 : 2000
  const rows = sorted.map((r) => {
    const first: Finding | undefined = r.findings.find((f) => f.status === 'fail') ?? r.findings.find((f) => f.status === 'warn')
    const unjudged = r.verdict === 'not-judged' ? r.findings.find((f) => f.unjudged) : undefined
    if (unjudged) return [r.network, mark('skip'), printable(`not judged: ${unjudged.id}: ${unjudged.summary}`, cell)]
    return [r.network, mark(r.verdict === 'broken' ? 'fail' : first ? 'warn' : 'pass'), first ? printable(`${first.id}: ${first.summary}`, cell) : '']
  })
  const table = drawTable({columns: [{head: 'network', min: 10}, {head: 'status'}, {flex: true, head: 'first broken link'}], rows, width})
  const bad = reports.filter((r) => r.verdict === 'broken').length
  const notJudged = reports.filter((r) => r.verdict === 'not-judged').length
  return `${table}\n${reports.length} network${reports.length === 1 ? '' : 's'}, ${bad} broken${notJudged > 0 ? `, ${notJudged} not judged` : ''}\n`
}
