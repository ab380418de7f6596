/**
 * A node's files under another root: a container's root filesystem, an unpacked image, a copy of a
 * node's /etc and /var/lib. Files are read from the root as the node itself would see them; the rest
 * (processes, commands, namespaces, probes) comes from the view it is rooted on (this node, for a
 * container running here). Evidence names every file by its path on the node, never by the root's.
 *
 * Paths resolve inside the root as a chroot would: an absolute symlink target starts again at the root,
 * `..` never climbs above it, at most 40 symlinks per path; the file itself is then opened without
 * following a symlink, and must be the one the walk found (device and inode), so a link swapped in at
 * the last component is not followed. Not covered: a root that swaps one of its own directories for a
 * symlink between the walk and the open (a running container racing the reader): the /proc/PID/root
 * source this seam is for should resolve through openat2(RESOLVE_IN_ROOT) or inside the container's
 * mount namespace before it reads a hostile container's files.
 */
import type {Stats} from 'node:fs'
import {lstat, readdir, readlink} from 'node:fs/promises'
import {join, posix} from 'node:path'

import type {CommandRecord, FileRecord, ProbeRecord, ProcessRecord} from '../evidence/evidence.js'
import {readRegularFile, readTail, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'
import {
  type CommandKey,
  type CommandOptions,
  type FileOptions,
  type NodeView,
  type NotTold,
  type PathStat,
  type ProcessDetails,
  type ProcessList,
  type TailRead,
  tailRecord,
} from './view.js'

const MAX_LINKS = 40

/** Where a node path is under the root, every symlink followed inside it; undefined when nothing is there. */
interface Resolved {
  /** the path to open, under the root, free of symlinks */
  host: string
  /** the same path as the node sees it */
  inRoot: string
  /** lstat of `host` */
  st: Stats
}

const parts = (p: string) => p.split('/').filter((x) => x !== '' && x !== '.')

export class RootedView implements NodeView {
  readonly kind = 'rooted' as const

  constructor(
    /** the directory that is the node's `/` (a container's /proc/PID/root, an unpacked image) */
    readonly root: string,
    /** where processes, commands and namespaces come from */
    readonly base: NodeView,
  ) {}

  /** `path` resolved as the node would, inside the root. A symlink loop throws ELOOP. */
  async resolve(path: string): Promise<Resolved | undefined> {
    let todo = parts(path)
    const done: string[] = []
    let links = 0
    for (;;) {
      const part = todo.shift()
      const host = join(this.root, ...done)
      if (part === undefined) {
        const st = await lstat(host).catch(() => undefined)
        return st && {host, inRoot: `/${done.join('/')}`, st}
      }
      if (part === '..') {
        done.pop()
        continue
      }
      let st: Stats
      try {
        st = await lstat(join(host, part))
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
        throw error
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw Object.assign(new Error(`${path}: too many levels of symbolic links`), {code: 'ELOOP'})
        const target = await readlink(join(host, part))
        if (target.startsWith('/')) done.length = 0
        todo = [...parts(target), ...todo]
        continue
      }
      if (todo.length > 0 && !st.isDirectory()) return undefined
      done.push(part)
    }
  }

  async readFile(path: string, opts: FileOptions = {}): Promise<FileRecord> {
    let r: Resolved | undefined
    try {
      r = await this.resolve(path)
    } catch (error) {
      return {error: (error as NodeJS.ErrnoException).code ?? String(error), path, state: 'error'}
    }
    if (!r) return {path, state: 'missing'}
    const type = r.st.isFile() ? 'file' : r.st.isSocket() ? 'socket' : r.st.isDirectory() ? 'directory' : 'other'
    const rec: FileRecord = {path, state: 'present', type}
    // regular files only, bounded, the file the walk found: a FIFO, device or directory is an error, never a hang
    const read = await readRegularFile(r.host, TEXT_FILE_MAX_BYTES, r.st, {noFollow: true})
    if (!read.ok)
      return read.kind === 'missing' ? {path, state: 'missing'} : {...rec, error: read.kind === 'unreadable' ? read.code : read.reason, state: 'error'}
    rec.content = read.text
    if (opts.resolve) {
      rec.mtime = r.st.mtime.toISOString()
      if (r.inRoot !== path) rec.realpath = r.inRoot
    }
    return rec
  }

  /**
   * A log under the root: its directory resolved as a chroot would, its last component taken as it is
   * (a symlink there is refused, as on the node itself).
   */
  async readTail(path: string, maxBytes: number): Promise<TailRead> {
    let dir: Resolved | undefined
    try {
      dir = await this.resolve(posix.dirname(path))
    } catch (error) {
      return {error: (error as NodeJS.ErrnoException).code ?? String(error), state: 'error'}
    }
    if (!dir?.st.isDirectory()) return {state: 'missing'}
    return tailRecord(await readTail(join(dir.host, posix.basename(path)), maxBytes))
  }

  async list(dir: string): Promise<string[]> {
    const r = await this.resolve(dir).catch(() => undefined)
    if (!r?.st.isDirectory()) return []
    return (await readdir(r.host).catch(() => [] as string[])).sort()
  }

  async stat(path: string): Promise<PathStat | undefined> {
    const r = await this.resolve(path).catch(() => undefined)
    if (!r) return undefined
    return {type: r.st.isFile() ? 'file' : r.st.isDirectory() ? 'directory' : r.st.isSocket() ? 'socket' : 'other'}
  }

  /** A UNIX socket under the root, connected to (on the base view) at its place there; recorded by its node path. */
  async connect(path: string): Promise<FileRecord> {
    const r = await this.resolve(path).catch(() => undefined)
    if (!r) return {path, state: 'missing'}
    if (!this.base.connect) return {error: 'this source cannot connect to a socket', path, state: 'not-collected'}
    return {...(await this.base.connect(r.host)), path}
  }

  // everything but files: the view it is rooted on
  command(key: CommandKey, argv: string[], opts?: CommandOptions): Promise<CommandRecord | undefined> {
    return this.base.command(key, argv, opts)
  }

  processes(): Promise<ProcessList> {
    return this.base.processes()
  }

  process(pid: number, role: ProcessRecord['role'], from: string, opts: {sockets: boolean}): Promise<ProcessRecord | NotTold> {
    return this.base.process(pid, role, from, opts)
  }

  processDetails(pid: number): Promise<ProcessDetails> {
    return this.base.processDetails ? this.base.processDetails(pid) : Promise.resolve({})
  }

  async namespaceInode(ns: string): Promise<string | undefined> {
    return this.base.namespaceInode?.(ns)
  }

  async probe(ns: string, v6Device?: string): Promise<ProbeRecord> {
    if (!this.base.probe)
      return {argv: [], error: 'this source cannot probe', url: v6Device ? `http://[fe80::a9fe:a9fe%${v6Device}]/` : 'http://169.254.169.254/'}
    return this.base.probe(ns, v6Device)
  }

  async prefetch(key: 'netns-addresses', namespaces: readonly string[]): Promise<void> {
    await this.base.prefetch?.(key, namespaces)
  }
}
