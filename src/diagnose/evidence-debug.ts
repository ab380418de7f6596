/**
 * `--debug`: what each piece of a network's evidence yielded, one short line each, before its checks
 * run (diagnoseEvidence, the one place every source goes through: this node, a snapshot, a sosreport,
 * hosts over ssh). Never a file's content (a config may hold a secret): its state and line count; a
 * command's argv through redact() and its exit and line count; the namespace as parsed (addresses,
 * listeners). Works on any chain's evidence: a field is told by its shape, not by its name.
 */
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence, ProcessRecord} from '../evidence/evidence.js'
import {redact} from '../output.js'
import {parseIpAddr} from '../parse/ip-addr.js'
import {parseNetstat, parseProcNetTcp, parseSs} from '../parse/sockets.js'
import {printable} from '../render/findings.js'

const lines = (text: string) => (text === '' ? 0 : text.split('\n').filter((l) => l.trim() !== '').length)
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : /(s|ss|x)$/.test(word) ? 'es' : 's'}`
const isCommand = (v: unknown): v is CommandRecord => typeof v === 'object' && v !== null && Array.isArray((v as CommandRecord).argv)
const isFile = (v: unknown): v is FileRecord =>
  typeof v === 'object' && v !== null && typeof (v as FileRecord).path === 'string' && typeof (v as FileRecord).state === 'string'
const isProcess = (v: unknown): v is ProcessRecord => typeof v === 'object' && v !== null && typeof (v as ProcessRecord).pid === 'number' && 'alive' in v

function command(c: CommandRecord): string {
  const argv = printable(redact(c.argv).join(' '), 120)
  if (c.notCollected !== undefined) return `${argv}: not collected (${printable(c.notCollected, 100)})`
  if (c.error !== undefined) return `${argv}: did not run (${printable(c.error, 100)})`
  return `${argv}: exit ${c.exitCode ?? 'none'}, ${plural(lines(c.stdout), 'line')}${c.stderr.trim() === '' ? '' : `, ${plural(lines(c.stderr), 'line')} on stderr`}`
}

function file(f: FileRecord): string {
  const path = printable(f.path, 200)
  const kind = f.type !== undefined && f.type !== 'file' ? `, ${f.type}` : ''
  if (f.state !== 'present') return `${path}: ${f.state}${f.error === undefined ? '' : ` (${printable(f.error, 100)})`}`
  const connect = f.connect === undefined ? '' : `, connect ${printable(f.connect, 40)}`
  return `${path}: present${kind}${f.content === undefined ? '' : `, ${plural(lines(f.content), 'line')}`}${connect}`
}

function process(p: ProcessRecord): string {
  return `${p.role} pid ${p.pid} (from ${printable(p.from, 120)}): ${p.alive ? 'alive' : 'gone'}`
}

/** An agent found in /proc: its pid and start, never its command line (it may carry a secret). */
function agent(a: AgentRecord): string {
  const configs = a.configs === undefined ? '' : `, ${plural(a.configs.length, 'config file')} read`
  return `pid ${a.pid}${a.startedAt === undefined ? '' : ` started ${printable(a.startedAt, 40)}`}${configs}`
}
const isAgent = (v: unknown): v is AgentRecord =>
  typeof v === 'object' && v !== null && typeof (v as AgentRecord).pid === 'number' && typeof (v as AgentRecord).cmdline === 'string'

/** What a field holds, in a few words (any shape: a chain's own part of the evidence too). */
function describe(v: unknown): string | undefined {
  if (isCommand(v)) return command(v)
  if (isFile(v)) return file(v)
  if (isProcess(v)) return process(v)
  if (isAgent(v)) return agent(v)
  if (Array.isArray(v)) {
    const each = v.map(describe).filter((d) => d !== undefined)
    return each.length === v.length && v.length <= 4 && v.length > 0 ? each.join('; ') : plural(v.length, 'record')
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    if (Array.isArray(o.records) && typeof o.host === 'string') {
      // the API's answers: method, path and status, never a body
      const recs = o.records as {method: string; path: string; status: number}[]
      const err = typeof o.error === 'string' ? `, error: ${printable(o.error, 100)}` : ''
      return `${plural(recs.length, 'answer')}${recs.length > 0 ? ` (${recs.map((r) => `${r.method} ${printable(r.path, 80)} ${r.status}`).join(', ')})` : ''}${err}`
    }
    if (typeof o.url === 'string' && Array.isArray(o.argv)) {
      return `GET ${printable(o.url, 80)}: ${typeof o.status === 'number' ? `status ${o.status}` : printable(String(o.error ?? 'no answer'), 60)}`
    }
    return plural(Object.keys(o).length, 'field') // (evidenceYield looks inside a top-level one)
  }
  return undefined
}

/** The namespace as the checks will see it: its interfaces' addresses and the TCP listeners in it. */
function namespaceLine(ev: NetworkEvidence): string {
  const parts: string[] = []
  const listed = ev.namespaces.stdout.split('\n').some((l) => l.split(/\s/)[0] === ev.namespace)
  parts.push(ev.namespaces.notCollected === undefined ? (listed ? 'listed' : 'not listed by ip netns') : 'ip netns not collected')
  if (ev.addresses?.stdout) {
    const ifs = parseIpAddr(ev.addresses.stdout)
    parts.push(
      `${plural(
        ifs.reduce((n, i) => n + i.addresses.length, 0),
        'address',
      )} on ${plural(ifs.length, 'interface')}`,
    )
  }
  const listen = new Set<string>()
  for (const p of ev.processes) {
    for (const [text, proto] of [
      [p.tcp, 'tcp'],
      [p.tcp6, 'tcp6'],
    ] as const) {
      if (text !== undefined) for (const s of parseProcNetTcp(text, proto)) if (s.state === 'LISTEN') listen.add(`${s.localAddress}:${s.localPort}`)
    }
  }
  const sockets = ev.sockets?.stdout ?? ''
  // a hand-made snapshot's netstat (the seed) or ss output, as the proxy checks read it
  for (const s of /^State\s|users:\(\(/m.test(sockets) ? parseSs(sockets) : parseNetstat(sockets))
    if (s.state === 'LISTEN') listen.add(`${s.localAddress}:${s.localPort}`)
  parts.push(plural(listen.size, 'listener'))
  return `namespace ${printable(ev.namespace, 120)}: ${parts.join(', ')}`
}

/** One line per piece of the network's evidence, the namespace first. */
export function evidenceYield(ev: NetworkEvidence): string[] {
  const out: string[] = []
  try {
    out.push(namespaceLine(ev))
  } catch (error) {
    out.push(`namespace ${printable(ev.namespace, 120)}: could not be read (${printable(String(error), 100)})`)
  }
  const walk = (obj: object, prefix: string, depth: number) => {
    for (const [key, value] of Object.entries(obj)) {
      if ((depth === 0 && key === 'namespaces') || typeof value !== 'object' || value === null) continue
      const name = `${prefix}${printable(key, 60)}`
      try {
        const d = describe(value)
        // a chain's own part (ovn, router): each of its records, one level down
        if (depth === 0 && d?.endsWith(' fields') && !Array.isArray(value)) walk(value, `${name}.`, 1)
        else if (d !== undefined) out.push(`${name}: ${d}`)
      } catch {
        out.push(`${name}: of a shape --debug cannot tell`)
      }
    }
  }
  walk(ev, '', 0)
  return out
}
