/**
 * `diagnose ... --report FILE.md`: the report for the ticket (report-model.ts decides what it shows)
 * as Markdown, so it pastes into a ticket or a wiki as is: the chain drawn as text art in a code
 * block, the fix as a sh block. Text from evidence cannot close a code block or split a table cell.
 */
import type {Finding, Fix, FixStep, NetworkReport, Status} from '../chains/types.js'
import {isConfigFix} from '../chains/types.js'
import type {FleetReport} from '../fleet/types.js'
import {
  CUT,
  type FleetView,
  fixSteps,
  fleetModel,
  type NetworkView,
  networksModel,
  networkView,
  type ReportHeader,
  type ReportModel,
  shown,
  type Words,
} from './report-model.js'

export type {ReportHeader} from './report-model.js'

const MARK: Record<Status, string> = {fail: '✘', pass: '✔', skip: '·', warn: '!'}

/** Text inside a Markdown code block: printable, and no line that closes the block. */
const inBlock = (text: string, max: number = CUT.evidence) => shown(text, max).replaceAll('```', "'''")
/** Text in a table cell or a line: printable, no pipe or backtick that breaks the Markdown. */
const inline = (text: string, max: number = CUT.cell) => shown(text, max).replaceAll('|', '\\|').replaceAll('`', "'")
/** Already printable and cut (report-model.ts): only the code fence taken out. */
const fenced = (text: string) => text.replaceAll('```', "'''")

function fixText(fix: Fix): string[] {
  const step = (f: FixStep): string[] => (isConfigFix(f) ? [`# in ${f.file} [${f.section}]:`, f.set, `# ${f.why}`] : [f.command, `# ${f.why}`])
  return fixSteps(fix)
    .flatMap((f, i) => [...(i > 0 ? ['# or:'] : []), ...step(f)])
    .map((l) => inBlock(l, CUT.fix))
}

const words = (w: Words) => w.map((p) => ('id' in p ? `\`${inline(p.id, CUT.host)}\`` : p.text)).join('')

const verdictLine = (v: NetworkView) => `**${v.word}**: ${words(v.words)}`

function picture(v: NetworkView): string[] {
  const width = Math.max(...v.links.map((l) => l.id.length), 10)
  const out = [`  instance: GET http://169.254.169.254/   (${fenced(v.chain)})`, '      │']
  for (const l of v.links) {
    const note = l.broken ? `  ◀── BROKEN: ${fenced(l.summary)}` : l.status === 'skip' ? `  (${fenced(l.summary)})` : ''
    out.push(`  [${MARK[l.status]}] ${l.id.padEnd(width)}${note}`)
    out.push(l.broken || l.afterBroken ? '      ┆' : '      │')
  }
  out.push('  Nova metadata API')
  return out
}

/** The chain as a picture: one line per link in chain order, the first broken one marked. */
export const chainPicture = (r: NetworkReport): string[] => picture(networkView(r))

function findingsTable(findings: readonly Finding[]): string[] {
  return ['| | check | finding |', '|---|---|---|', ...findings.map((f) => `| ${MARK[f.status]} ${f.status} | \`${f.id}\` | ${inline(f.summary)} |`)]
}

function networkSection(v: NetworkView, level: string, title: string): string[] {
  const out = [`${level} ${title}`, '', verdictLine(v), '', '```', ...picture(v), '```', '']
  if (v.first) {
    out.push(`${level}# The broken link: \`${v.first.finding.id}\``, '', inline(v.first.finding.summary, CUT.summary), '')
    if (v.first.evidence.length > 0) out.push('Evidence:', '', '```', ...v.first.evidence.map(fenced), '```', '')
    if (v.first.finding.fix) out.push('Fix (run on the node; the reason after `#`):', '', '```sh', ...fixText(v.first.finding.fix), '```', '')
  }
  out.push(`${level}# Every check`, '', ...findingsTable(v.findings), '')
  return out
}

function header(m: ReportModel): string[] {
  const h: ReportHeader = m.header
  return [
    '# quantum-meta: the metadata chain',
    '',
    `- host: \`${inline(h.host, CUT.host)}\``,
    `- evidence taken: ${inline(h.takenAt, CUT.word)}${h.collectedBy ? ` by ${inline(h.collectedBy, CUT.word)}` : ''}`,
    `- judged by: ${h.judgedBy}, ${m.judgedAt}`,
    ...(h.instance ? [`- instance: ${inline(h.instance, CUT.summary)}`] : []),
    '',
  ]
}

function fleetSection(f: FleetView): string[] {
  const out = [`## Network \`${f.network}\` on ${f.hosts.length} hosts: **${f.word}**`, '', `**${f.word}**: ${words(f.words)}`, '']
  out.push('| host | verdict | first broken link |', '|---|---|---|')
  for (const h of f.hosts) {
    const what = h.error ? inline(h.error) : h.first ? `\`${h.first.id}\`: ${inline(h.first.summary)}` : h.unjudged ? `not judged: \`${h.unjudged.id}\`` : ''
    out.push(`| \`${inline(h.host, 100)}\` | ${h.state} | ${what} |`)
  }
  out.push('')
  if (f.cross.length > 0) {
    out.push('### Across hosts', '')
    for (const x of f.cross) {
      out.push(`- ${MARK[x.status]} \`${x.id}\`: ${inline(x.summary, 1000)}`)
      if (x.fix) out.push('', '  ```sh', ...fixText(x.fix).map((l) => `  ${l}`), '  ```')
    }
    out.push('')
  }
  for (const b of f.broken) {
    out.push(...networkSection(b.view, '###', `Host \`${inline(b.host, 100)}\``))
    if (b.affected.length > 0) {
      out.push('#### Instances that leased from it', '', '| MAC | IP | instance | port |', '|---|---|---|---|')
      out.push(...b.affected.map((a) => `| ${inline(a.mac)} | ${inline(a.ip)} | ${inline(a.device ?? a.hostname ?? '')} | ${inline(a.port ?? '')} |`), '')
    }
  }
  return out
}

/** The report model as Markdown. */
export function markdownOf(m: ReportModel): string {
  const out = header(m)
  if (m.kind === 'fleet') {
    for (const f of m.fleets) out.push(...fleetSection(f))
    return `${out.join('\n')}\n`
  }
  if (m.networks.length > 1) {
    out.push('| network | verdict |', '|---|---|', ...m.networks.map((v) => `| \`${v.network}\` | ${v.verdict} |`), '')
  }
  for (const v of m.networks) out.push(...networkSection(v, '##', `Network \`${v.network}\``))
  return `${out.join('\n')}\n`
}

/** One host's networks (this node, a snapshot, a sosreport). */
export const reportOfNetworks = (h: ReportHeader, reports: readonly NetworkReport[]): string => markdownOf(networksModel(h, reports))

/** One network over several hosts (--host, --hosts-from-api, several snapshots). */
export const reportOfFleet = (h: ReportHeader, r: FleetReport): string => markdownOf(fleetModel(h, [r]))
