/**
 * This node, now: the NodeView over the live system. Files are read bounded (regular files only),
 * processes from /proc, commands run, sockets connected to. What keeps `diagnose --all` at a constant
 * cost per namespace stays here as capabilities, not one call per file:
 *   - every namespace's addresses in a few processes (node/namespaces.ts), prefetched once;
 *   - one pass over /proc/PID/cmdline, synchronous (~40 us a process against ~250 us through the
 *     thread pool), shared by every collector of the view;
 *   - each process's TCP tables at the cost of one kernel walk (node/procfs.ts).
 * A view is made per collection: what it caches (the process list, the prefetched addresses, the boot
 * time) is of that moment.
 */
import {readdir, readlink, stat} from 'node:fs/promises'

import type {CommandRecord, FileRecord, ProbeRecord, ProcessRecord} from '../evidence/evidence.js'
import {addressesOf} from '../node/namespaces.js'
import {readBootTimeMs, startedAtMs} from '../node/proc-clock.js'
import {command, fileRecord, processRecord, readOr, readProcSync} from '../node/records.js'
import {procStartTicks} from '../parse/agent.js'
import {readTail} from '../system/read-file.js'
import {
  type CommandKey,
  type CommandOptions,
  type FileOptions,
  type NodeView,
  type PathStat,
  type ProcessDetails,
  type ProcessList,
  type TailRead,
  tailRecord,
} from './view.js'

export class LiveView implements NodeView {
  readonly kind = 'live' as const
  private scan?: Promise<ProcessList>
  private readonly prefetched = new Map<string, CommandRecord>()
  private clock?: Promise<{boot?: number; mnt?: string}>

  readFile(path: string, opts: FileOptions = {}): Promise<FileRecord> {
    return fileRecord(path, {read: true, resolve: opts.resolve})
  }

  async list(dir: string): Promise<string[]> {
    return (await readdir(dir).catch(() => [] as string[])).sort()
  }

  async stat(path: string): Promise<PathStat | undefined> {
    try {
      const st = await stat(path)
      return {type: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSocket() ? 'socket' : 'other'}
    } catch {
      return undefined
    }
  }

  async command(key: CommandKey, argv: string[], opts: CommandOptions = {}): Promise<CommandRecord | undefined> {
    // the socket table of a namespace is not run here: each process's sockets come from /proc (process())
    if (key === 'netns-sockets') return undefined
    if (key === 'netns-addresses' && opts.ns !== undefined) {
      const batched = this.prefetched.get(opts.ns)
      if (batched) return batched
      const r = await command(argv[0], argv.slice(1))
      // iproute2 before 4.13 has no -j (Grizzly-era nodes): the classic form
      if (r.exitCode !== 0 && !r.error) return command('ip', ['netns', 'exec', opts.ns, 'ip', 'addr', 'show'])
      return r
    }
    return command(argv[0], argv.slice(1))
  }

  /** Every process's cmdline, in one synchronous pass over /proc (2000 processes: 80 ms instead of 540 ms). */
  processes(): Promise<ProcessList> {
    this.scan ??= (async () => {
      const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))
      const entries = []
      for (const pid of pids) {
        const cmdline = readProcSync(`/proc/${pid}/cmdline`)
        if (cmdline) entries.push({cmdline, pid: Number(pid)})
      }
      return {entries}
    })()
    return this.scan
  }

  process(pid: number, role: ProcessRecord['role'], from: string, opts: {sockets: boolean}): Promise<ProcessRecord> {
    return processRecord(pid, role, from, opts.sockets)
  }

  /** Start time (on the wall clock, from the boot clock: node/proc-clock.ts), mount namespace against ours, parent. */
  async processDetails(pid: number): Promise<ProcessDetails> {
    this.clock ??= (async () => ({boot: readBootTimeMs(), mnt: await readlink('/proc/self/ns/mnt').catch(() => undefined)}))()
    const {boot, mnt: mine} = await this.clock
    const out: ProcessDetails = {}
    const ticks = procStartTicks((await readOr(`/proc/${pid}/stat`)) ?? '')
    if (boot !== undefined && ticks !== undefined) out.startedAt = new Date(startedAtMs(boot, ticks)).toISOString()
    const mnt = await readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined)
    if (mine !== undefined && mnt !== undefined) out.sameMountNamespace = mnt === mine
    const ppid = /^PPid:\s*(\d+)/m.exec((await readOr(`/proc/${pid}/status`)) ?? '')?.[1]
    if (ppid !== undefined) out.ppid = Number(ppid)
    return out
  }

  async readTail(path: string, maxBytes: number): Promise<TailRead> {
    return tailRecord(await readTail(path, maxBytes))
  }

  connect(path: string): Promise<FileRecord> {
    return fileRecord(path, {connect: true, read: false})
  }

  namespaceInode(ns: string): Promise<string | undefined> {
    return stat(`/run/netns/${ns}`).then(
      (s) => `net:[${s.ino}]`,
      () => undefined,
    )
  }

  async probe(ns: string, v6Device?: string): Promise<ProbeRecord> {
    const {probeFromNamespace} = await import('../node/probe.js')
    return probeFromNamespace(ns, v6Device)
  }

  /** Every namespace's addresses in a few processes; one missing from them (nsenter failed, or gone) is run by itself later. */
  async prefetch(_key: 'netns-addresses', namespaces: readonly string[]): Promise<void> {
    for (const [ns, rec] of await addressesOf(namespaces)) this.prefetched.set(ns, rec)
  }
}
