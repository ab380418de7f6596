/**
 * Where evidence is read from: one reader (a NodeView) that every chain's collector is written
 * against, whatever the source. The sources (hotsos's "data root": the same catalogue of commands and
 * files, live or recorded):
 *   - this node, now (live.ts): files and /proc read directly, commands run, sockets connected to;
 *   - a sosreport (sosreport/view.ts): files from its copies of /etc and /var/lib, commands from the
 *     outputs sos kept (sosreport/catalog.ts), processes from its `ps auxwww`, sockets from its netstat;
 *   - a node's files under another root (rooted.ts): a container's root filesystem, an image, a copy;
 *     the rest (processes, namespaces) from the view it is rooted on.
 *   - an ssh host with nothing installed (agentless/view.ts): what its read-only script sent over one
 *     connection, with the pids, sockets and connect() answers it carries.
 *
 * A view answers in evidence records (evidence/evidence.ts), verbatim: a file is present with its
 * content, missing, or not collected (the source has no copy, and why); a command's output, or why it
 * is not in the source. What only some sources can do cheaply is an optional capability (connect to a
 * socket, the namespace's inode, a probe from inside a namespace, a batched prefetch), so a live node
 * keeps its batching (every namespace's addresses in a few processes, one connect per socket) instead
 * of being flattened into one call per file.
 */
import type {TailResult} from '../system/read-file.js'
import type {CommandRecord, FileRecord, FileState, ProbeRecord, ProcessRecord} from '../evidence/evidence.js'

/**
 * The commands a collector asks a view for, by key. A live node runs the argv it is given (with its
 * own fallbacks); a recorded source returns what it kept under that key, with the argv it ran.
 *   netns-list       `ip netns list`
 *   netns-addresses  the addresses inside namespace `ns` (ip -j -n NS addr show)
 *   netns-sockets    the socket table inside namespace `ns` (netstat/ss): only a recorded source has
 *                    it; a live node reads each process's sockets from /proc instead (process())
 *   netns-rules      `iptables-save` inside namespace `ns` (a router's rules)
 *   ovsdb            an ovs-vsctl / ovn-sbctl / ovn-nbctl query (a live node only)
 *   journal          `journalctl -u UNIT -n N -o short-iso --no-pager` (read-only; a live node only)
 */
export type CommandKey = 'netns-list' | 'netns-addresses' | 'netns-sockets' | 'netns-rules' | 'ovsdb' | 'journal'

export interface CommandOptions {
  /** the namespace a per-namespace command is about */
  ns?: string
}

/** One process of the node's process list. */
export interface ProcessEntry {
  pid: number
  /** /proc/PID/cmdline (NUL-separated) on a live node; the command as ps printed it in a recorded list */
  cmdline: string
}

export interface ProcessList {
  entries: readonly ProcessEntry[]
  /** where a recorded list came from (e.g. sos_commands/process/ps_auxwww); undefined: /proc, now */
  from?: string
  /** how a message names it (the path the operator would open), control characters escaped */
  shownAs?: string
  /** the source has no process list, and why (then `entries` is empty) */
  notCollected?: string
}

/** What a live node also tells about a process (a recorded list does not). */
export interface ProcessDetails {
  /** ISO 8601, 10 ms resolution (node/proc-clock.ts) */
  startedAt?: string
  /** false when it runs in another mount namespace (a container): its paths are not this node's */
  sameMountNamespace?: boolean
  ppid?: number
}

/** A process looked up by pid cannot be told running or not (the source has no process list): why. */
export interface NotTold {
  notCollected: string
}

export interface FileOptions {
  /** also record mtime and the resolved path (a config whose age or real name a check compares) */
  resolve?: boolean
}

/** The end of a log, as a view reads it (system/read-file.ts readTail): raw text, not yet cleaned or redacted. */
export interface TailRead {
  state: FileState
  error?: string
  text?: string
  /** byte offset of the text's first line in the file */
  offset?: number
  size?: number
  mtime?: string
}

export interface PathStat {
  type: 'file' | 'directory' | 'socket' | 'other'
}

export interface NodeView {
  /** which kind of source: messages and a few records differ by it */
  readonly kind: 'live' | 'sosreport' | 'rooted' | 'agentless'
  /** a node file by its path on the node: present (bounded, regular files only), missing, or not collected */
  readFile(path: string, opts?: FileOptions): Promise<FileRecord>
  /** the names in a directory of the node, sorted (none when it is not there) */
  list(dir: string): Promise<string[]>
  /** what is at a path (symlinks followed), undefined when nothing is */
  stat(path: string): Promise<PathStat | undefined>
  /** a command's output by key (see CommandKey); undefined when this source neither runs nor recorded it */
  command(key: CommandKey, argv: string[], opts?: CommandOptions): Promise<CommandRecord | undefined>
  /** the node's processes (read once per view) */
  processes(): Promise<ProcessList>
  /** one process by pid, as evidence: running or not (with `sockets`, its sockets where the source can tell) */
  process(pid: number, role: ProcessRecord['role'], from: string, opts: {sockets: boolean}): Promise<ProcessRecord | NotTold>

  // capabilities: what some sources can do cheaply (a collector asks whether the view has them)
  /** the last `maxBytes` of a log file, whole lines (a symlink at the path, a FIFO or device refused) */
  readTail?(path: string, maxBytes: number): Promise<TailRead>
  /** start time, mount namespace, parent of a process */
  processDetails?(pid: number): Promise<ProcessDetails>
  /** a UNIX socket: whether it is there and accepts connections (connect() on a live node; the socket table of a recorded one) */
  connect?(path: string): Promise<FileRecord>
  /** the inode of a network namespace (net:[N]) */
  namespaceInode?(ns: string): Promise<string | undefined>
  /** one GET of the metadata address from inside a namespace; with `v6Device`, of http://[fe80::a9fe:a9fe%DEV]/ */
  probe?(ns: string, v6Device?: string): Promise<ProbeRecord>
  /** fetch a per-namespace command for many namespaces at once; command() then answers from it */
  prefetch?(key: 'netns-addresses', namespaces: readonly string[]): Promise<void>
}

/** A TailResult (system/read-file.ts) as a view answers it. */
export function tailRecord(r: TailResult): TailRead {
  if (r.ok) return {mtime: r.stat.mtime.toISOString(), offset: r.offset, size: r.size, state: 'present', text: r.text}
  return r.kind === 'missing' ? {state: 'missing'} : {error: r.reason, state: 'error'}
}

/** Whether a process lookup could not tell. */
export const notTold = (r: ProcessRecord | NotTold): r is NotTold => 'notCollected' in r
