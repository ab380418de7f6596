/** Human output of a diagnose across hosts: one row per host (its first broken link and fix), then the cross-host findings. */
import {drawTable} from './table.js'

import type {Finding, Fix, Status} from '../chains/types.js'
import type {FleetAllReport, FleetReport, HostReport} from '../fleet/types.js'
import {fleetBroken, fleetNotJudged} from '../fleet/verdict.js'
import {paint} from '../output.js'
import {fitted, fixLines, printable} from './findings.js'

const MARK: Record<Status, string> = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'}

function mark(s: Status | 'unreachable'): string {
  const c = paint()
  if (s === 'unreachable') return c.yellow('n/a')
  return s === 'pass' ? c.green(MARK[s]) : s === 'fail' ? c.red(c.bold(MARK[s])) : s === 'warn' ? c.yellow(MARK[s]) : c.dim(MARK[s])
}

function hostCell(h: HostReport): {status: Status | 'unreachable'; text: string; fix?: Fix} {
  if (!h.reachable) return {status: 'unreachable', text: `could not inspect: ${h.error ?? 'no evidence'}`}
  const first: Finding | undefined = h.findings.find((f) => f.status === 'fail')
  if (first) return {fix: first.fix, status: 'fail', text: `${first.id}: ${first.summary}`}
  const unjudged = h.findings.find((f) => f.unjudged)
  if (unjudged) return {status: 'skip', text: `not judged: ${unjudged.id}: ${unjudged.summary}`}
  const w = h.findings.find((f) => f.status === 'warn')
  return w ? {status: 'warn', text: `healthy (warning on ${w.id}: ${w.summary})`} : {status: 'pass', text: 'healthy'}
}

/** Why the API lists a host (--hosts-from-api), at most this many reasons a host in the text. */
export const LISTED_SHOWN = 3

/** Instances listed under a broken host's fix, at most this many (--json carries them all). */
export const AFFECTED_SHOWN = 20

/** The instances that leased from a broken host, under its fix. */
function affectedLines(h: HostReport, alone: boolean): string[] {
  const all = h.affected ?? []
  const n = all.length
  const head = `${alone ? `  ${printable(h.host, 100)}: ` : '    '}${n} instance${n === 1 ? '' : 's'} leased from this host:`
  const rows = all.slice(0, AFFECTED_SHOWN).map((a) => {
    const port = a.port ? ` port ${a.port}` : ''
    const device = a.device ? ` device ${printable(a.device, 120)}${a.deviceOwner ? ` (${printable(a.deviceOwner, 60)})` : ''}` : ''
    const hostname = a.hostname ? ` ${printable(a.hostname, 100)}` : ''
    return `      ${a.mac} ${a.ip}${hostname}${port}${device}${a.expired ? ' (lease expired)' : ''}`
  })
  if (n > AFFECTED_SHOWN) rows.push(`      and ${n - AFFECTED_SHOWN} more (--json lists them all)`)
  return [head, ...rows]
}

/** One network on several hosts, fitted to `width` (src/render/width.ts); the fixes whole, below the table. */
export function renderFleet(r: FleetReport, width: number): string {
  const c = paint()
  const say = (text: string, opts?: Parameters<typeof fitted>[2]) => fitted(text, width, opts)
  const rows: string[][] = []
  const fixes: string[] = []
  for (const h of r.hosts) {
    const cell = hostCell(h)
    rows.push([printable(h.host, 100), mark(cell.status), printable(cell.text, Number.isFinite(width) ? 600 : 2000)])
    // a fix is pasted, so it is printed whole below the table, never wrapped (or cut) by a cell
    if (cell.fix) fixes.push(`# on ${printable(h.host, 100)}:`, ...fixLines(cell.fix))
    if (h.affected && h.affected.length > 0) fixes.push(...affectedLines(h, !cell.fix).flatMap((l) => say(l)))
  }
  // drawn in chunks: one cli-table3 table costs rows² (src/render/table.ts)
  const table = drawTable({columns: [{head: 'host', max: 28, min: 8}, {head: 'status'}, {flex: true, head: 'first broken link'}], rows, width})
  const out = [...say(`network ${r.network} on ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}`), table]
  const listed = r.hosts.filter((h) => h.listed && h.listed.length > 0)
  if (listed.length > 0) {
    out.push('', 'the API lists:')
    // a chassis of a big OVN network has a port per VM: the first few, then how many (--json has all)
    for (const h of listed) {
      const why = h.listed!
      const more = why.length > LISTED_SHOWN ? `; and ${why.length - LISTED_SHOWN} more` : ''
      out.push(
        ...say(
          `  ${printable(h.host, 100)}: ${why
            .slice(0, LISTED_SHOWN)
            .map((x) => printable(x, 200))
            .join('; ')}${more}`,
        ),
      )
    }
  }
  if (fixes.length > 0) out.push('', 'fix:', ...fixes)
  if (r.cross.length > 0) {
    out.push('', 'across hosts:')
    for (const f of r.cross) {
      out.push(...say(`${MARK[f.status]} ${f.id}: ${printable(f.summary, 1000)}`, {status: f.status}))
      if (f.status === 'fail' || f.status === 'warn') {
        out.push(...f.evidence.flatMap((e) => say(`    ${printable(e, 1000)}`)))
        if (f.fix) out.push('fix:', ...fixLines(f.fix))
      }
    }
  }
  const broken = r.hosts.filter((h) => h.reachable && h.verdict === 'broken').length
  const missing = r.hosts.filter((h) => !h.reachable).length
  const crossBad = r.cross.filter((f) => f.status === 'fail').length
  const unjudged = r.hosts.filter((h) => h.reachable && h.verdict === 'not-judged').length
  const parts = [
    `${r.hosts.length} hosts`,
    `${broken} broken`,
    ...(missing > 0 ? [`${missing} not inspected`] : []),
    ...(unjudged > 0 ? [`${unjudged} not judged`] : []),
    ...(crossBad > 0 ? [`${crossBad} cross-host failure${crossBad === 1 ? '' : 's'}`] : []),
  ]
  out.push('', ...say(parts.join(', '), {colour: fleetBroken(r) ? (s) => c.red(c.bold(s)) : fleetNotJudged(r) ? c.yellow : c.green}))
  return out.join('\n') + '\n'
}

/** `diagnose --all --host`: one fleet table per network, then the hosts that hold no network (or none answered). */
export function renderFleetAll(r: FleetAllReport, width: number): string {
  const c = paint()
  const out: string[] = r.networks.map((n) => renderFleet(n, width))
  const empty = r.hosts.filter((h) => h.reachable && h.networks.length === 0)
  const notes: string[] = []
  for (const h of empty) notes.push(...fitted(`${printable(h.host, 100)}: its snapshot holds no network (collect --all found none there)`, width))
  if (r.networks.length === 0) {
    notes.unshift(`no network on any of the ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'}`)
    for (const h of r.hosts.filter((x) => !x.reachable))
      notes.push(
        ...fitted(`n/a ${printable(h.host, 100)}: could not inspect: ${printable(h.error ?? 'no evidence', 600)}`, width).map((l, i) =>
          i === 0 ? mark('unreachable') + l.slice('n/a'.length) : l,
        ),
      )
  }
  if (notes.length > 0) out.push(notes.join('\n') + '\n')
  if (r.networks.length > 1) {
    const bad = r.networks.filter((n) => fleetBroken(n)).length
    const notJudged = r.networks.filter((n) => !fleetBroken(n) && fleetNotJudged(n)).length
    const line = `${r.networks.length} networks, ${bad} broken${notJudged > 0 ? `, ${notJudged} not judged` : ''}`
    out.push(fitted(line, width, {colour: bad > 0 ? (s) => c.red(c.bold(s)) : notJudged > 0 ? c.yellow : c.green}).join('\n') + '\n')
  }
  return out.join('\n')
}
