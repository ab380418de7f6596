/**
 * Reading the evidence every chain shares: what ran, the namespace list, the addresses in the
 * namespace, the processes and their arguments, and why a file is not judged.
 */
import type {CommandRecord, NetworkEvidence, ProcessRecord} from '../../evidence/evidence.js'
import {type Interface, parseIpAddr} from '../../parse/ip-addr.js'
import {netnsLineIndex, parseNetnsList} from '../../parse/netns.js'
import {parseProcCmdline, parsePsF} from '../../parse/processes.js'

export const ran = (c: CommandRecord) => c.argv.join(' ')

/**
 * Every network of a run shares one `ip netns list` record: it is parsed once per record, not once
 * per network (at 1000 namespaces, parsing it per network was 1000 x 1000 lines).
 */
const parsedLists = new WeakMap<CommandRecord, {names: string[]; set: Set<string>; lines: Map<string, string>}>()
function netnsIndex(list: CommandRecord) {
  let index = parsedLists.get(list)
  if (!index) {
    const names = parseNetnsList(list.stdout)
    parsedLists.set(list, (index = {lines: netnsLineIndex(list.stdout), names, set: new Set(names)}))
  }
  return index
}

/** The namespace list, or undefined when `ip netns` itself failed. Do not modify the array: it is shared. */
export function namespaceList(ev: NetworkEvidence): readonly string[] | undefined {
  if (ev.namespaces.exitCode !== 0) return undefined
  return netnsIndex(ev.namespaces).names
}

/** Whether the list names `name` (as parsed by namespaceList), in constant time. */
export const namespaceListHas = (ev: NetworkEvidence, name: string) => netnsIndex(ev.namespaces).set.has(name)

/** The first line of the `ip netns list` output whose first word is `name`. */
export const namespaceLine = (ev: NetworkEvidence, name: string) => netnsIndex(ev.namespaces).lines.get(name)

export function interfaces(ev: NetworkEvidence): Interface[] | undefined {
  if (ev.addresses?.exitCode !== 0) return undefined
  return parseIpAddr(ev.addresses.stdout)
}

/** The argument vector of a process record, from /proc/PID/cmdline or from `ps -f` text. */
export function processArgs(p: ProcessRecord): string[] | undefined {
  if (p.cmdline !== undefined) return parseProcCmdline(p.cmdline)
  if (p.ps !== undefined) return parsePsF(p.ps).find((x) => x.pid === p.pid)?.args
  return undefined
}

export const processOf = (ev: NetworkEvidence, role: ProcessRecord['role']) => ev.processes.find((p) => p.role === role)

/**
 * Why a file is not judged: it was not collected (a sosreport without it, a transcript), with the
 * reason the collector recorded. A check skips with this instead of failing on a file it never saw.
 */
export const notInEvidence = (f: {path: string; error?: string}) => `${f.path} is not in the evidence${f.error ? ` (${f.error})` : ''}`

/**
 * How far before the config file's mtime an agent's start may fall and still count as "started
 * after it". The start (src/node/proc-clock.ts) is within 10 ms of the fork: /proc/uptime and the
 * starttime ticks are each truncated to 10 ms; the mtime is the kernel's coarse clock, which lags
 * by up to a jiffy (that only moves it earlier), and both are printed to the ms. 50 ms is twice the
 * worst case plus margin. It cannot excuse a real stale agent: an agent forked less than 50 ms
 * before the write has not read its config yet (Python and Neutron's imports take far longer), so
 * it does read the new file.
 */
export const START_TOLERANCE_MS = 50

/**
 * What an address listing showed, as evidence: one line per device (name, flags, IPv4 and IPv6
 * addresses), never the raw document cut mid-way (an `ip -j` JSON array clipped at 1,000 characters
 * says nothing); the raw text only when it parses to no device.
 */
export function devicesShown(rec: CommandRecord | undefined, clipRaw: (t: string) => string): string[] {
  const cmd = rec ? ran(rec) : 'ip addr'
  const list = rec ? parseIpAddr(rec.stdout) : []
  if (list.length === 0) return [`${cmd}: ${clipRaw(rec?.stdout.trim() || rec?.stderr.trim() || 'no output')}`]
  const shown = list.slice(0, 20).map((i) => {
    const addrs = i.addresses.map((a) => `${a.family === 'inet6' ? 'inet6' : 'inet'} ${a.local}/${a.prefixlen}`)
    return `${cmd}: ${i.ifname}${i.flags.length > 0 ? ` <${i.flags.join(',')}>` : ''}${addrs.length > 0 ? ` ${addrs.join(', ')}` : ' no address'}`
  })
  return list.length > 20 ? [...shown, `${cmd}: and ${list.length - 20} more devices`] : shown
}

/** How a process is named in evidence: its pid, and the container its cgroup names (a sidecar's) when any. */
export const pidLabel = (p: Pick<ProcessRecord, 'pid' | 'container'>): string =>
  p.container ? `pid ${p.pid} (${p.container.engine} container ${p.container.id})` : `pid ${p.pid}`
