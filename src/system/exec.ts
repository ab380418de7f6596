/**
 * The one way quantum-meta runs a program: node:child_process with an argument array (never a
 * shell), a timeout, and a --debug line showing what ran (secrets redacted).
 *
 * Not execa: importing execa 9 cost ~100 ms of every diagnose run (as much as @oclif/core), and a
 * spawn through it ~2 ms more than node's own; what quantum-meta needs of it is the few lines below.
 */
import {spawn} from 'node:child_process'

import {debug, redact} from '../output.js'

export interface RunResult {
  command: string[]
  exitCode: number | null
  stdout: string
  stderr: string
  /** set when the program could not be started at all (ENOENT, EACCES) */
  failedToStart?: string
  timedOut?: boolean
}

/** What a program may print before it is stopped (execa's default). */
const MAX_BUFFER = 100 * 1024 * 1024

export async function run(file: string, args: readonly string[], options: {timeoutMs?: number} = {}): Promise<RunResult> {
  const command = [file, ...args]
  debug(
    `run ${redact(command)
      .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)))
      .join(' ')}`,
  )
  return new Promise<RunResult>((resolve) => {
    const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    let timedOut = false
    let overflow = false
    let startError: NodeJS.ErrnoException | undefined
    let forceKill: NodeJS.Timeout | undefined
    const stop = () => {
      child.kill('SIGTERM')
      forceKill = setTimeout(() => child.kill('SIGKILL'), 2000)
      forceKill.unref()
    }
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length
      if (size > MAX_BUFFER) {
        if (!overflow) stop()
        overflow = true
        return
      }
      into.push(b)
    }
    child.stdout.on('data', collect(out))
    child.stderr.on('data', collect(err))
    const timer = setTimeout(() => {
      timedOut = true
      stop()
    }, options.timeoutMs ?? 30_000)
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      if (forceKill) clearTimeout(forceKill)
      const stdout = Buffer.concat(out).toString('utf8')
      const stderr = Buffer.concat(err).toString('utf8')
      const shown = command.join(' ')
      let failedToStart: string | undefined
      if (startError && child.pid === undefined) failedToStart = `Command failed with ${startError.code ?? 'an error'}: ${shown}\n${startError.message}`
      else if (overflow) failedToStart = `Command's output exceeded ${MAX_BUFFER} bytes: ${shown}`
      resolve({command, exitCode: timedOut || failedToStart !== undefined ? null : code, failedToStart, stderr, stdout, timedOut: timedOut || undefined})
    })
  })
}
