import type {Hook} from '@oclif/core'

import {argName, jsonRequested, writeErrorJson} from '../output.js'
import {didYouMean} from '../suggest.js'

/**
 * An unknown command is bad usage: one line on stderr (under --json one error document on stdout),
 * exit 2, no suggestions prompt, no stack. A known command followed by a word it does not take
 * (`enable extra`: oclif joins the words into one id) says so; a flag before any command is named
 * without its value.
 */
/** "; did you mean X?" for the first word (`diagnos NET`), else the first two (`subnet crate`). */
function suggestion(words: string[], ids: readonly string[]): string {
  const first = [...new Set(ids.map((id) => id.split(':')[0]))]
  if (!first.includes(words[0])) return didYouMean(words[0], first)
  return didYouMean(
    words.slice(0, 2).join(' '),
    ids.map((id) => id.replaceAll(':', ' ')),
  )
}

const hook: Hook.CommandNotFound = async (opts) => {
  const bin = opts.config.bin
  const words = opts.id.split(':')
  let known = 0
  for (let i = words.length - 1; i > 0; i--) {
    if (opts.config.findCommand(words.slice(0, i).join(':'))) {
      known = i
      break
    }
  }
  const message = opts.id.startsWith('-')
    ? `give a command before ${argName(opts.id)} (see ${bin} --help)`
    : known > 0
      ? `${words.slice(0, known).join(' ')}: unexpected argument "${words.slice(known).join(' ')}" (see ${bin} ${words.slice(0, known).join(' ')} --help)`
      : `unknown command "${words.join(' ')}"${suggestion(words, opts.config.commandIDs)} (see ${bin} --help)`
  if (jsonRequested(process.argv.slice(2))) writeErrorJson({code: 'usage', exit: 2, message})
  else process.stderr.write(`${bin}: ${message}\n`)
  process.exit(2)
}

export default hook
