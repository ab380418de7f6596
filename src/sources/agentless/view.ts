/**
 * An agentless host as a NodeView: what its script sent (frame.ts's Bundle), answered the way the
 * live view answers on the node itself, so that the chains' collectors run unchanged here. A recorded
 * source like a sosreport, plus the answers the script carries that a sosreport has not: each pid's
 * namespace, socket fds and TCP tables, the agents' start times and mount namespaces, the
 * metadata agent's socket connect()ed to on the host.
 *
 * What the script did not read is `not-collected` with that reason (a file the collector asks for that
 * the script did not know to read), never `missing`: the checks that need it skip instead of judging.
 */
import {startedAtMs, USER_HZ} from '../../node/proc-clock.js'
import type {CommandRecord, FileRecord, ProbeRecord, ProcessRecord} from '../../evidence/evidence.js'
import {procStartTicks} from '../../parse/agent.js'
import type {CommandKey, CommandOptions, FileOptions, NodeView, NotTold, PathStat, ProcessDetails, ProcessList, TailRead} from '../view.js'
import type {Bundle} from './frame.js'

const NOT_READ = 'not read by the agentless script (it reads what the collectors of this version ask for)'

/** A file's type word for a message: "is a directory, not a regular file". */
const notRegular = (kind: string | undefined) => `is a ${kind === 'fifo' ? 'FIFO' : (kind ?? 'special file')}, not a regular file`

export class AgentlessView implements NodeView {
  readonly kind = 'agentless' as const
  private readonly byPid: Map<number, string>

  constructor(
    readonly bundle: Bundle,
    readonly host: string,
  ) {
    this.byPid = new Map((bundle.procs ?? []).map((p) => [p.pid, p.cmdline]))
  }

  async readFile(path: string, opts: FileOptions = {}): Promise<FileRecord> {
    const f = this.bundle.files.get(path)
    if (!f) return {error: NOT_READ, path, state: 'not-collected'}
    if (f.type === 'missing') return {path, state: 'missing'}
    const rec: FileRecord = {path, state: 'present', type: f.type}
    if (f.read === 'notregular') return {...rec, error: notRegular(f.kind), state: 'error'}
    if (f.read === 'denied') return {...rec, error: 'EACCES', state: 'error'}
    if (f.read === 'toolarge') return {...rec, error: 'larger than 4 MiB: not read', state: 'error'}
    rec.content = f.content ?? ''
    if (opts.resolve) {
      if (f.mtime !== undefined) rec.mtime = f.mtime
      if (f.realpath !== undefined && f.realpath !== '' && f.realpath !== path) rec.realpath = f.realpath
    }
    return rec
  }

  async list(dir: string): Promise<string[]> {
    const globs = this.bundle.dirs.get(dir)
    if (!globs) return []
    return [...new Set([...globs.values()].flatMap((names) => names ?? []))].sort()
  }

  async stat(path: string): Promise<PathStat | undefined> {
    const f = this.bundle.files.get(path)
    if (f && f.type !== 'missing') return {type: f.type === 'symlink' ? 'file' : f.type === 'other' ? 'other' : f.type}
    if ([...(this.bundle.dirs.get(path)?.values() ?? [])].some((names) => names !== undefined)) return {type: 'directory'}
    if (this.bundle.exists.has(path)) return {type: 'other'}
    return undefined
  }

  async command(key: CommandKey, argv: string[], opts: CommandOptions = {}): Promise<CommandRecord | undefined> {
    // a namespace's socket table is not run: each process's sockets came with it (process())
    if (key === 'netns-sockets') return undefined
    // the journal by its unit (`journalctl -u UNIT.service ...`)
    const name = key === 'journal' ? (argv[argv.indexOf('-u') + 1] ?? '').replace(/\.service$/, '') : (opts.ns ?? '')
    const ran = this.bundle.commands.get(`${key}\0${name}`)
    if (!ran || ran.length === 0) {
      if (key !== 'netns-list' && key !== 'netns-addresses' && key !== 'journal') return undefined
      return {argv, exitCode: null, notCollected: `${NOT_READ}: ${argv.join(' ')}`, stderr: '', stdout: ''}
    }
    // the last form that ran (the classic `ip netns exec NS ip addr show` after a failed `ip -j`)
    const r = ran.at(-1)!
    const shown = key === 'netns-addresses' && r.variant === 'classic' && opts.ns !== undefined ? ['ip', 'netns', 'exec', opts.ns, 'ip', 'addr', 'show'] : argv
    return {argv: shown, exitCode: r.exitCode, stderr: '', stdout: r.stdout}
  }

  async processes(): Promise<ProcessList> {
    if (!this.bundle.procs) return {entries: [], notCollected: `${this.host} sent no process list`}
    return {entries: this.bundle.procs}
  }

  async process(pid: number, role: ProcessRecord['role'], from: string, opts: {sockets: boolean}): Promise<ProcessRecord | NotTold> {
    if (!this.bundle.procs) return {notCollected: `${this.host} sent no process list (pid ${pid})`}
    const cmdline = this.byPid.get(pid)
    if (cmdline === undefined) return {alive: false, from, pid, role}
    const rec: ProcessRecord = {alive: true, cmdline, from, pid, role}
    const netns = this.bundle.links.get(`/proc/${pid}/ns/net`)
    if (netns !== undefined) rec.netns = netns
    if (opts.sockets) {
      rec.fdLinks = this.bundle.fds.get(pid) ?? []
      for (const t of ['tcp', 'tcp6'] as const) {
        const f = this.bundle.files.get(`/proc/${pid}/net/${t}`)
        if (f?.content !== undefined) rec[t] = f.content
      }
    }
    return rec
  }

  async processDetails(pid: number): Promise<ProcessDetails> {
    const out: ProcessDetails = {}
    const {nowMs, uptime} = this.bundle
    const up = uptime === undefined ? undefined : /^\s*(\d+(?:\.\d+)?)\s/.exec(uptime)?.[1]
    const ticks = procStartTicks(this.bundle.files.get(`/proc/${pid}/stat`)?.content ?? '')
    if (nowMs !== undefined && up !== undefined && ticks !== undefined)
      out.startedAt = new Date(startedAtMs(nowMs - Number(up) * 1000, ticks, USER_HZ)).toISOString()
    const mine = this.bundle.links.get('/proc/self/ns/mnt')
    const mnt = this.bundle.links.get(`/proc/${pid}/ns/mnt`)
    if (mine !== undefined && mnt !== undefined) out.sameMountNamespace = mnt === mine
    const ppid = /^PPid:\s*(\d+)/m.exec(this.bundle.files.get(`/proc/${pid}/status`)?.content ?? '')?.[1]
    if (ppid !== undefined) out.ppid = Number(ppid)
    return out
  }

  async readTail(path: string): Promise<TailRead> {
    const t = this.bundle.tails.get(path)
    if (!t) return {error: NOT_READ, state: 'not-collected'}
    if (t.state === 'missing') return {state: 'missing'}
    if (t.state === 'symlink') return {error: 'is a symlink: not followed (a log is a regular file)', state: 'error'}
    if (t.state === 'notregular') return {error: 'is not a regular file', state: 'error'}
    if (t.state === 'denied') return {error: 'EACCES', state: 'error'}
    let text = t.text ?? ''
    let offset = Math.max(0, (t.size ?? 0) - (t.bytes ?? 0))
    if (offset > 0) {
      // the end began inside a line: keep from the next one, as readTail does on the node
      const nl = text.indexOf('\n')
      if (nl >= 0) {
        offset += Buffer.byteLength(text.slice(0, nl + 1))
        text = text.slice(nl + 1)
      }
    }
    const out: TailRead = {offset, state: 'present', text}
    if (t.size !== undefined) out.size = t.size
    if (t.mtime !== undefined) out.mtime = t.mtime
    return out
  }

  async connect(path: string): Promise<FileRecord> {
    const c = this.bundle.connects.get(path)
    if (!c) return {error: NOT_READ, path, state: 'not-collected'}
    if (c.type === 'missing') return {path, state: 'missing'}
    if (c.type === 'error') return {error: c.result ?? 'EIO', path, state: 'error'}
    if (c.result === 'nopython') return {error: `${this.host} has no python3 to connect() to the socket with`, path, state: 'not-collected'}
    const rec: FileRecord = {path, state: 'present', type: c.type}
    if (c.type === 'socket' && c.result !== undefined) rec.connect = c.result
    if (c.busyMs !== undefined) rec.busyMs = c.busyMs
    return rec
  }

  /** The GET the script sent from inside the namespace (--probe), as node/probe.ts records it. */
  async probe(ns: string, v6Device?: string): Promise<ProbeRecord> {
    const url = v6Device ? `http://[fe80::a9fe:a9fe%${v6Device}]/` : 'http://169.254.169.254/'
    const argv = ['ip', 'netns', 'exec', ns, 'GET', url]
    const p = this.bundle.probes.get(`${ns}\0${v6Device ?? ''}`)
    if (this.bundle.probes.get(`${ns}\0`) === 'nopython') return {argv, error: `${this.host} has no python3 to send the probe with`, url}
    if (p === undefined || p === 'nopython')
      return {argv, error: `not sent by the agentless script (${v6Device ? `fe80::a9fe:a9fe was not usable on ${v6Device} there` : 'no --probe'})`, url}
    return {argv, url, ...p}
  }

  async namespaceInode(ns: string): Promise<string | undefined> {
    return this.bundle.inodes.get(ns)
  }
}
