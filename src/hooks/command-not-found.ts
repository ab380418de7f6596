import type {Hook} from '@oclif/core'

import {argName, jsonRequested, writeErrorJson} from '../output.js'

/**
 * An unknown command is bad usage: one line on stderr (under --json one error document on stdout),
 * exit 2, no suggestions prompt, no stack. A known command followed by a word it does not take
 * (`enable extra`: oclif joins the words into one id) says so; a flag before any command is named
 * without its value.
 */
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
      : `unknown command "${words.join(' ')}" (see ${bin} --help)`
  if (jsonRequested(process.argv.slice(2))) writeErrorJson({code: 'usage', exit: 2, message})
  else process.stderr.write(`${bin}: ${message}\n`)
  process.exit(2)
}

export default hook
