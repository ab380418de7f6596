import type {ChalkInstance} from 'chalk'

/**
 * Process-wide output settings, decided once by the base command from its flags and the
 * environment. Colour goes only to a TTY, never when NO_COLOR is set or --no-color is given.
 * Debug lines go to stderr and must never carry a secret: callers pass argv through redact().
 */
export interface OutputSettings {
  color: boolean
  debug: boolean
}

const settings: OutputSettings = {color: false, debug: false}
let chalkInstance: ChalkInstance | undefined

export function configureOutput(next: OutputSettings, chalk: ChalkInstance | undefined): void {
  settings.color = next.color && chalk !== undefined
  settings.debug = next.debug
  if (chalk && settings.color) chalk.level ||= 1
  chalkInstance = chalk
}

/** The configured chalk, or an identity painter when colour is off or not configured yet. */
export function paint(): Pick<ChalkInstance, 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan'> {
  if (chalkInstance && settings.color) return chalkInstance
  const id = ((s: string) => s) as unknown as ChalkInstance
  return {bold: id, dim: id, green: id, red: id, yellow: id, cyan: id}
}

const SECRET_ARG = /(password|secret|token|key)(=|:)/i

/** Hide the values of secret-looking arguments (`--os-password=x`, `password: x`). */
export function redact(args: readonly string[]): string[] {
  const out: string[] = []
  let hideNext = false
  for (const a of args) {
    if (hideNext) {
      out.push('***')
      hideNext = false
      continue
    }
    if (/^--?[\w-]*(password|secret|token)$/i.test(a)) {
      out.push(a)
      hideNext = true
      continue
    }
    const m = SECRET_ARG.exec(a)
    out.push(m ? a.slice(0, m.index + m[0].length) + '***' : a)
  }
  return out
}

export function debug(message: string): void {
  if (settings.debug) process.stderr.write(`debug: ${message}\n`)
}

export function debugEnabled(): boolean {
  return settings.debug
}

/**
 * Whether this run asked for JSON: `--json` before any `--` (or QUANTUM_META_CONTENT_TYPE=json), as
 * oclif's jsonEnabled() reads it, but for every path, unknown commands and help included.
 */
export function jsonRequested(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.QUANTUM_META_CONTENT_TYPE?.toLowerCase() === 'json') return true
  for (const a of argv) {
    if (a === '--') return false
    if (a === '--json') return true
  }
  return false
}

export interface ErrorDocument {
  code: string
  exit: 0 | 1 | 2 | 3
  message: string
}

/** The one document --json prints for an error. */
export function writeErrorJson(doc: ErrorDocument): void {
  process.stdout.write(JSON.stringify({error: doc}, null, 2) + '\n')
}

/**
 * How an argument the user typed is shown in a message: an option's name without its value
 * (`--os-pasword=VALUE` -> `--os-pasword`, `-pVALUE` -> `-p`), so a misspelt secret flag never echoes
 * the secret.
 */
export function argName(arg: string): string {
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=')
    return eq < 0 ? arg : arg.slice(0, eq)
  }
  if (arg.startsWith('-') && arg.length > 2) return arg.slice(0, 2)
  return arg
}
