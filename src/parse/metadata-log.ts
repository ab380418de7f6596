/**
 * The known lines of the metadata chain's logs, past the agent's socket: the metadata agent's (DHCP
 * and L3: neutron.agent.metadata.agent; OVN: neutron.agent.ovn.metadata.server) and Nova metadata
 * API's (nova.api.metadata.handler / .base), by release. Pure: text in, hits out.
 *
 * Sources (verbatim lines): ../shared/lab/README.md "Cases: status, agent log, Nova log" (Zed 21.0.0
 * agent, nova 26.2.2, run in the lab), ../shared/reference/real-neutron-zed.md (the Zed agent's 403,
 * 500 and access lines), ../shared/reference/containers-nova.md 3.4, 3.5 and 4 (the 24.0.1+, 26.0.0+ and
 * 27.0.0 wordings, read from neutron's and nova's source).
 *
 * An oslo.log record line is `DATE TIME[.ms] [PID] LEVEL LOGGER [REQ] MESSAGE`; under uwsgi (Nova) it
 * ends in ESC[00m, oslo's colour reset; through journald (`journalctl -o short-iso`) it is prefixed by
 * `ISO-DATE HOST UNIT[PID]: `. The messages are matched by their fixed words, anywhere in the line, so
 * every one of those forms reads the same; a traceback's lines do not repeat those words.
 * Every pattern is linear: substring searches and regular expressions without nested quantifiers,
 * run on lines already clipped (cleanLogText).
 */

/** What a known line says happened. */
export type LogCase =
  /** the agent's 403 WARNING, or Nova's signature WARNING: the two sides' shared secrets differ */
  | 'secret-mismatch'
  /** the agent could not reach Nova (refused, TLS, DNS, timeout): 500 on Zed, 503 from 24.0.1 on */
  | 'nova-unreachable'
  /** Nova answered 500 (the agent's WARNING "internal server error") */
  | 'nova-error'
  /** Nova answered a code the agent does not pass on (Zed: "Unexpected response code: 401") */
  | 'nova-bad-answer'
  /** Nova's WARNING: X-Instance-ID came, but [neutron] service_metadata_proxy is off */
  | 'proxy-off'
  /** Nova's WARNING: the port's project is not the instance's */
  | 'project-mismatch'
  /** Nova does not know the instance (no cell mapping, not found) */
  | 'instance-unknown'
  /** the agent found no port with the instance's IP on the network */
  | 'no-port'
  /** the Zed DHCP/L3 agent: Nova answered 404 for the instance ("is not present anymore") */
  | 'instance-gone'
  /** an access line (eventlet's, uwsgi's): one answer and its status */
  | 'access'

/** Why the agent could not reach Nova, from the exception its ERROR line names. */
export type UnreachableReason = 'refused' | 'tls-to-plain' | 'plain-to-tls' | 'certificate' | 'dns' | 'timeout' | 'unavailable' | 'other'

export interface LogHit {
  case: LogCase
  /** 1-based line in the text classified */
  line: number
  /** the line itself (as cleaned: clipped, no control characters) */
  text: string
  /** the line's own time, `YYYY-MM-DDTHH:MM:SS[.fff][zone]`, when it has a valid one */
  at?: string
  level?: string
  /** access lines: the HTTP status answered; nova-bad-answer: Nova's */
  status?: number
  reason?: UnreachableReason
  /** the Nova address the agent's exception names */
  host?: string
  port?: number
  scheme?: 'http' | 'https'
  instance?: string
  tenant?: string
  network?: string
  ip?: string
  /** secret-mismatch: who logged it: the agent (its WARNING) or Nova (its signature line) */
  side?: 'agent' | 'nova'
}

/** The longest line kept: a longer one (a 10 MB line of garbage) is clipped, saying how much was cut. */
export const LOG_LINE_MAX_CHARS = 2000

// CSI (ESC [ params final) and the two-byte escapes; then any other C0/C1 control but tab
const ANSI = /\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\x1b[@-Z\\-_]/g
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g

/**
 * A log's bytes as lines fit to keep and print: colour codes (oslo's ESC[00m) removed, CR and other
 * control characters out, each line clipped to LOG_LINE_MAX_CHARS. `binary` when it is not text (a
 * sparse or corrupt file: NUL bytes or undecodable bytes in more than 1 in 20 characters).
 */
export function cleanLogText(raw: string): {text: string; binary: boolean; lines: number} {
  let bad = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 0 || c === 0xfffd) bad++
  }
  if (raw.length > 0 && bad * 20 > raw.length) return {binary: true, lines: 0, text: ''}
  const out: string[] = []
  for (const rawLine of raw.split('\n')) {
    let line = rawLine.length > LOG_LINE_MAX_CHARS * 2 ? rawLine.slice(0, LOG_LINE_MAX_CHARS * 2) : rawLine
    line = line.replace(ANSI, '').replace(CONTROL, '')
    const cut = rawLine.length - LOG_LINE_MAX_CHARS
    if (line.length > LOG_LINE_MAX_CHARS) line = `${line.slice(0, LOG_LINE_MAX_CHARS)}… [${cut > 0 ? cut : line.length - LOG_LINE_MAX_CHARS} more characters]`
    out.push(line)
  }
  if (out.length > 0 && out.at(-1) === '') out.pop()
  return {binary: false, lines: out.length, text: out.join('\n')}
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([+-]\d{2}:?\d{2}|Z)?/
const LEVEL = / (DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE) /

/** The line's own time when it starts with a valid one (a garbage or impossible date is none). */
export function lineTime(line: string): string | undefined {
  const m = TIME.exec(line)
  if (!m) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number)
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${m[8] ?? ''}`
}

// an instance id as logged (the lab's notes shorten some to 3333…7777): checked as a UUID where it reaches a command
const IDISH = '[^\\s,;)]{1,64}'
const AFTER = (prefix: string, body = '[^\\s,;)]{1,200}') => new RegExp(`${prefix}(${body})`)
const R = {
  bad: /Unexpected response code: (\d{3})/,
  gone: AFTER('The instance: ', IDISH),
  id: AFTER('for id: ', IDISH),
  mapping: AFTER('Instance mapping for ', IDISH),
  failedId: AFTER('Failed to get metadata for instance id: ', IDISH),
  noPort: /No port found in network (\S{1,64}) with IP address (\S{1,64})/,
  notOnNet: /Instance was not found on network (\S{1,64})/,
  pool: /(HTTPS?)ConnectionPool\(host='([^']{1,255})', port=(\d{1,5})\)/,
  tenant: /Tenant_id (\S{1,255}) does not match tenant_id of instance (\S{1,64})/,
  eventlet: /" status: (\d{3}) {1,2}len: /,
  uwsgi: /=> generated \d{1,12} bytes in \d{1,12} msecs \(HTTP\/\d\.\d (\d{3})\)/,
}

const stripDot = (s: string) => s.replace(/\.+$/, '')

/** What a message says, or undefined for a line that is none of the known ones. */
function classifyLine(line: string): Omit<LogHit, 'line' | 'text' | 'at' | 'level'> | undefined {
  if (line.includes('The remote metadata server responded with Forbidden')) return {case: 'secret-mismatch', side: 'agent'}
  if (line.includes('X-Instance-ID-Signature: ') && line.includes('does not match the expected')) {
    const hit: ReturnType<typeof classifyLine> = {case: 'secret-mismatch', side: 'nova'}
    const id = R.id.exec(line)
    if (id) hit.instance = stripDot(id[1])
    return hit
  }
  const unexpected = line.indexOf('Unexpected error.: ')
  if (unexpected >= 0) {
    const rest = line.slice(unexpected)
    const bad = R.bad.exec(rest)
    if (bad) return {case: 'nova-bad-answer', status: Number(bad[1])}
    if (!rest.includes('requests.exceptions.')) return undefined
    const hit: ReturnType<typeof classifyLine> = {case: 'nova-unreachable', reason: unreachableReason(rest)}
    const pool = R.pool.exec(rest)
    if (pool) Object.assign(hit, {host: pool[2], port: Number(pool[3]), scheme: pool[1] === 'HTTPS' ? 'https' : 'http'})
    return hit
  }
  if (line.includes('The remote metadata server is temporarily unavailable')) return {case: 'nova-unreachable', reason: 'unavailable'}
  if (line.includes('Remote metadata server experienced an internal server error')) return {case: 'nova-error'}
  if (line.includes('X-Instance-ID present in request headers') && line.includes('service_metadata_proxy')) return {case: 'proxy-off'}
  const tenant = R.tenant.exec(line)
  if (tenant) return {case: 'project-mismatch', instance: stripDot(tenant[2]), tenant: tenant[1]}
  const mapping = line.includes('not found') ? R.mapping.exec(line) : null
  if (mapping) return {case: 'instance-unknown', instance: stripDot(mapping[1])}
  const failed = R.failedId.exec(line)
  if (failed) return {case: 'instance-unknown', instance: stripDot(failed[1])}
  const noPort = R.noPort.exec(line)
  if (noPort) return {case: 'no-port', ip: noPort[2], network: noPort[1]}
  const notOnNet = R.notOnNet.exec(line)
  if (notOnNet) return {case: 'no-port', network: stripDot(notOnNet[1])}
  if (line.includes('is not present anymore, skipping cache')) {
    const gone = R.gone.exec(line)
    return gone ? {case: 'instance-gone', instance: stripDot(gone[1])} : {case: 'instance-gone'}
  }
  const access = R.eventlet.exec(line) ?? R.uwsgi.exec(line)
  if (access) return {case: 'access', status: Number(access[1])}
  return undefined
}

function unreachableReason(rest: string): UnreachableReason {
  if (rest.includes('ECONNREFUSED') || rest.includes('Connection refused')) return 'refused'
  if (rest.includes('CERTIFICATE_VERIFY_FAILED')) return 'certificate'
  if (rest.includes('SSLZeroReturnError') || rest.includes('WRONG_VERSION_NUMBER')) return 'tls-to-plain'
  if (rest.includes('RemoteDisconnected')) return 'plain-to-tls'
  if (rest.includes('NameResolutionError') || rest.includes('Name or service not known') || rest.includes('Temporary failure in name resolution')) return 'dns'
  if (rest.includes('ConnectTimeout') || rest.includes('timed out')) return 'timeout'
  return 'other'
}

/** Every known line of a log's text, in order. */
export function classifyLog(text: string): LogHit[] {
  const out: LogHit[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const what = classifyLine(line)
    if (!what) continue
    const hit: LogHit = {...what, line: i + 1, text: line}
    const at = lineTime(line)
    if (at !== undefined) hit.at = at
    const level = LEVEL.exec(line)?.[1]
    if (level !== undefined) hit.level = level
    out.push(hit)
  }
  return out
}

/** A hit that records a failure (anything but an access line). */
export const isFailure = (h: LogHit) => h.case !== 'access'

/**
 * Where an agent's command line says it logs: oslo.log's --log-file and --log-dir (and their old
 * names --logfile, --logdir), as `--opt VALUE` or `--opt=VALUE`; a NUL-separated /proc cmdline or a ps line.
 */
export function parseLogArgs(cmdline: string): {logFile?: string; logDir?: string} {
  let argv = cmdline.split('\0').filter((a) => a !== '')
  if (argv.length === 1) {
    const title = /^(\S+) \((.*)\)\s*$/.exec(argv[0])
    argv = (title ? title[2] : argv[0]).split(' ').filter((a) => a !== '')
  }
  const out: {logFile?: string; logDir?: string} = {}
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(log-file|log_file|logfile|log-dir|log_dir|logdir)(?:=(.*))?$/.exec(argv[i])
    if (!m) continue
    const value = m[2] ?? argv[++i]
    if (value === undefined || value === '') continue
    if (m[1].replace(/[-_]/g, '') === 'logfile') out.logFile = value
    else out.logDir = value
  }
  return out
}
