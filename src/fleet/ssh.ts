/**
 * Snapshots from several hosts over ssh (issue 11, section 1): the system OpenSSH client, so the
 * operator's ~/.ssh/config, ProxyJump, agents and ControlMaster work as already set up.
 *
 * Per host: `ssh -G DEST` (prints the effective configuration without connecting) tells the login
 * user; then `ssh -o BatchMode=yes -o ConnectTimeout=N [-F cfg] [-o opt]... -- DEST <words>` runs
 * `[sudo -n] <remote command> collect NET` (or `collect --all`) there. ssh joins the words after DEST into one string
 * the remote login shell runs, so each word is quoted here for a POSIX shell. ssh itself is
 * spawned with an argument array (never a shell on our side), stopped by its PID at the per-host
 * timeout. Its stdout, capped like a snapshot file, must be a schema-checked snapshot; anything
 * else becomes HostInput.error, one line.
 *
 * ssh keeps the first value it obtains for an option: BatchMode=yes and ConnectTimeout come before
 * the operator's -o options, so no prompt ever appears and the connect timeout is ours.
 */
import {spawn} from 'node:child_process'
import {stat} from 'node:fs/promises'

import {shq} from '../chains/common/text.js'
import {type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {redactUrlUserinfo} from '../config/secrets.js'
import {cannotError, describeSystemError, usageError} from '../errors.js'
import {debug, redact} from '../output.js'
import {describeType, formatBytes, SNAPSHOT_MAX_BYTES} from '../system/read-file.js'
import type {HostInput} from './types.js'

export interface SshCollectOptions {
  /** ssh's -F */
  sshConfig?: string
  /** each passed as ssh's -o */
  sshOptions: string[]
  /** how quantum-meta runs on the remote (default `quantum-meta`): split into words, each quoted */
  remoteCommand: string
  /** hosts asked at once (default 16) */
  parallel: number
  /** ssh's ConnectTimeout, seconds */
  connectTimeoutS: number
  /** the whole exchange with one host, seconds: ssh is stopped (SIGTERM, then SIGKILL) after it */
  hostTimeoutS: number
  /** called as each host answers (progress on a TTY) */
  onHost?: (input: HostInput, done: number, total: number) => void
  /**
   * --agentless: run the read-only evidence script (fleet/agentless.ts) instead of quantum-meta, and
   * build the snapshot here; `tool` is recorded in it
   */
  agentless?: {tool: string; probe: boolean}
}

/** The longest --host-timeout (and --connect-timeout), seconds: what a Node timer holds (2^31-1 ms). */
export const MAX_TIMEOUT_S = 2_147_483

export const SSH_DEFAULTS = {connectTimeoutS: 10, hostTimeoutS: 120, parallel: 16, remoteCommand: 'quantum-meta'} as const

/** What ssh may print on stderr that is kept (its last line is the message shown). */
const STDERR_MAX_BYTES = 1024 * 1024

/**
 * The operator's --remote-command as words: split on blanks; single and double quotes group a word
 * (`"/opt/my tools/qm"`), a backslash escapes the next character. An unterminated quote is bad input.
 */
export function splitWords(command: string): string[] {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < command.length; i++) {
    const c = command[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) cur += command[++i]
      else cur += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < command.length) {
      cur += command[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (quote)
    throw usageError(
      'bad-remote-command',
      `--remote-command has an unterminated ${quote === '"' ? 'double' : 'single'} quote: ${JSON.stringify(command.slice(0, 80))}`,
    )
  if (inWord) words.push(cur)
  if (words.length === 0)
    throw usageError(
      'bad-remote-command',
      '--remote-command is empty: give how quantum-meta runs on the hosts, e.g. quantum-meta or "/usr/bin/node /opt/quantum-meta/bin/run.js"',
    )
  return words
}

/**
 * --ssh-config: a regular file (symlinks followed), checked before any ssh runs. ssh would open a FIFO
 * and wait on it, and every host would time out (exit 3 after 10 s): a FIFO, directory or device is
 * exit 2 at once; a missing or unreadable file exit 3, in one line either way.
 */
export async function checkSshConfig(path: string): Promise<void> {
  let st: import('node:fs').Stats
  try {
    st = await stat(path)
  } catch (error) {
    throw cannotError('ssh-config-unreadable', `--ssh-config ${path}: ${describeSystemError(error)}`)
  }
  if (!st.isFile()) throw usageError('ssh-config-not-regular', `--ssh-config ${path}: is ${describeType(st)}, not a regular file`)
}

/** A destination ssh would take for an option, or none at all: refused before anything runs (exit 2). */
export function checkDestination(host: string): string {
  if (host === '') throw usageError('bad-host', 'an empty --host names no ssh destination')
  if (host.startsWith('-'))
    throw usageError('bad-host', `--host ${JSON.stringify(host.slice(0, 80))}: an ssh destination cannot start with "-" (ssh would read it as an option)`)
  if (/[\s\u0000-\u001f\u007f]/.test(host))
    throw usageError('bad-host', `--host ${JSON.stringify(host.slice(0, 80))}: an ssh destination holds no blanks or control characters`)
  return host
}

interface Spawned {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  startError?: string
  timedOut: boolean
  overflow: boolean
}

/** A word a shell reads as a variable assignment in front of a command (`OS_PASSWORD=x quantum-meta`). */
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/
/** ssh's SetEnv option, as `-o SetEnv=...` or `-o "SetEnv ..."` */
const SET_ENV = /^\s*setenv\s*[=\s]/i

/** The variable names of a SetEnv value (`A=1 "B=two words"`), without their values. */
function setEnvNames(value: string): string[] {
  return [...value.matchAll(/(?:^|\s)"?([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1])
}

/**
 * ssh's argv as --debug shows it: an environment value is shown as `***` (the names stay), in `-o
 * SetEnv=...` and in the remote command's `NAME=value` words, whatever the name; a secret-named
 * value anywhere else too (`--password=x`).
 */
export function shownArgv(args: readonly string[]): string[] {
  const dest = args.indexOf('--')
  return args.map((a, i) => {
    if (i > 0 && args[i - 1] === '-o' && (dest < 0 || i < dest) && SET_ENV.test(a))
      return `SetEnv=${setEnvNames(a.replace(SET_ENV, ''))
        .map((n) => `${n}=***`)
        .join(' ')}`
    if (dest >= 0 && i > dest + 1) {
      const m = ASSIGNMENT.exec(a)
      if (m) return `${m[1]}=***`
    }
    // `--os-password x`: the word after a secret-named flag
    return i > 0 && redact([args[i - 1], a])[1] !== a ? '***' : redact([a])[0]
  })
}

/**
 * The values this run hands to the remote environment (SetEnv's, the remote command's `NAME=value`
 * words): hidden from every message about the host, in case the remote prints one back. Values
 * shorter than 4 characters are left (hiding `1` would garble every message).
 */
export function handedValues(opts: Pick<SshCollectOptions, 'sshOptions'>, command: readonly string[]): string[] {
  const values: string[] = []
  for (const o of opts.sshOptions) {
    if (!SET_ENV.test(o)) continue
    for (const m of o.replace(SET_ENV, '').matchAll(/(?:^|\s)"?[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g)) values.push(m[1].replace(/^"|"$/g, ''))
  }
  for (const w of command) {
    const m = ASSIGNMENT.exec(w)
    if (m) values.push(w.slice(m[0].length))
  }
  return values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)
}

/** The command the remote shell looks for: past `NAME=value` words (and `env` with its own). */
export function commandName(command: readonly string[]): string {
  let i = 0
  while (i < command.length && ASSIGNMENT.test(command[i])) i++
  if (command[i] === 'env') {
    i++
    while (i < command.length && (ASSIGNMENT.test(command[i]) || command[i].startsWith('-'))) i++
  }
  return command[i] ?? command.at(-1) ?? ''
}

/** After SIGTERM to an ssh's process group, how long before SIGKILL. */
const KILL_GRACE_MS = 2000
/**
 * After ssh has exited, how long its pipes may stay open: a helper it left (a ProxyCommand that
 * forked, in the group or out of it) may hold them for ever, and what ssh wrote is read by then.
 */
const PIPE_GRACE_MS = 1000

/** The process groups of the ssh processes still running (each ssh leads its own). */
const sshGroups = new Set<number>()

/**
 * SIGINT, SIGTERM or SIGHUP to quantum-meta: each ssh group still running is sent SIGTERM first, then
 * quantum-meta dies of the signal as it would have (exit 130/143 to a shell). ssh leads its own group,
 * outside the terminal's, so Ctrl-C reaches it only this way; a CI runner's SIGTERM never did.
 */
let onSignalsSet = false
function stopGroupsOnSignals(): void {
  if (onSignalsSet) return
  onSignalsSet = true
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const pgid of sshGroups) signalGroup(pgid, 'SIGTERM')
      // no listener is left for it now: the default action, as without this handler
      process.kill(process.pid, signal)
    })
  }
}

/** Signal a process group we started (ESRCH: it is gone). */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * ssh with an argument array; stdout capped at the snapshot cap. ssh leads a process group of its
 * own (spawned detached: a new session), so at the timeout the whole group is stopped (SIGTERM,
 * SIGKILL 2 s later): a ProxyCommand and whatever it forked, not only ssh. The answer is settled
 * when the pipes close, or at most 1 s after ssh exited (or after the SIGKILL): a helper that left
 * the group still holding the pipes does not hold the run. Whatever of the group outlives ssh is
 * stopped too: no process this run started is left behind.
 */
function spawnSsh(args: string[], timeoutMs: number, stdoutMax: number): Promise<Spawned> {
  debug(`run ssh ${shownArgv(args).map(shq).join(' ')}`)
  return new Promise((resolve) => {
    stopGroupsOnSignals()
    const child = spawn('ssh', args, {detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    const pgid = child.pid
    if (pgid !== undefined) sshGroups.add(pgid)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let outSize = 0
    let errSize = 0
    let timedOut = false
    let overflow = false
    let startError: string | undefined
    let exit: {code: number | null; signal: NodeJS.Signals | null} | undefined
    let forceKill: NodeJS.Timeout | undefined
    let pipeGrace: NodeJS.Timeout | undefined
    let reads = 0
    let settled = false
    const settle = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(forceKill)
      clearTimeout(pipeGrace)
      if (pgid !== undefined) sshGroups.delete(pgid)
      child.stdout.destroy()
      child.stderr.destroy()
      resolve({
        exitCode: exit?.code ?? null,
        overflow,
        signal: exit?.signal ?? null,
        startError,
        stderr: Buffer.concat(err).toString('utf8'),
        stdout: Buffer.concat(out),
        timedOut,
      })
    }
    // the pipes after ssh is gone (or killed): settled once they have been quiet for PIPE_GRACE_MS.
    // The check waits one turn of the event loop (setImmediate runs after the I/O poll), so what
    // ssh wrote is read first even when this process was held off the CPU longer than the grace
    // (a timer due is run before the pipes are polled)
    const quietThenSettle = () => {
      if (settled || pipeGrace !== undefined) return
      const seen = reads
      pipeGrace = setTimeout(
        () =>
          setImmediate(() => {
            pipeGrace = undefined
            if (reads === seen) settle()
            else quietThenSettle()
          }),
        PIPE_GRACE_MS,
      )
    }
    const stop = () => {
      if (pgid !== undefined) signalGroup(pgid, 'SIGTERM')
      forceKill ??= setTimeout(() => {
        if (pgid !== undefined) signalGroup(pgid, 'SIGKILL')
        quietThenSettle()
      }, KILL_GRACE_MS)
    }
    child.stdout.on('data', (b: Buffer) => {
      reads++
      outSize += b.length
      if (outSize > stdoutMax) {
        if (!overflow) stop()
        overflow = true
        return
      }
      out.push(b)
    })
    child.stderr.on('data', (b: Buffer) => {
      reads++
      if (errSize < STDERR_MAX_BYTES) err.push(b)
      errSize += b.length
    })
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, timeoutMs)
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError =
        e.code === 'ENOENT'
          ? 'ssh is not installed here (the OpenSSH client is needed: apt-get install openssh-client)'
          : `ssh could not start: ${e.code ?? e.message}`
    })
    child.on('exit', (code, signal) => {
      exit = {code, signal}
      // what ssh left in its group (a forked ProxyCommand helper) goes with it
      if (pgid !== undefined && signalGroup(pgid, 0)) signalGroup(pgid, 'SIGTERM')
      quietThenSettle()
    })
    child.on('close', (code, signal) => {
      exit ??= {code, signal}
      settle()
    })
  })
}

/** The last line ssh (or the remote) printed on stderr, trimmed, printable, at most 200 chars. */
export function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const line = lines.at(-1) ?? ''
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200)
}

const shown = (s: string, n = 80) => JSON.stringify(s.slice(0, n))

/** ssh's own options, shared by `ssh -G` and the real connection. */
function baseArgs(opts: SshCollectOptions): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${opts.connectTimeoutS}`]
  if (opts.sshConfig !== undefined) args.push('-F', opts.sshConfig)
  for (const o of opts.sshOptions) args.push('-o', o)
  return args
}

/** The login user ssh would use for DEST (`ssh -G`: no connection), or an error line. */
async function loginUser(host: string, opts: SshCollectOptions): Promise<{user: string} | {error: string}> {
  const r = await spawnSsh([...baseArgs(opts), '-G', '--', host], 10_000, 1024 * 1024)
  if (r.startError) return {error: r.startError}
  if (r.exitCode !== 0) return {error: `ssh -G ${host} failed: ${lastLine(r.stderr) || `exit ${r.exitCode ?? r.signal}`}`}
  const m = /^user (.+)$/m.exec(r.stdout.toString('utf8'))
  return m ? {user: m[1].trim()} : {error: `ssh -G ${host} printed no user`}
}

/** The argv after `ssh`: our options, the operator's, `--`, DEST and the quoted remote words. */
export function sshArgv(host: string, words: string[], opts: SshCollectOptions): string[] {
  return [...baseArgs(opts), '-T', '--', checkDestination(host), ...words.map(shq)]
}

/** The remote words: `[sudo -n] <remote command> collect NET` (the network id is a checked UUID), or `collect --all` when no network is named. */
export function remoteWords(remoteCommand: string[], network: string | undefined, user: string): string[] {
  return [...(user === 'root' ? [] : ['sudo', '-n']), ...remoteCommand, 'collect', network ?? '--all']
}

/** One host: its snapshot, or why there is none (one line, no value handed to the remote, no URL password). */
export async function collectOne(host: string, network: string | undefined, command: string[], opts: SshCollectOptions): Promise<HostInput> {
  const r = await collectFrom(host, network, command, opts)
  if (r.error === undefined) return r
  let error = r.error
  for (const value of handedValues(opts, command)) error = error.replaceAll(value, '***')
  return {...r, error: redactUrlUserinfo(error)}
}

async function collectFrom(host: string, network: string | undefined, command: string[], opts: SshCollectOptions): Promise<HostInput> {
  const started = Date.now()
  const who = await loginUser(host, opts)
  if ('error' in who) return {error: who.error, host}
  const agentless = opts.agentless ? await import('./agentless.js') : undefined
  const words = agentless ? agentless.agentlessWords(network, who.user, opts.agentless?.probe) : remoteWords(command, network, who.user)
  const args = sshArgv(host, words, opts)
  const budget = Math.max(1, opts.hostTimeoutS * 1000 - (Date.now() - started))
  const r = await spawnSsh(args, budget, SNAPSHOT_MAX_BYTES)
  debug(`ssh ${host}: exit ${r.exitCode ?? r.signal} in ${Date.now() - started} ms, ${r.stdout.length} bytes`)
  if (r.startError) return {error: r.startError, host}
  if (r.timedOut) return {error: `${host} did not answer within ${opts.hostTimeoutS} s (ssh stopped)`, host}
  if (r.overflow) return {error: `${host} printed more than ${formatBytes(SNAPSHOT_MAX_BYTES)}, more than a snapshot may be`, host}
  // 255: ssh's own failure (unreachable, host key, permission denied): its message as it is
  if (r.exitCode === 255) return {error: lastLine(r.stderr) || `ssh to ${host} failed (exit 255)`, host}
  if (r.exitCode === 127 && agentless) return {error: `sh not found on ${host} (exit 127)${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ''}`, host}
  if (r.exitCode === 127) return {error: `${commandName(command)} not found on ${host} (exit 127)${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ''}`, host}
  if (r.exitCode === 1 && who.user !== 'root' && /sudo/i.test(r.stderr) && r.stdout.length === 0) {
    return {error: `sudo -n refused on ${host} for ${who.user}: ${lastLine(r.stderr)}`, host}
  }
  if (agentless && opts.agentless) return fromBundle(host, network, r, opts.agentless)
  const text = r.stdout.toString('utf8')
  if (text.trim() === '') {
    return {error: `${host} printed no snapshot (exit ${r.exitCode ?? r.signal})${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ''}`, host}
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return {error: `${host} printed no snapshot: ${shown(text.trim())}`, host}
  }
  if ((doc as Partial<Snapshot> | null)?.format !== SNAPSHOT_FORMAT) return {error: `${host} printed no snapshot: ${shown(text.trim())}`, host}
  const {checkSnapshot} = await import('../chains/snapshot.js')
  const checked = checkSnapshot(doc)
  if (!checked.ok) return {error: `${host} printed an invalid snapshot: ${checked.field}: ${checked.problem}`, host}
  const {redactSnapshot} = await import('../chains/redact.js')
  return {host, snapshot: redactSnapshot(checked.snapshot)}
}

/** An agentless host's answer: its framed evidence read (frame.ts), then the DHCP chain's collector over it (agentless.ts). */
async function fromBundle(host: string, network: string | undefined, r: Spawned, how: {tool: string; probe: boolean}): Promise<HostInput> {
  const [{parseBundle}, {snapshotOfBundle}, {checkSnapshot}] = await Promise.all([
    import('../sources/agentless/frame.js'),
    import('./agentless.js'),
    import('../chains/snapshot.js'),
  ])
  const parsed = parseBundle(r.stdout)
  if (!parsed.ok) {
    const why = r.exitCode !== 0 && lastLine(r.stderr) ? ` (exit ${r.exitCode ?? r.signal}: ${lastLine(r.stderr)})` : ''
    return {error: `${host} ${parsed.error}${why}`, host}
  }
  const snapshot = await snapshotOfBundle(parsed.bundle, host, network, how.tool, how.probe)
  const checked = checkSnapshot(JSON.parse(JSON.stringify(snapshot)))
  if (!checked.ok) return {error: `${host}: its evidence made an invalid snapshot: ${checked.field}: ${checked.problem}`, host}
  return {host, snapshot}
}

/**
 * Every host's snapshot of NETWORK (undefined: of every network it serves, `collect --all`), at most `parallel` hosts at once, in the order given. Bad
 * input (a destination that is an option, an empty or unbalanced remote command) throws exit 2
 * before anything runs; a host that fails is a HostInput with `error`.
 */
export async function collectOverSsh(hosts: string[], network: string | undefined, opts: SshCollectOptions): Promise<HostInput[]> {
  for (const h of hosts) checkDestination(h)
  if (opts.sshConfig !== undefined) await checkSshConfig(opts.sshConfig)
  const command = splitWords(opts.remoteCommand)
  if (!Number.isInteger(opts.parallel) || opts.parallel < 1)
    throw usageError('bad-parallel', `--parallel must be a whole number of 1 or more, got ${opts.parallel}`)
  // a Node timer holds at most 2^31-1 ms: beyond it, it fires after 1 ms (every host stopped at once)
  for (const [flag, value] of [
    ['--host-timeout', opts.hostTimeoutS],
    ['--connect-timeout', opts.connectTimeoutS],
  ] as const)
    if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_S)
      throw usageError('bad-timeout', `${flag} must be a whole number of seconds from 1 to ${MAX_TIMEOUT_S} (about 24 days), got ${value}`)
  const results: HostInput[] = Array.from({length: hosts.length})
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < hosts.length) {
      const i = next++
      results[i] = await collectOne(hosts[i], network, command, opts)
      opts.onHost?.(results[i], ++done, hosts.length)
    }
  }
  await Promise.all(Array.from({length: Math.min(opts.parallel, hosts.length)}, worker))
  return results
}
