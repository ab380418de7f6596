/**
 * Secrets out of evidence before it is kept: a snapshot is meant to be passed around, so no value
 * that may be a password, a token or a key leaves the node, whatever file or process it sits in.
 *
 * What is redacted (the value becomes `<redacted>`; the key, the layout and the line numbers stay):
 * - in ini files (dhcp_agent.ini, metadata_agent.ini, the agent's --config-file/--config-dir files):
 *   the value of every key whose name contains pass, pwd, secret, token, key or cred (any case, any
 *   section, odd names included: everything before the first `=`/`:` is the key, as oslo.config reads
 *   it), its continuation lines (indented lines after it), and the same keys in commented-out lines
 *   (`#metadata_proxy_shared_secret = old`; a comment is read the same way, so prose such as
 *   `# the old password: x` loses what follows its `:` too). Key-named paths (`ssl_key_file`, `nova_client_priv_key`)
 *   are redacted too: no check reads them, and telling a key's path from a key is guesswork. A line
 *   oslo.config cannot read that holds one of those words is redacted whole (a parse error quotes it).
 * - in every text kept (ini files, the haproxy config, the opts file, command lines): the password
 *   of any URL with userinfo, `scheme://user:pass@host` -> `scheme://user:<redacted>@host` (a
 *   multi-host URL keeps its first user name and its last host).
 * - in the haproxy config: everything after a keyword naming a secret or auth (`stats auth`,
 *   `user x password`, `set-header X-Auth-Token`), commented lines included.
 * - in command lines (/proc/PID/cmdline): `--any-password=VALUE`, `--token VALUE`, `secret=VALUE`.
 * What is kept: whether a secret is set (an empty value, `""` and `<None>` included, stays as it is: the
 * metadata-agent.config check reads exactly that) and every key the checks read (the switches,
 * state_path, metadata_proxy_socket, nova_metadata_*: none of them matches).
 *
 * Everything here is linear in the size of its input: one pass per line, `indexOf` scans, and only
 * regular expressions without nested or adjacent unbounded quantifiers.
 */

import type {AgentRecord, ApiEvidence, FileRecord, NetworkEvidence} from '../evidence/evidence.js'

export const REDACTED = '<redacted>'

/** A key (or flag, or keyword) whose value is a secret. */
const SECRET_WORD = /pass|pwd|secret|token|key|cred/i
/** In haproxy configs `auth` too (`stats auth user:pass`, `http-request auth`, Authorization headers). */
const HAPROXY_SECRET_WORD = /pass|pwd|secret|token|key|cred|auth/i

export const isSecretName = (name: string): boolean => SECRET_WORD.test(name)

/** Characters that end the authority part of a URL (few: a password may hold almost anything else). */
const AUTHORITY_END = new Set(['/', '?', '#', ' ', '\t', '\n', '\r', '\0'])

/**
 * `scheme://user:pass@host` -> `scheme://user:<redacted>@host`, for every `://` in the text. The
 * userinfo runs to the last `@` of the authority (a password may hold an unencoded `@`), and a comma
 * does not end the authority (oslo.messaging's `rabbit://u:p@h1,u2:p2@h2/`: everything between the
 * first user's `:` and the last `@` goes).
 */
export function redactUrlUserinfo(text: string): string {
  let at = text.indexOf('://')
  if (at < 0) return text
  let out = ''
  let copied = 0
  while (at >= 0) {
    const start = at + 3
    // the authority: up to a delimiter (not a comma: multi-host URLs)
    let end = start
    let lastAt = -1
    while (end < text.length) {
      const ch = text[end]
      if (ch === '@') lastAt = end
      else if (AUTHORITY_END.has(ch)) break
      end++
    }
    if (lastAt > start) {
      const colon = text.indexOf(':', start)
      if (colon >= 0 && colon < lastAt && text.slice(colon + 1, lastAt) !== REDACTED) {
        out += text.slice(copied, colon + 1) + REDACTED
        copied = lastAt
      }
    }
    // from just after this '://': the next one may begin with the authority's last ':' (`x://y://u:p@h`);
    // the authority holds no '/', so every character is looked at a bounded number of times
    at = text.indexOf('://', start)
  }
  return out + text.slice(copied)
}

interface Line {
  body: string
  /** '\r' when the line ended in CRLF */
  cr: string
}

function lines(text: string): Line[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? {body: l.slice(0, -1), cr: '\r'} : {body: l, cr: ''}))
}

const join = (ls: Line[]) => ls.map((l) => l.body + l.cr).join('\n')

/** Leading spaces and tabs of a line. */
function indentOf(s: string): string {
  let i = 0
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++
  return s.slice(0, i)
}

const isBlank = (s: string) => s.trim() === ''
/** no value, or the sample files' `<None>` placeholder: nothing to hide, and whether it is set shows */
const emptyValue = (v: string) => v === '' || v === '""' || v === "''" || v === '<None>'

/**
 * `head` is everything up to and including the separator; `rest` the value with its surrounding
 * spaces. Redacts the value when `key` names a secret; undefined when it does not.
 */
function redactAssignment(text: string): {out: string; secret: boolean} | undefined {
  const colon = text.indexOf(':')
  const equal = text.indexOf('=')
  if (colon < 0 && equal < 0) return undefined
  const sep = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon
  const key = text.slice(0, sep).trim()
  if (key === '') return undefined
  if (!isSecretName(key)) return {out: text, secret: false}
  const rest = text.slice(sep + 1)
  const value = rest.trim()
  if (emptyValue(value)) return {out: text, secret: true}
  const lead = indentOf(rest)
  const tail = rest.slice(lead.length + value.length)
  return {out: text.slice(0, sep + 1) + lead + REDACTED + tail, secret: true}
}

/**
 * Secret values of an ini text (oslo.config syntax) replaced, line for line: the same number of
 * lines, each of the same kind (section, comment, assignment, continuation), so the text parses to
 * the same structure and every error keeps its line number.
 */
export function redactIniSecrets(text: string): string {
  const ls = lines(text)
  const bom = ls.length > 0 && ls[0].body.startsWith('\uFEFF') ? '\uFEFF' : ''
  if (bom) ls[0].body = ls[0].body.slice(1)
  // true while the lines that follow continue the value of a secret key (an active or commented one)
  let inSecret = false
  for (const l of ls) {
    const s = l.body
    if (isBlank(s)) {
      inSecret = false
      continue
    }
    const indent = indentOf(s)
    if (indent !== '') {
      // a continuation line: the value of whatever key is open
      if (inSecret) l.body = indent + REDACTED
      else l.body = indent + (redactAssignment(s.slice(indent.length))?.out ?? s.slice(indent.length))
      continue
    }
    if (s.startsWith('[')) {
      inSecret = false
      continue
    }
    if (s.startsWith('#') || s.startsWith(';')) {
      const marker = /^[#;]+[ \t]*/.exec(s)![0]
      const r = redactAssignment(s.slice(marker.length))
      inSecret = r?.secret ?? false
      if (r) l.body = marker + r.out
      continue
    }
    const r = redactAssignment(s)
    if (r) {
      inSecret = r.secret
      l.body = r.out
    } else {
      // not a line oslo.config can read (the check will quote it): nothing of it if it names a secret
      inSecret = false
      if (SECRET_WORD.test(s)) l.body = REDACTED
    }
  }
  if (bom) ls[0].body = bom + ls[0].body
  return redactUrlUserinfo(join(ls))
}

/**
 * Only the section headers and the assignments of `keys` (by name, in any section, with their
 * continuation lines); every other line becomes empty, so line numbers still match the file and
 * nothing else of it is kept. What is kept goes through redactIniSecrets too.
 */
export function keepOnlyKeys(text: string, keys: readonly string[]): string {
  const wanted = new Set(keys)
  let keeping = false
  const kept = text
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r') ? '\r' : ''
      if (/^\s*\[[^\]]*\]\s*$/.test(line)) {
        keeping = false
        return line
      }
      if (keeping && (line.startsWith(' ') || line.startsWith('\t')) && !isBlank(line)) return line
      const m = /^([A-Za-z0-9_.-]+)[ \t]*[=:]/.exec(line)
      keeping = m !== null && wanted.has(m[1])
      return keeping ? line : cr
    })
    .join('\n')
  return redactIniSecrets(kept)
}

/** The haproxy config: after a keyword naming a secret or auth, the rest of its line goes. */
export function redactHaproxyConfig(text: string): string {
  if (!HAPROXY_SECRET_WORD.test(text)) return redactUrlUserinfo(text)
  const ls = lines(text)
  for (const l of ls) {
    if (!HAPROXY_SECRET_WORD.test(l.body)) continue
    // tokens separated by spaces/tabs; a keyword is a token without '/' (paths may hold any word)
    const parts = l.body.split(/([ \t]+)/)
    for (let i = 0; i < parts.length; i += 2) {
      if (parts[i] === '' || parts[i].includes('/') || !HAPROXY_SECRET_WORD.test(parts[i])) continue
      const restIndex = i + 2
      if (restIndex < parts.length && parts.slice(restIndex).join('').trim() !== '') {
        l.body = parts.slice(0, restIndex).join('') + REDACTED
      }
      break
    }
  }
  return redactUrlUserinfo(join(ls))
}

/**
 * A command line (/proc/PID/cmdline: NUL-separated, or one setproctitle title with spaces): the
 * value of a flag or `name=value` whose name names a secret, and URL passwords. The number of
 * arguments and every separator stay, so the agent's --config-file list still parses.
 */
export function redactCmdline(cmdline: string): string {
  if (!SECRET_WORD.test(cmdline) && !cmdline.includes('://')) return cmdline
  const parts = cmdline.split(/([\0 \t\n]+)/)
  let hideNext = false
  for (let i = 0; i < parts.length; i += 2) {
    const a = parts[i]
    if (a === '') continue
    if (hideNext) {
      parts[i] = REDACTED
      hideNext = false
      continue
    }
    const eq = a.indexOf('=')
    const name = eq < 0 ? a : a.slice(0, eq)
    if (!/^-{0,2}[\w.-]+$/.test(name) || !SECRET_WORD.test(name)) continue
    if (eq >= 0) parts[i] = a.slice(0, eq + 1) + REDACTED
    else if (a.startsWith('-')) hideNext = true
  }
  return redactUrlUserinfo(parts.join(''))
}

/** In a log line: a word naming a secret (and Authorization headers), before its `=` or `:` and value. */
const LOG_SECRET_WORD = /pass|pwd|secret|token|key|cred|authorization/gi
const WORDISH = /[\w.-]/
/** A 64-digit hex word: an HMAC-SHA256 (the 403 line's signatures), or any digest or token of that form. */
const HEX64 = /\b[0-9a-f]{64}\b/gi

/**
 * One log's text as kept and printed: URL passwords; the value after `NAME=`/`NAME: ` when NAME names a
 * secret (`password=x`, `X-Auth-Token: x`, `'admin_password': 'x'`; prose such as "shared secrets do not
 * match." has no `=`/`:` after the word and stays); and every 64-digit hex word shortened to its first 8
 * and last 4 digits (`7a2ae3f9…9d74`): Nova's 403 line logs HMAC-SHA256(secret, instance id) of both sides,
 * which is no secret but is an oracle to test guesses of a weak secret against; 48 bits are still
 * enough to match a line with another log or a probe, as the lab's notes do. Linear: each word is
 * scanned once.
 */
export function redactLogText(text: string): string {
  let out = redactUrlUserinfo(text).replace(HEX64, (h) => `${h.slice(0, 8)}…${h.slice(-4)}`)
  if (!SECRET_WORD.test(out) && !/authorization/i.test(out)) return out
  let result = ''
  let from = 0
  LOG_SECRET_WORD.lastIndex = 0
  for (let m = LOG_SECRET_WORD.exec(out); m !== null; m = LOG_SECRET_WORD.exec(out)) {
    // the rest of the word, then quotes and spaces, then = or :
    let i = m.index + m[0].length
    while (i < out.length && WORDISH.test(out[i])) i++
    LOG_SECRET_WORD.lastIndex = i
    let j = i
    while (j < out.length && (out[j] === "'" || out[j] === '"')) j++
    while (j < out.length && (out[j] === ' ' || out[j] === '\t')) j++
    if (out[j] !== '=' && out[j] !== ':') continue
    j++
    while (j < out.length && (out[j] === ' ' || out[j] === '\t' || out[j] === "'" || out[j] === '"')) j++
    // a scheme word (Bearer, Basic) goes with the value
    const scheme = /^(Bearer|Basic|Token) /i.exec(out.slice(j, j + 7))
    if (scheme) j += scheme[0].length
    let k = j
    while (k < out.length && !' \t\n\'",;}]'.includes(out[k])) k++
    if (k === j || out.slice(j, k) === REDACTED) continue
    result += out.slice(from, j) + REDACTED
    from = k
    LOG_SECRET_WORD.lastIndex = k
  }
  out = result + out.slice(from)
  return out
}

/** Any other text kept as evidence (the opts file, command output): URL passwords. */
export const redactText = redactUrlUserinfo

/**
 * A line of a file quoted in a message (a parse error): shown only when it names no secret and
 * holds no URL password; otherwise as `<redacted>`.
 */
export function quotableLine(line: string): string {
  return SECRET_WORD.test(line) || redactUrlUserinfo(line) !== line ? REDACTED : line
}

/**
 * What the API said: an error may quote an auth URL with userinfo. Neutron's answers (the JSON the
 * checks parse) are kept as they came; a request that got no answer keeps an error message there.
 */
export function redactApiEvidence(api: ApiEvidence): void {
  if (api.error !== undefined) api.error = redactText(api.error)
  for (const r of api.records) if (r.status === 0) r.body = redactText(r.body)
}

/** A kept file's content through `how`, once per `seen`. */
export function redactFileRecord(f: FileRecord | undefined, how: (text: string) => string, seen: WeakSet<object>): void {
  if (!f || seen.has(f)) return
  seen.add(f)
  if (f.content !== undefined) f.content = how(f.content)
}

/** An agent process: its command line, and the config files it names. Once per `seen`. */
export function redactAgentRecord(a: AgentRecord, seen: WeakSet<object>): void {
  if (seen.has(a)) return
  seen.add(a)
  a.cmdline = redactCmdline(a.cmdline)
  for (const c of a.configs ?? []) redactFileRecord(c, redactIniSecrets, seen)
}

/**
 * Every secret out of the common fields of one network's evidence, in place: the files collect keeps
 * (agent config, metadata agent config, the agent's own config files, haproxy config, opts, pid files)
 * and the command lines of the processes. Records shared between networks (the configs, the agents)
 * are done once per `seen`. Command output (`ip`) and the probe's answer hold no node secret. A chain's
 * own part of the evidence is its own to redact (ChainModule.redact; src/chains/snapshot.ts does both).
 */
export function redactEvidence(ev: NetworkEvidence, seen: WeakSet<object> = new WeakSet()): void {
  const file = (f: FileRecord | undefined, how: (text: string) => string) => redactFileRecord(f, how, seen)
  file(ev.config, redactIniSecrets)
  file(ev.metadataAgentConfig, redactIniSecrets)
  file(ev.haproxyConfig, redactHaproxyConfig)
  for (const f of [ev.opts, ev.leases, ev.dnsmasqPidFile, ev.proxyPidFile, ev.haproxyPidFile, ev.upstreamSocket]) file(f, redactText)
  for (const p of ev.processes) {
    if (seen.has(p)) continue
    seen.add(p)
    if (p.cmdline !== undefined) p.cmdline = redactCmdline(p.cmdline)
    if (p.ps !== undefined) p.ps = redactCmdline(p.ps)
  }
  if (ev.api) redactApiEvidence(ev.api)
  for (const a of ev.agents ?? []) redactAgentRecord(a, seen)
  for (const l of ev.logs ?? []) {
    if (seen.has(l)) continue
    seen.add(l)
    if (l.tail !== undefined) l.tail = redactLogText(l.tail)
    if (l.error !== undefined) l.error = redactText(l.error)
  }
}
