/**
 * The collectors' reading of this node: a command's output, a file (regular files only, bounded), a
 * UNIX socket's connect(), a process's /proc entries. Each becomes a record of evidence/, verbatim.
 */
import {readFileSync} from 'node:fs'
import {lstat, readFile, readdir, readlink, realpath, stat} from 'node:fs/promises'
import {connect} from 'node:net'

import type {CommandRecord, FileRecord, ProcessRecord} from '../evidence/evidence.js'
import {debug} from '../output.js'
import {run} from '../system/exec.js'
import {readRegularFile, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'
import {containerInCgroup} from './container.js'
import {readProcTable} from './procfs.js'

export async function command(file: string, args: string[]): Promise<CommandRecord> {
  const r = await run(file, args, {timeoutMs: 15_000})
  return {argv: r.command, error: r.failedToStart ?? (r.timedOut ? 'timed out' : undefined), exitCode: r.exitCode, stderr: r.stderr, stdout: r.stdout}
}

export async function fileRecord(path: string, opts: {read?: boolean; connect?: boolean; resolve?: boolean} = {read: true}): Promise<FileRecord> {
  debug(`read ${path}`)
  try {
    const st = await lstat(path)
    const type = st.isFile() ? 'file' : st.isSocket() ? 'socket' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other'
    const rec: FileRecord = {path, state: 'present', type}
    if (opts.read !== false) {
      // regular files only, bounded: a FIFO, device or directory (or a symlink to one) is an error, never a hang
      const r = await readRegularFile(path, TEXT_FILE_MAX_BYTES, st)
      if (!r.ok) return r.kind === 'missing' ? {path, state: 'missing'} : {...rec, error: r.kind === 'unreadable' ? r.code : r.reason, state: 'error'}
      rec.content = r.text
    }
    if (opts.resolve) {
      rec.mtime = (type === 'symlink' ? await stat(path) : st).mtime.toISOString()
      const real = await realpath(path).catch(() => path)
      if (real !== path) rec.realpath = real
    }
    if (opts.connect && type === 'socket') Object.assign(rec, await tryConnect(path))
    return rec
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? {path, state: 'missing'} : {error: code ?? String(error), path, state: 'error'}
  }
}

/**
 * connect() to a UNIX socket and close it: local IPC, no network traffic. Linux answers EAGAIN when
 * a listener's accept queue is full (ECONNREFUSED is the one for "nobody listens"): a busy agent is
 * given up to a second to make room, and the time it made us wait is recorded.
 */
export async function tryConnect(path: string): Promise<{connect: string; busyMs?: number}> {
  const started = Date.now()
  let busy = false
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const s = connect({path})
      const done = (v: string) => {
        s.destroy()
        resolve(v)
      }
      s.setTimeout(1000, () => done('timeout'))
      s.once('connect', () => done('ok'))
      s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message))
    })
    busy ||= outcome === 'EAGAIN'
    const waited = Date.now() - started
    if (outcome === 'EAGAIN' && waited < 1000) {
      await new Promise((r) => setTimeout(r, 100))
      continue
    }
    return busy ? {busyMs: waited, connect: outcome} : {connect: outcome}
  }
}

export const readOr = (path: string) => readFile(path, 'utf8').catch(() => undefined)

export function readProcSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

export async function processRecord(pid: number, role: ProcessRecord['role'], from: string, sockets: boolean): Promise<ProcessRecord> {
  const base = `/proc/${pid}`
  const cmdline = await readOr(`${base}/cmdline`)
  // gone, or a zombie not reaped yet (its cmdline is empty): either way it serves nothing
  if (cmdline === undefined || cmdline === '') return {alive: false, from, pid, role}
  const rec: ProcessRecord = {alive: true, cmdline, from, pid, role}
  rec.netns = await readlink(`${base}/ns/net`).catch(() => undefined)
  // a sidecar (kolla 2025.2's wrappers, TripleO): the container its cgroup names
  const boxed = containerInCgroup((await readOr(`${base}/cgroup`)) ?? '')
  if (boxed) rec.container = boxed
  if (sockets) {
    // haproxy -Ws (kolla's and TripleO's sidecars): the pid file names the master, a worker it forked
    // holds the sockets; its children's sockets count as its own
    const children = ((await readOr(`${base}/task/${pid}/children`)) ?? '')
      .split(/\s+/)
      .filter((c) => /^\d+$/.test(c))
      .slice(0, 16)
    const socketsOf = async (p: string) => {
      const fds = await readdir(`/proc/${p}/fd`).catch(() => [] as string[])
      return Promise.all(fds.map((fd) => readlink(`/proc/${p}/fd/${fd}`).catch(() => '')))
    }
    const links = (await Promise.all([String(pid), ...children].map(socketsOf))).flat()
    rec.fdLinks = links.filter((l) => l.startsWith('socket:'))
    if (children.length > 0)
      rec.children = children.map(Number)
      // the namespace's TCP tables, one kernel walk each (node/procfs.ts)
    ;[rec.tcp, rec.tcp6] = await Promise.all([readProcTable(`${base}/net/tcp`), readProcTable(`${base}/net/tcp6`)])
  }
  return rec
}

export const pidOf = (f: FileRecord) => (f.state === 'present' && /^\s*\d+\s*$/.test(f.content ?? '') ? Number(f.content) : undefined)
