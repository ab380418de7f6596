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

import {shq} from '../chains/common/text.js'
import {type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {usageError} from '../errors.js'
import {debug} from '../output.js'
import {formatBytes, SNAPSHOT_MAX_BYTES} from '../system/read-file.js'
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
}

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

/** ssh with an argument array; stdout capped at the snapshot cap, stopped by PID at the timeout. */
function spawnSsh(args: string[], timeoutMs: number, stdoutMax: number): Promise<Spawned> {
  debug(`run ssh ${args.map(shq).join(' ')}`)
  return new Promise((resolve) => {
    const child = spawn('ssh', args, {stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let outSize = 0
    let errSize = 0
    let timedOut = false
    let overflow = false
    let startError: string | undefined
    let forceKill: NodeJS.Timeout | undefined
    const stop = () => {
      // the child we spawned, by its PID (ChildProcess.kill)
      child.kill('SIGTERM')
      forceKill ??= setTimeout(() => child.kill('SIGKILL'), 2000)
    }
    child.stdout.on('data', (b: Buffer) => {
      outSize += b.length
      if (outSize > stdoutMax) {
        if (!overflow) stop()
        overflow = true
        return
      }
      out.push(b)
    })
    child.stderr.on('data', (b: Buffer) => {
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
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (forceKill) clearTimeout(forceKill)
      resolve({exitCode: code, overflow, signal, startError, stderr: Buffer.concat(err).toString('utf8'), stdout: Buffer.concat(out), timedOut})
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

/** One host: its snapshot, or why there is none (one line). */
export async function collectOne(host: string, network: string | undefined, command: string[], opts: SshCollectOptions): Promise<HostInput> {
  const started = Date.now()
  const who = await loginUser(host, opts)
  if ('error' in who) return {error: who.error, host}
  const args = sshArgv(host, remoteWords(command, network, who.user), opts)
  const budget = Math.max(1, opts.hostTimeoutS * 1000 - (Date.now() - started))
  const r = await spawnSsh(args, budget, SNAPSHOT_MAX_BYTES)
  debug(`ssh ${host}: exit ${r.exitCode ?? r.signal} in ${Date.now() - started} ms, ${r.stdout.length} bytes`)
  if (r.startError) return {error: r.startError, host}
  if (r.timedOut) return {error: `${host} did not answer within ${opts.hostTimeoutS} s (ssh stopped)`, host}
  if (r.overflow) return {error: `${host} printed more than ${formatBytes(SNAPSHOT_MAX_BYTES)}, more than a snapshot may be`, host}
  // 255: ssh's own failure (unreachable, host key, permission denied): its message as it is
  if (r.exitCode === 255) return {error: lastLine(r.stderr) || `ssh to ${host} failed (exit 255)`, host}
  if (r.exitCode === 127) return {error: `${command[0]} not found on ${host} (exit 127)${lastLine(r.stderr) ? `: ${lastLine(r.stderr)}` : ''}`, host}
  if (r.exitCode === 1 && who.user !== 'root' && /sudo/i.test(r.stderr) && r.stdout.length === 0) {
    return {error: `sudo -n refused on ${host} for ${who.user}: ${lastLine(r.stderr)}`, host}
  }
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
  return {host, snapshot: checked.snapshot}
}

/**
 * Every host's snapshot of NETWORK (undefined: of every network it serves, `collect --all`), at most `parallel` hosts at once, in the order given. Bad
 * input (a destination that is an option, an empty or unbalanced remote command) throws exit 2
 * before anything runs; a host that fails is a HostInput with `error`.
 */
export async function collectOverSsh(hosts: string[], network: string | undefined, opts: SshCollectOptions): Promise<HostInput[]> {
  for (const h of hosts) checkDestination(h)
  const command = splitWords(opts.remoteCommand)
  if (!Number.isInteger(opts.parallel) || opts.parallel < 1)
    throw usageError('bad-parallel', `--parallel must be a whole number of 1 or more, got ${opts.parallel}`)
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
