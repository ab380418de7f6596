/** Human output of a diagnose across hosts: one row per host (its first broken link and fix), then the cross-host findings. */
import Table from 'cli-table3'

import type {Finding, Status} from '../checks/types.js'
import type {FleetReport, HostReport} from '../fleet/types.js'
import {paint} from '../output.js'
import {printable} from './findings.js'

const MARK: Record<Status, string> = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'}

function mark(s: Status | 'unreachable'): string {
  const c = paint()
  if (s === 'unreachable') return c.yellow('n/a')
  return s === 'pass' ? c.green(MARK[s]) : s === 'fail' ? c.red(c.bold(MARK[s])) : s === 'warn' ? c.yellow(MARK[s]) : c.dim(MARK[s])
}

const width = () => Math.max(80, Math.min(process.stdout.columns ?? 120, 160))

function hostCell(h: HostReport): {status: Status | 'unreachable'; text: string} {
  if (!h.reachable) return {status: 'unreachable', text: `could not inspect: ${h.error ?? 'no evidence'}`}
  const first: Finding | undefined = h.findings.find((f) => f.status === 'fail')
  if (first) return {status: 'fail', text: `${first.id}: ${first.summary}${first.fix ? `\nfix: ${first.fix}` : ''}`}
  const w = h.findings.find((f) => f.status === 'warn')
  return w ? {status: 'warn', text: `healthy (warning on ${w.id}: ${w.summary})`} : {status: 'pass', text: 'healthy'}
}

export function renderFleet(r: FleetReport): string {
  const c = paint()
  const w = width()
  const hostW = Math.min(30, Math.max(8, ...r.hosts.map((h) => h.host.length + 2)))
  const table = new Table({colWidths: [hostW, 8, w - hostW - 8 - 4], head: ['host', 'status', 'first broken link'], style: {border: [], head: []}, wordWrap: true})
  for (const h of r.hosts) {
    const cell = hostCell(h)
    // the fix keeps its own line: printable() turns newlines into spaces, so each part is cleaned apart
    table.push([printable(h.host, 100), mark(cell.status), cell.text.split('\n').map((t) => printable(t, 600)).join('\n')])
  }
  const out = [`network ${r.network} on ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}`, table.toString()]
  if (r.cross.length > 0) {
    out.push('', 'across hosts:')
    for (const f of r.cross) {
      out.push(`${mark(f.status)} ${f.id}: ${printable(f.summary, 1000)}`)
      if (f.status === 'fail' || f.status === 'warn') {
        out.push(...f.evidence.map((e) => `    ${printable(e, 1000)}`))
        if (f.fix) out.push(`    fix: ${printable(f.fix, 2000)}`)
      }
    }
  }
  const broken = r.hosts.filter((h) => h.reachable && h.healthy === false).length
  const missing = r.hosts.filter((h) => !h.reachable).length
  const crossBad = r.cross.filter((f) => f.status === 'fail').length
  const parts = [`${r.hosts.length} hosts`, `${broken} broken`, ...(missing > 0 ? [`${missing} not inspected`] : []), ...(crossBad > 0 ? [`${crossBad} cross-host failure${crossBad === 1 ? '' : 's'}`] : [])]
  out.push('', r.healthy ? c.green(parts.join(', ')) : c.red(c.bold(parts.join(', '))))
  return out.join('\n') + '\n'
}
