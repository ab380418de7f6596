/**
 * Secret values in an ini text (metadata_proxy_shared_secret, admin_password, ...) replaced before
 * the text is kept as evidence: a snapshot is meant to be passed around. Whether a secret is set
 * stays visible (an empty value stays empty), its value does not.
 */
const SECRET_KEY = /secret|password|token/i
// the value's trailing blanks are split off in code: `(.*?)([ \t]*)$` was quadratic in a run of blanks
const ASSIGNMENT = /^([ \t]*([A-Za-z0-9_.-]+)[ \t]*[=:][ \t]*)(.*)$/gm

export const REDACTED = '<redacted>'

export function redactIniSecrets(text: string): string {
  return text.replace(ASSIGNMENT, (line, head: string, key: string, rest: string) => {
    let end = rest.length
    while (end > 0 && (rest[end - 1] === ' ' || rest[end - 1] === '\t')) end--
    return SECRET_KEY.test(key) && end > 0 ? `${head}${REDACTED}${rest.slice(end)}` : line
  })
}

/**
 * Only the section headers and the assignments of `keys` (by name, in any section); every other
 * line becomes empty, so line numbers still match the file and nothing else of it is kept.
 */
export function keepOnlyKeys(text: string, keys: readonly string[]): string {
  const wanted = new Set(keys)
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*\[[^\]]*\]\s*$/.test(line)) return line
      const m = /^([A-Za-z0-9_.-]+)\s*[=:]/.exec(line)
      return m && wanted.has(m[1]) ? line : line.endsWith('\r') ? '\r' : ''
    })
    .join('\n')
}
