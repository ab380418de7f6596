import type {Hook} from '@oclif/core'

/** An unknown command is bad usage: one line on stderr, exit 2 (no suggestions prompt, no stack). */
const hook: Hook.CommandNotFound = async function (opts) {
  const shown = opts.id.replaceAll(':', ' ')
  process.stderr.write(`${opts.config.bin}: unknown command "${shown}" (see ${opts.config.bin} --help)\n`)
  process.exit(2)
}

export default hook
