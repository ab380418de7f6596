/**
 * Small process helpers for the integration rig: run a program with an argument array (never
 * a shell string), inspect and signal processes by PID, and read the root namespace's network
 * state so a test can prove the rig left it alone.
 */
import {execFile} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** true when the run was stopped by the timeout */
  timedOut: boolean
  /** milliseconds from start to exit */
  ms: number
}

export interface RunOptions {
  /** milliseconds; the child gets SIGKILL after this. Default 15 s. */
  timeout?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Run `file args…` and collect its output. Never rejects: look at `code`. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        cwd: opts.cwd,
        encoding: 'utf8',
        env: opts.env ?? process.env,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        timeout: opts.timeout ?? 15_000,
      },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & {code?: number | string; killed?: boolean; signal?: NodeJS.Signals}) | null
        let code: number | null = 0
        if (e) code = typeof e.code === 'number' ? e.code : null
        if (e && typeof e.code === 'string') stderr = `${stderr}${e.message}\n` // ENOENT and friends
        resolve({
          code,
          ms: Date.now() - t0,
          signal: e?.signal ?? null,
          stderr: String(stderr),
          stdout: String(stdout),
          timedOut: Boolean(e?.killed) && e?.signal === 'SIGKILL',
        })
      },
    )
  })
}

export class RigError extends Error {}

/** Run and throw (with the command and its stderr) unless it exits 0. */
export async function must(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(file, args, opts)
  if (r.code !== 0) {
    throw new RigError(`${[file, ...args].join(' ')} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${r.stderr.trim() || r.stdout.trim()}`)
  }
  return r
}

/** `ip …` in the root namespace (only ever used for netns management and `-n NS` commands). */
export const ip = (args: readonly string[], opts?: RunOptions) => must('ip', args, opts)
/** `ip -n NS …`: a command about a namespace's links, addresses and routes. */
export const ipn = (ns: string, args: readonly string[], opts?: RunOptions) => must('ip', ['-n', ns, ...args], opts)

/** The namespaces `ip netns list` shows (the name only, without " (id: N)"). */
export async function netnsList(): Promise<string[]> {
  const r = await must('ip', ['netns', 'list'])
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '')
}

export async function netnsExists(name: string): Promise<boolean> {
  return existsSync(`/run/netns/${name}`) || (await netnsList()).includes(name)
}

// --- processes -------------------------------------------------------------------------------

/** The process state letter from /proc/PID/stat (R, S, D, Z, …), or null when there is no such process. */
export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) S ppid …": comm may contain spaces and parentheses, so cut at the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) || null
  } catch {
    return null
  }
}

/** Running, i.e. present and not a zombie. (PID 1 of some containers never reaps orphans.) */
export function isAlive(pid: number): boolean {
  const s = procState(pid)
  return s !== null && s !== 'Z' && s !== 'X'
}

/** /proc/PID/cmdline as an argv array ([] when gone). */
export function cmdline(pid: number): string[] {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    if (argv.at(-1) === '') argv.pop()
    return argv
  } catch {
    return []
  }
}

/** A PID the rig started, with a string its command line must contain (guards against PID reuse). */
export interface TrackedPid {
  pid: number
  match: string
  what: string
}

/** Is this still the process we started? */
export function isOurs(t: TrackedPid): boolean {
  return isAlive(t.pid) && cmdline(t.pid).join(' ').includes(t.match)
}

/** Signal a tracked process if it is still ours. Returns whether a signal was sent. */
export function signalOurs(t: TrackedPid, sig: NodeJS.Signals): boolean {
  if (!isOurs(t)) return false
  try {
    process.kill(t.pid, sig)
    return true
  } catch {
    return false
  }
}

/** Wait until `pred()` holds, polling; returns the last value of `pred()`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, step = 25): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    if (await pred()) return true
    if (Date.now() >= end) return false
    await sleep(step)
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone (or was not ours). */
export async function stopOurs(t: TrackedPid, graceMs = 1500): Promise<void> {
  if (!signalOurs(t, 'SIGTERM')) return
  if (await waitFor(() => !isAlive(t.pid), graceMs)) return
  signalOurs(t, 'SIGKILL')
  await waitFor(() => !isAlive(t.pid), 3000)
}

/** Read a pid file (dnsmasq, haproxy and the proxy write one); null while absent or empty. */
export function readPidFile(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isInteger(n) && n > 0 ? n : null
  } catch {
    return null
  }
}

// --- the root namespace, to prove nothing was added to it -------------------------------------

export interface RootNetState {
  addr4: string
  route4: string
  route6: string
  links: string
}

/** `ip -4 addr`, `ip route`, `ip -6 route` and the link names of the root namespace, with volatile counters stripped. */
export async function rootNetState(): Promise<RootNetState> {
  const [a, r, r6, l] = await Promise.all([
    must('ip', ['-4', '-o', 'addr', 'show']),
    must('ip', ['-4', 'route', 'show', 'table', 'all']),
    must('ip', ['-6', 'route', 'show', 'table', 'main']),
    must('ip', ['-o', 'link', 'show']),
  ])
  const links = l.stdout
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => n !== '')
    .sort()
    .join('\n')
  // lifetimes of dynamic addresses count down; keep the addresses themselves only
  const addr4 = a.stdout.replace(/\s+valid_lft.*$/gm, '').trim()
  const route6 = r6.stdout.replace(/ expires \d+sec/g, '').trim()
  return {addr4, links, route4: r.stdout.trim(), route6}
}
