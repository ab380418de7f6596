/** Text of findings: quoting evidence, counting, and words made safe for a shell. */

/**
 * A word (a path, a device name, a tag, a host) as it must appear in a command line: as is when it
 * holds only safe characters, else single-quoted, so `$(…)`, `;` or a quote in a snapshot's path can
 * never run as a command. The one shell quoter: fixes to paste and the words ssh hands a remote shell.
 */
export function shq(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : sq(word)
}

/** Always single-quoted (a quote inside becomes '\''). */
export const sq = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/** Quote at most `max` characters of a long line for evidence. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Evidence lines for a file's content: `path:N: line` for the given 1-based lines. */
export function quoteLines(path: string, content: string, lines: number[]): string[] {
  const all = content.split(/\r?\n/)
  return lines.map((n) => `${path}:${n}: ${clip(all[n - 1] ?? '')}`)
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * `command` run on `host` over ssh, as one line to paste where the hosts are reachable: both quoted as
 * words (a host from a snapshot can hold anything; one that starts with `-` ends ssh's options first).
 */
export const onHost = (host: string, command: string) => `ssh ${host.startsWith('-') ? '-- ' : ''}${shq(host)} ${shq(command)}`
