import {Command} from '@oclif/core/command'
import {didYouMean} from './suggest.js'
import {ExitError} from '@oclif/core/errors'
import * as Flags from '@oclif/core/flags'
import type {Interfaces} from '@oclif/core'

import {redactUrlUserinfo} from './config/secrets.js'
import {EXIT, type ExitCode, QmError, usageError} from './errors.js'
import {argName, configureOutput, debugEnabled} from './output.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof QmCommand)['baseFlags'] & T['flags']>

type Values = {[name: string]: unknown}

interface ErrorDocument {
  code: string
  exit: ExitCode
  message: string
}

/**
 * The base of every quantum-meta command.
 *
 * - `--json` everywhere: exactly one JSON document on stdout; errors become
 *   `{"error": {"code", "message", "exit"}}`.
 * - The exit code is kept under --json (oclif/core#1423 turns every error into exit 1 there)
 *   and a flag-parse error is one line, never oclif's dump of its parse context.
 * - Colour on a TTY (or a pipe with --color/FORCE_COLOR), never with NO_COLOR or --no-color; --debug prints what is run.
 */
/**
 * Colour, first rule that speaks: --no-color off; --color on (a pipe too: `| less -R`); NO_COLOR off;
 * FORCE_COLOR on (0 or false: off); else on a TTY only.
 */
export function wantsColor(argv: readonly string[], env: NodeJS.ProcessEnv, tty: boolean): boolean {
  if (argv.includes('--no-color')) return false
  if (argv.includes('--color')) return true
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR)
  return tty
}

export abstract class QmCommand extends Command {
  static baseFlags = {
    color: Flags.boolean({
      allowNo: true,
      default: true,
      description: 'colour the human output: --color on a pipe too; default on a TTY only, or where FORCE_COLOR is set (NO_COLOR turns it off)',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({
      default: false,
      description: 'print every command run and file read to stderr (secrets are never printed)',
      helpGroup: 'GLOBAL',
    }),
  }

  static enableJsonFlag = true

  public override async init(): Promise<void> {
    // Decide colour and debug before parsing, so that even a parse error obeys them.
    const argv = this.argv
    const color = !this.jsonEnabled() && wantsColor(argv, process.env, Boolean(process.stdout.isTTY))
    // chalk is loaded only when colour will be used (start-up time matters on every run)
    configureOutput({color, debug: argv.includes('--debug')}, color ? (await import('chalk')).default : undefined)
    await super.init()
  }

  public override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof ExitError) throw err
    const doc = toErrorDocument(err, Object.keys(this.ctor.flags ?? {}))
    // the last line of defence: no URL password in any message (an auth URL with userinfo)
    doc.message = redactUrlUserinfo(doc.message)
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify({error: doc}, null, 2) + '\n')
    } else {
      process.stderr.write(`${this.config.bin}: ${doc.message}\n`)
      if (debugEnabled() && !(err instanceof QmError) && err.stack) process.stderr.write(err.stack + '\n')
    }
    process.exitCode = doc.exit
    throw new ExitError(doc.exit)
  }

  /**
   * oclif's parse, and:
   * - a missing argument is never read from stdin (oclif reads it from a piped or redirected stdin:
   *   under `bash < job.sh` that swallowed the rest of the script and printed it back);
   * - a path flag (a FILE or DIR value) given empty is bad usage, never a path.
   */
  protected override async parse<F extends Values, B extends Values, A extends Values>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const argDefs = (options ?? (this.ctor as Partial<Interfaces.Input<F, B, A>>)).args as Record<string, {ignoreStdin?: boolean}> | undefined
    for (const def of Object.values(argDefs ?? {})) def.ignoreStdin = true
    const out = await super.parse(options, argv)
    const defs = {...options?.baseFlags, ...options?.flags} as Record<string, {helpValue?: string | string[]}>
    for (const [name, def] of Object.entries(defs)) {
      const value: unknown = (out.flags as Record<string, unknown>)[name]
      const hv = def.helpValue
      if ((hv === 'FILE' || hv === 'DIR') && (value === '' || (Array.isArray(value) && value.includes('')))) {
        throw usageError('empty-path', `--${name}: empty path`)
      }
    }
    return out
  }

  protected override logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }
}

const PARSE_ERROR_NAMES = new Set([
  'ArgInvalidOptionError',
  'CLIParseError',
  'FailedFlagValidationError',
  'FlagInvalidOptionError',
  'InvalidArgsSpecError',
  'NonExistentFlagsError',
  'RequiredArgsError',
  'UnexpectedArgsError',
])

function oneLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with/.test(l))
  return lines.join(' ').replaceAll(/\s+/g, ' ')
}

/**
 * oclif quotes unknown flags and unexpected arguments whole: `Nonexistent flag: --os-pasword=VALUE`.
 * The message is rebuilt from names only, so a misspelt secret flag never echoes its value.
 */
export function scrubArgValues(err: Error & {flags?: unknown; args?: unknown}, known: readonly string[] = []): void {
  const list = (xs: unknown): string[] | undefined => (Array.isArray(xs) && xs.every((x) => typeof x === 'string') ? xs : undefined)
  const flags = list(err.flags)
  if (flags && /^Nonexistent flags?:/.test(err.message)) {
    const names = flags.map(argName)
    // `--os-pasword` -> did you mean --os-password? (names only: a value never reaches the message)
    const hint = names.length === 1 && names[0].startsWith('--') ? didYouMean(names[0].slice(2), known).replace(/mean (\S)/, 'mean --$1') : ''
    err.message = `Nonexistent flag${flags.length === 1 ? '' : 's'}: ${names.join(', ')}${hint}`
  }
  const args = list(err.args)
  if (args && /^Unexpected arguments?:/.test(err.message)) {
    err.message = `Unexpected argument${args.length === 1 ? '' : 's'}: ${args.map(argName).join(', ')}`
  }
}

export function toErrorDocument(err: Error & {oclif?: {exit?: number}; parse?: unknown}, knownFlags: readonly string[] = []): ErrorDocument {
  if (err instanceof QmError) return {code: err.code, exit: err.exit, message: oneLine(err.message)}
  if (err.parse !== undefined || PARSE_ERROR_NAMES.has(err.constructor?.name)) {
    scrubArgValues(err, knownFlags)
    // `diagnose --format json`: JSON is the --json flag there (subnet create's -f json is the openstack CLI's)
    const json = /^Expected --format=json to be one of/.test(err.message) ? '; JSON is --json' : ''
    return {code: 'usage', exit: EXIT.USAGE, message: `${oneLine(err.message)}${json} (see --help)`}
  }
  const exit = err.oclif?.exit
  if (exit === EXIT.USAGE || exit === EXIT.FAILED || exit === EXIT.CANNOT) {
    return {code: exit === EXIT.USAGE ? 'usage' : 'error', exit, message: oneLine(err.message)}
  }
  return {code: 'internal', exit: EXIT.CANNOT, message: `internal error: ${oneLine(err.message)} (rerun with --debug for the stack)`}
}
