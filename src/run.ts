// The execute bin/run.js calls (dist/run.js), with @oclif/core from the shared dist/oclif.js (see
// scripts/build.mjs); `options.dir` is bin/run.js's URL, so ../oclif.manifest.json is the build's manifest.
// The single executable (src/sea/main.ts) has no files to load from: it passes `options.sea`, oclif's load
// options with every plugin already in memory, and the command ids of its manifest.
//
// oclif's execute() with two differences, for the paths that never reach a command's catch()
// (oclif's own help command, its topic and version output, errors before a command is found):
// - under --json every outcome is one JSON document on stdout: help, --version and a topic's
//   command list are text, so they are a usage error there (exit 2), and any error is
//   {"error": {"code", "message", "exit"}};
// - an unknown flag is named without its value (`--os-pasword=SECRET` shows as `--os-pasword`).
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import {run} from '@oclif/core/run'
import type {Interfaces} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {type ErrorDocument, jsonRequested, writeErrorJson} from './output.js'

const BIN = 'quantum-meta'
const usage = (message: string): ErrorDocument => ({code: 'usage', exit: 2, message})

/** The command ids of the build (read only under --json, when the first word may be a topic). */
function commandIds(root: string): string[] {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../oclif.manifest.json', root), 'utf8')) as {commands?: Record<string, unknown>}
    return Object.keys(manifest.commands ?? {})
  } catch {
    return []
  }
}

/** Under --json: what oclif would answer with text instead of running a command, as an error document. */
function textOnly(argv: readonly string[], ids: () => string[]): ErrorDocument | undefined {
  const before = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv
  if (before.includes('--help')) return usage('--help prints text, not JSON: run it without --json')
  if (before.includes('--version')) return usage('--version prints text, not JSON: run it without --json')
  const words = before.filter((a) => !a.startsWith('-'))
  if (words.length === 0) return usage(`give a command (see ${BIN} --help)`)
  if (words[0] === 'help') return usage('help prints text, not JSON: run it without --json')
  const known = ids()
  const [topic, sub] = words
  const isTopic = known.some((id) => id.startsWith(`${topic}:`))
  // `subnet nosuch` goes on to the command_not_found hook, which answers in JSON itself
  if (isTopic && !known.includes(topic) && sub === undefined) {
    return usage(`${topic} is a topic: give one of its commands (see ${BIN} ${topic} --help)`)
  }
  return undefined
}

/** The shells offered: the ones test/cli/autocomplete-cli.test.ts completes in a real shell. */
const SHELLS = ['bash', 'zsh']

/**
 * @oclif/plugin-autocomplete offers PowerShell as well, which no test here can run (no pwsh on Debian):
 * for its commands the config is loaded here and their `shell` argument narrowed to bash and zsh, in
 * the help (the manifest's copy) and in the parse (the class), before oclif runs them.
 */
async function narrowedAutocomplete(argv: readonly string[], from: Interfaces.LoadOptions & {}): Promise<Parameters<typeof run>[1]> {
  const words = argv.filter((a) => !a.startsWith('-'))
  const id = words[0] === 'help' ? words[1] : words[0]
  if (id !== 'autocomplete') return from
  const {Config} = await import('@oclif/core')
  const config = await Config.load(from)
  for (const cid of ['autocomplete', 'autocomplete:script']) {
    const cmd = config.findCommand(cid)
    if (!cmd) continue
    const narrow = (args: Record<string, {options?: string[]; description?: string}> | undefined) => {
      const shell = args?.shell
      if (shell) {
        shell.options = SHELLS
        shell.description = 'the shell: bash or zsh'
      }
    }
    narrow(cmd.args as never)
    cmd.examples = (cmd.examples ?? []).filter((e) => !String(typeof e === 'string' ? e : e.command).includes('powershell'))
    const loaded = await cmd.load()
    narrow(loaded.args as never)
    loaded.examples = cmd.examples
  }
  return config
}

export interface ExecuteOptions {
  dir: string
  /** the single executable's: oclif's load options (every plugin in memory) and its command ids */
  sea?: {load: Interfaces.LoadOptions & {}; commandIds: string[]}
}

export async function execute(options: ExecuteOptions): Promise<unknown> {
  const argv = process.argv.slice(2)
  const json = jsonRequested(argv)
  const {sea} = options
  try {
    if (json) {
      const doc = textOnly(argv, () => sea?.commandIds ?? commandIds(options.dir))
      if (doc) {
        writeErrorJson(doc)
        process.exit(doc.exit)
      }
    }
    const result = await run(argv, await narrowedAutocomplete(argv, sea?.load ?? options.dir))
    flush()
    return result
  } catch (error) {
    const err = error as Error & {oclif?: {exit?: number}; code?: string}
    // an ExitError: the command's catch() has already printed (under --json, as JSON)
    if (err?.oclif?.exit !== undefined && err.code === 'EEXIT') return handle(err)
    const {scrubArgValues, toErrorDocument} = await import('./base-command.js')
    scrubArgValues(err)
    const doc = toErrorDocument(err)
    if (!json) {
      // a plugin's command (autocomplete) has no QmCommand.catch: its bad usage is one line too, exit 2
      if (doc.code === 'usage' && doc.exit === 2) {
        process.stderr.write(`${BIN}: ${doc.message}\n`)
        process.exit(doc.exit)
      }
      return handle(err)
    }
    writeErrorJson(doc)
    process.exit(doc.exit)
  }
}
