/** A finding's fix as tests read it: its command (or config line), its alternative's command, and all its text. */
import type {Finding, FixStep} from '../../src/chains/types.js'

const line = (s: FixStep | undefined) => (s === undefined ? undefined : 'command' in s ? s.command : `in ${s.file} [${s.section}]: ${s.set}`)

/** the command of the fix (a config fix: `in FILE [SECTION]: key = value`) */
export const fixCommand = (f: Pick<Finding, 'fix'> | undefined) => line(f?.fix)
/** the command of the fix's alternative */
export const fixAlternative = (f: Pick<Finding, 'fix'> | undefined) => line(f?.fix?.alternative)
/** everything the fix says, commands and reasons, one line each */
export const fixText = (f: Pick<Finding, 'fix'> | undefined) =>
  f?.fix ? [line(f.fix), f.fix.why, ...(f.fix.alternative ? [line(f.fix.alternative), f.fix.alternative.why] : [])].join('\n') : ''
