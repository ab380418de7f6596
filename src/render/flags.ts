import * as Flags from '@oclif/core/flags'

/** The flag of every command that prints a table (src/render/width.ts says how wide it is without). */
export const wideFlags = {
  wide: Flags.boolean({
    description:
      'no width limit, for grep: each cell and line whole on one line, nothing wrapped or cut (default: fit the terminal; on a pipe COLUMNS, else 80 columns)',
  }),
}
