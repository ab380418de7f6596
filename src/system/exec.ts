/**
 * The one way quantum-meta runs a program: execa with an argument array (never a shell),
 * a timeout, and a --debug line showing what ran (secrets redacted).
 */
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

export async function run(file: string, args: readonly string[], options: {timeoutMs?: number} = {}): Promise<RunResult> {
  const {execa} = await import('execa')
  const command = [file, ...args]
  debug(`run ${redact(command).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`)
  const r = await execa(file, args, {
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 30_000,
  })
  const failedToStart = r.failed && r.exitCode === undefined && !r.timedOut ? r.shortMessage ?? r.message : undefined
  return {
    command,
    exitCode: r.exitCode ?? null,
    failedToStart,
    stderr: String(r.stderr ?? ''),
    stdout: String(r.stdout ?? ''),
    timedOut: r.timedOut || undefined,
  }
}
