/** Human output of diagnose: a table in chain order, then the first broken link and its fix. */
import Table from 'cli-table3'

import type {Finding, Status} from '../checks/types.js'
import type {NetworkReport} from '../diagnose/service.js'
import {paint} from '../output.js'

const MARK: Record<Status, string> = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'}

function mark(s: Status): string {
  const c = paint()
  return s === 'pass' ? c.green(MARK[s]) : s === 'fail' ? c.red(c.bold(MARK[s])) : s === 'warn' ? c.yellow(MARK[s]) : c.dim(MARK[s])
}

const width = () => Math.max(80, Math.min(process.stdout.columns ?? 120, 160))

export function renderReport(r: NetworkReport): string {
  const c = paint()
  const w = width()
  const table = new Table({
    colWidths: [6, 28, w - 6 - 28 - 4],
    head: ['', 'check', 'finding'],
    style: {border: [], head: []},
    wordWrap: true,
  })
  for (const f of r.findings) table.push([mark(f.status), f.id, f.summary])
  const out = [`network ${r.network} (${r.layout} layout)`, table.toString()]
  const notable = r.findings.filter((f) => f.status === 'fail' || f.status === 'warn')
  for (const f of notable) {
    if (f.evidence.length === 0) continue
    out.push(`${mark(f.status)} ${f.id}:`, ...f.evidence.map((e) => `    ${e}`))
  }
  const first = r.findings.find((f) => f.status === 'fail')
  if (first) {
    out.push('', c.red(c.bold(`first broken link: ${first.id}`)), `  ${first.summary}`)
    if (first.fix) out.push(`  fix: ${first.fix}`)
  } else {
    const warnFirst = r.findings.find((f) => f.status === 'warn')
    out.push('', c.green(`healthy: no link of the metadata chain is broken${warnFirst ? ` (see the warning on ${warnFirst.id})` : ''}`))
    if (warnFirst?.fix) out.push(`  to clear the warning: ${warnFirst.fix}`)
  }
  return out.join('\n') + '\n'
}

export function renderAll(reports: NetworkReport[]): string {
  const w = width()
  const table = new Table({colWidths: [38, 8, w - 38 - 8 - 4], head: ['network', 'status', 'first broken link'], style: {border: [], head: []}, wordWrap: true})
  for (const r of reports) {
    const first: Finding | undefined = r.findings.find((f) => f.status === 'fail') ?? r.findings.find((f) => f.status === 'warn')
    table.push([r.network, mark(r.healthy ? (first ? 'warn' : 'pass') : 'fail'), first ? `${first.id}: ${first.summary}` : ''])
  }
  const bad = reports.filter((r) => !r.healthy).length
  return `${table.toString()}\n${reports.length} networks, ${bad} broken\n`
}
