/**
 * A containerised agent's node, live: the agent's files (its config, its state path, its socket) as
 * the agent sees them, read through its /proc/PID/root (rooted.ts resolves every path inside that
 * root, as a chroot would); the rest of the node (processes, namespaces, commands, probes) from the
 * host (live.ts). A pid the agent's pid files name is, when the agent has a pid namespace of its own,
 * a pid of that namespace: it is mapped to the host's before the process is looked up
 * (node/container.ts). Another agent's files (the metadata agent in its own container) are read
 * through that agent's root, by path.
 */
import type {ContainerRecord, FileRecord, ProbeRecord, ProcessRecord} from '../evidence/evidence.js'
import {pidNamespaceOf, pidsOfNamespace} from '../node/container.js'
import {LiveView} from './live.js'
import {RootedView} from './rooted.js'
import type {CommandKey, CommandOptions, FileOptions, NodeView, NotTold, PathStat, ProcessDetails, ProcessList, TailRead} from './view.js'

export class ContainerView implements NodeView {
  readonly kind = 'live' as const
  private readonly files: RootedView
  private readonly others = new Map<string, NodeView>()
  private pidMap?: Map<number, number>

  constructor(
    readonly container: ContainerRecord,
    readonly base: NodeView = new LiveView(),
    private readonly proc = '/proc',
  ) {
    this.files = new RootedView(container.root, base)
  }

  /** Read `path` through another container's root (the metadata agent's config, in its own container). */
  readThrough(path: string, other: ContainerRecord): void {
    this.others.set(path, new RootedView(other.root, this.base))
  }

  /** Read `path` from the host itself (a deployment's host copy of a config whose agent does not run). */
  readFromHost(path: string): void {
    this.others.set(path, this.base)
  }

  private filesOf(path: string): NodeView {
    return this.others.get(path) ?? this.files
  }

  readFile(path: string, opts?: FileOptions): Promise<FileRecord> {
    return this.filesOf(path).readFile(path, opts)
  }

  list(dir: string): Promise<string[]> {
    return this.files.list(dir)
  }

  stat(path: string): Promise<PathStat | undefined> {
    return this.files.stat(path)
  }

  readTail(path: string, maxBytes: number): Promise<TailRead> {
    const view = this.filesOf(path)
    return view.readTail ? view.readTail(path, maxBytes) : Promise.resolve({error: 'this source cannot read a log', state: 'not-collected'})
  }

  connect(path: string): Promise<FileRecord> {
    return this.files.connect(path)
  }

  /** The host pid of a pid the container's files name: the same where the agent shares the host's pid namespace. */
  hostPid(pid: number): number | undefined {
    if (this.container.pidNamespace === 'host') return pid
    if (!this.pidMap) {
      const ns = pidNamespaceOf(this.container.pid, this.proc)
      this.pidMap = ns === undefined ? new Map() : pidsOfNamespace(ns, this.proc)
    }
    return this.pidMap.get(pid)
  }

  async process(pid: number, role: ProcessRecord['role'], from: string, opts: {sockets: boolean}): Promise<ProcessRecord | NotTold> {
    if (this.container.pidNamespace === 'host') return this.base.process(pid, role, from, opts)
    const host = this.hostPid(pid)
    const where = `${from}, pid ${pid} of the container's pid namespace`
    if (host === undefined) return {alive: false, from: `${where}: no process has it`, pid, role}
    return this.base.process(host, role, `${where} (host pid ${host})`, opts)
  }

  command(key: CommandKey, argv: string[], opts?: CommandOptions) {
    return this.base.command(key, argv, opts)
  }

  processes(): Promise<ProcessList> {
    return this.base.processes()
  }

  processDetails(pid: number): Promise<ProcessDetails> {
    return this.base.processDetails ? this.base.processDetails(pid) : Promise.resolve({})
  }

  async namespaceInode(ns: string): Promise<string | undefined> {
    return this.base.namespaceInode?.(ns)
  }

  probe(ns: string, v6Device?: string): Promise<ProbeRecord> {
    return this.files.probe(ns, v6Device)
  }

  async prefetch(key: 'netns-addresses', namespaces: readonly string[]): Promise<void> {
    await this.base.prefetch?.(key, namespaces)
  }
}

/** Whether a view reads files through the root of the container process `pid` runs in (its agent's files are the view's). */
export const readsThrough = (view: NodeView, pid: number): boolean => view instanceof ContainerView && view.container.pid === pid

/**
 * This node, live, where one directory of a stopped container is read from its host source (kolla's
 * state volume: /var/lib/neutron/kolla in the container is the volume's _data on the host). Records keep
 * the container's path, as the agent's files name it (haproxy's config names the socket so).
 */
export class VolumeView extends LiveView {
  constructor(
    /** the directory as the container sees it */
    readonly inContainer: string,
    /** where it is on the host */
    readonly onHost: string,
  ) {
    super()
  }

  private host(path: string): string | undefined {
    if (path === this.inContainer) return this.onHost
    return path.startsWith(`${this.inContainer}/`) ? `${this.onHost}${path.slice(this.inContainer.length)}` : undefined
  }

  private async named(path: string, rec: Promise<FileRecord>): Promise<FileRecord> {
    const r = await rec
    return {...r, path}
  }

  override readFile(path: string, opts?: FileOptions): Promise<FileRecord> {
    const h = this.host(path)
    return h === undefined ? super.readFile(path, opts) : this.named(path, super.readFile(h, opts))
  }

  override list(dir: string): Promise<string[]> {
    return super.list(this.host(dir) ?? dir)
  }

  override stat(path: string): Promise<PathStat | undefined> {
    return super.stat(this.host(path) ?? path)
  }

  override connect(path: string): Promise<FileRecord> {
    const h = this.host(path)
    return h === undefined ? super.connect(path) : this.named(path, super.connect(h))
  }
}
