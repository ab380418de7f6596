/**
 * Reading what an agentless host printed (script.ts writes it): the framed stream in, a Bundle out,
 * or one line saying why not. Pure and bounded: the stream is already capped by the transport; here
 * every line must be one of the frame's forms (a record's head, a base64 line, a record's end) or the
 * whole answer is refused (a host that prints garbage is one row with one line, never half a
 * snapshot); a stream without its end line stopped early and is refused too. Each payload is decoded
 * and redacted as it arrives (config/secrets.ts): an ini file's secret values, a haproxy config's,
 * a command line's and a log line's are gone before anything is stored or printed.
 */
import {redactCmdline, redactHaproxyConfig, redactIniSecrets, redactLogText, redactUrlUserinfo} from '../../config/secrets.js'
import {BUNDLE_END, BUNDLE_MAGIC} from './script.js'

export type LstatType = 'file' | 'symlink' | 'directory' | 'socket' | 'other'

export interface BundleFile {
  /** lstat's type; 'missing' when nothing is there (or a symlink to nothing) */
  type: LstatType | 'missing'
  /** read: content kept; notregular: it (or its target) is no regular file; denied: unreadable; toolarge: over the cap */
  read: 'read' | 'notregular' | 'denied' | 'toolarge' | 'missing'
  /** what a path that is no regular file is (directory, fifo, device, socket, other) */
  kind?: string
  content?: string
  mtime?: string
  realpath?: string
}

export interface BundleTail {
  state: 'read' | 'symlink' | 'missing' | 'notregular' | 'denied'
  text?: string
  size?: number
  mtime?: string
  /** bytes the host sent (before decoding to text) */
  bytes?: number
}

export interface BundleCommand {
  /** which form ran: json (`ip -j -n NS addr show`), classic (`ip netns exec NS ip addr show`), or - */
  variant: string
  exitCode: number
  stdout: string
}

export interface BundleConnect {
  type: LstatType | 'missing' | 'error'
  /** connect()'s outcome for a socket ('ok', 'ECONNREFUSED', 'timeout', ...), 'nopython' when it could not be tried */
  result?: string
  busyMs?: number
}

/** A GET from inside a namespace (--probe): the answer's status and body, or the error, as node/probe.ts records them. */
export interface BundleProbe {
  status?: number
  body?: string
  error?: string
  ms?: number
}

export interface Bundle {
  host?: string
  /** the host's clock when the script started, ms since the epoch */
  nowMs?: number
  /** /proc/uptime of the host */
  uptime?: string
  layout?: string
  /** the marker paths that exist */
  exists: Set<string>
  files: Map<string, BundleFile>
  tails: Map<string, BundleTail>
  /** directory -> glob -> names (undefined: no such directory) */
  dirs: Map<string, Map<string, string[] | undefined>>
  /** `key\0ns` -> the forms that ran, in order */
  commands: Map<string, BundleCommand[]>
  links: Map<string, string | undefined>
  fds: Map<number, string[]>
  inodes: Map<string, string>
  /** every process's command line (NUL-separated, as /proc has it), undefined when the host sent none */
  procs?: {pid: number; cmdline: string}[]
  env: Map<number, string>
  connects: Map<string, BundleConnect>
  /** `ns\0` (IPv4) or `ns\0DEV` (IPv6 over DEV) -> the probe's answer; `nopython`: it could not be sent */
  probes: Map<string, BundleProbe | 'nopython'>
}

export interface FrameLimits {
  /** a file's or a command's output, bytes (one more was read on the host: over this is too large) */
  fileCap: number
  /** records in all */
  maxRecords: number
}

export const FRAME_LIMITS: FrameLimits = {fileCap: 4 * 1024 * 1024, maxRecords: 200_000}

export type FrameResult = {ok: true; bundle: Bundle} | {ok: false; error: string}

const HEAD = /^R ([a-z]{1,12}) (\S{1,8192})((?: \S{1,8192}){0,6})$/
const B64 = /^[A-Za-z0-9+/]{1,76}={0,2}$/
const END = /^\. (\d{1,3})$/
const NAME_B64 = /^~[A-Za-z0-9+/]*={0,2}$/

/** A name as the script wrote it: plain, or ~ and its base64. */
function decodeName(word: string): string | undefined {
  if (!word.startsWith('~')) return word
  if (!NAME_B64.test(word)) return undefined
  return Buffer.from(word.slice(1), 'base64').toString('utf8')
}

/** Control characters out of a word shown in a message. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 80)

/** What a file's content is redacted with, by where it lives. */
function redactFile(path: string, text: string): string {
  if (path.startsWith('/proc/')) return text
  if (/\/ns-metadata-proxy\/[^/]*\.conf$/.test(path)) return redactHaproxyConfig(text)
  if (/\.(ini|conf)$/.test(path) || path.startsWith('/etc/')) return redactIniSecrets(text)
  return redactUrlUserinfo(text)
}

const LSTAT: readonly string[] = ['file', 'symlink', 'directory', 'socket', 'other']
const isLstat = (s: string | undefined): s is LstatType => s !== undefined && LSTAT.includes(s)

/** `PID/cmdline:ARG` NUL-terminated (grep -H -z over /proc): each process's arguments, in order. */
function parseProcs(raw: Buffer): {pid: number; cmdline: string}[] {
  const out: {pid: number; cmdline: string}[] = []
  let cur: {pid: number; args: string[]} | undefined
  const flush = () => {
    // the script's own processes (sh -c SCRIPT, and what ran it) hold its magic: they are not the node's
    if (cur && !cur.args.some((a) => a.includes(BUNDLE_MAGIC))) out.push({cmdline: redactCmdline(`${cur.args.join('\0')}\0`), pid: cur.pid})
  }
  for (const item of raw.toString('utf8').split('\0')) {
    const m = /^(\d{1,10})\/cmdline:/.exec(item)
    if (!m) continue
    const pid = Number(m[1])
    if (cur?.pid !== pid) {
      flush()
      cur = {args: [], pid}
    }
    cur.args.push(item.slice(m[0].length))
  }
  flush()
  return out
}

/**
 * The stream an agentless host printed, as a Bundle; or why it is none (one line). `text` is what ssh
 * gave on stdout, already capped in bytes by the transport.
 */
export function parseBundle(raw: Buffer, limits: FrameLimits = FRAME_LIMITS): FrameResult {
  const text = raw.toString('latin1')
  if (!text.startsWith(`${BUNDLE_MAGIC}\n`)) {
    const first = text.split('\n', 1)[0]
    return {error: text.trim() === '' ? 'printed nothing' : `printed no agentless evidence: ${JSON.stringify(printable(first))}`, ok: false}
  }
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  if (lines.at(-1) !== BUNDLE_END) return {error: `stopped before the end of its evidence (${lines.length} lines, no ${BUNDLE_END})`, ok: false}
  const b: Bundle = {
    commands: new Map(),
    connects: new Map(),
    dirs: new Map(),
    env: new Map(),
    exists: new Set(),
    fds: new Map(),
    files: new Map(),
    inodes: new Map(),
    links: new Map(),
    probes: new Map(),
    tails: new Map(),
  }
  let records = 0
  const bad = (i: number, why: string): FrameResult => ({error: `line ${i + 1} of its evidence: ${why}`, ok: false})
  for (let i = 1; i < lines.length - 1; i++) {
    const head = HEAD.exec(lines[i])
    if (!head) return bad(i, `not a record: ${JSON.stringify(printable(lines[i]))}`)
    if (++records > limits.maxRecords) return bad(i, `more than ${limits.maxRecords} records`)
    const [, type, nameWord, rest] = head
    const name = decodeName(nameWord)
    if (name === undefined) return bad(i, 'a name that is not base64')
    const attrs = rest.split(' ').filter((a) => a !== '')
    // the payload: base64 lines up to the record's end
    const chunks: string[] = []
    let size = 0
    let j = i + 1
    for (; j < lines.length - 1 && !lines[j].startsWith('. '); j++) {
      if (!B64.test(lines[j])) return bad(j, `not base64 inside a record: ${JSON.stringify(printable(lines[j]))}`)
      size += lines[j].length
      // base64 of at most the cap and one byte: anything longer was not the script's own head -c
      if (size > ((limits.fileCap + 3) / 3) * 4 + 8) return bad(j, `a record of more than ${limits.fileCap} bytes`)
      chunks.push(lines[j])
    }
    const end = END.exec(lines[j] ?? '')
    if (!end || j >= lines.length - 1) return bad(j, 'a record without its end')
    const status = Number(end[1])
    const payload = Buffer.from(chunks.join(''), 'base64')
    const err = apply(b, type, name, attrs, payload, status, limits)
    if (err) return bad(i, err)
    i = j
  }
  return {bundle: b, ok: true}
}

const isoOf = (secs: string | undefined) => {
  const n = Number(secs)
  return secs !== undefined && /^\d{1,12}(\.\d{1,9})?$/.test(secs) && Number.isFinite(n) ? new Date(Math.round(n * 1000)).toISOString() : undefined
}

/** One record into the bundle; a message when it is not one the script writes. */
function apply(b: Bundle, type: string, name: string, attrs: string[], payload: Buffer, status: number, limits: FrameLimits): string | undefined {
  const utf8 = () => payload.toString('utf8')
  switch (type) {
    case 'host':
      b.host = name.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 255)
      return
    case 'clock': {
      const ms = Number(name) * 1000
      if (!/^\d{1,12}(\.\d{1,9})?$/.test(name) || !Number.isFinite(ms)) return `a clock that is no time: ${JSON.stringify(printable(name))}`
      b.nowMs = Math.round(ms)
      b.uptime = utf8()
      return
    }
    case 'layout':
      b.layout = name
      return
    case 'exists':
      for (const p of utf8().split('\0')) if (p !== '') b.exists.add(p)
      return
    case 'file': {
      const [t, how, third] = attrs
      if (t === 'missing') {
        b.files.set(name, {read: 'missing', type: 'missing'})
        return
      }
      if (!isLstat(t)) return `a file of unknown type ${JSON.stringify(printable(t ?? ''))}`
      const f: BundleFile = {read: 'read', type: t}
      if (how === 'notregular') Object.assign(f, {kind: third ?? 'other', read: 'notregular'})
      else if (how === 'denied') f.read = 'denied'
      else if (how === 'read') {
        for (const a of attrs.slice(2)) {
          if (a.startsWith('m=')) f.mtime = isoOf(a.slice(2))
          else if (a.startsWith('r=')) {
            const real = decodeName(a.slice(2))
            if (real) f.realpath = real
          }
        }
        if (payload.length > limits.fileCap) f.read = 'toolarge'
        else f.content = redactFile(name, utf8())
      } else return `a file record of unknown state ${JSON.stringify(printable(how ?? ''))}`
      b.files.set(name, f)
      return
    }
    case 'tail': {
      const [state, size, mtime] = attrs
      if (!['read', 'symlink', 'missing', 'notregular', 'denied'].includes(state))
        return `a log record of unknown state ${JSON.stringify(printable(state ?? ''))}`
      const t: BundleTail = {state: state as BundleTail['state']}
      if (state === 'read') {
        t.bytes = payload.length
        if (size !== undefined && /^\d{1,15}$/.test(size)) t.size = Number(size)
        t.mtime = isoOf(mtime)
        t.text = redactLogText(utf8())
      }
      b.tails.set(name, t)
      return
    }
    case 'dir': {
      const [glob, state] = attrs
      if (glob === undefined) return 'a directory record without its glob'
      const globs = b.dirs.get(name) ?? new Map<string, string[] | undefined>()
      globs.set(
        glob,
        state === 'read'
          ? [
              ...new Set(
                utf8()
                  .split('\0')
                  .filter((n) => n !== '' && n !== '.' && n !== '..' && !n.includes('/')),
              ),
            ].sort()
          : undefined,
      )
      b.dirs.set(name, globs)
      return
    }
    case 'cmd': {
      const [ns, variant] = attrs
      const key = `${name}\0${ns === '-' ? '' : ns}`
      const list = b.commands.get(key) ?? []
      // a journal is a log: its lines redacted as a log's are
      list.push({exitCode: status, stdout: name === 'journal' ? redactLogText(utf8()) : redactUrlUserinfo(utf8()), variant: variant ?? '-'})
      b.commands.set(key, list)
      return
    }
    case 'link': {
      const target = utf8().replace(/\n$/, '')
      b.links.set(name, target === '' ? undefined : target)
      return
    }
    case 'fds': {
      if (!/^\d{1,10}$/.test(name)) return 'a pid that is no number'
      b.fds.set(
        Number(name),
        utf8()
          .split('\n')
          .filter((l) => l.startsWith('socket:')),
      )
      return
    }
    case 'inode':
      if (attrs[0] !== undefined && /^\d{1,20}$/.test(attrs[0])) b.inodes.set(name, `net:[${attrs[0]}]`)
      return
    case 'procs':
      b.procs = parseProcs(payload)
      return
    case 'env':
      if (!/^\d{1,10}$/.test(name)) return 'a pid that is no number'
      b.env.set(Number(name), redactCmdline(utf8().split('\n').filter(Boolean).join('\0')))
      return
    case 'connect': {
      const [t, result, busy] = attrs
      if (t !== 'missing' && t !== 'error' && t !== 'nopython' && !isLstat(t)) return `a connect record of unknown type ${JSON.stringify(printable(t ?? ''))}`
      const c: BundleConnect = t === 'nopython' ? {result: 'nopython', type: 'socket'} : {type: t}
      if (t !== 'nopython' && result !== undefined) c.result = result.replace(/[^A-Za-z0-9_-]/g, '?').slice(0, 40)
      if (busy !== undefined && /^\d{1,6}$/.test(busy)) c.busyMs = Number(busy)
      b.connects.set(name, c)
      return
    }
    case 'probe': {
      const [kind, dev] = attrs
      if (kind === 'nopython') {
        b.probes.set(`${name}\0`, 'nopython')
        return
      }
      if ((kind !== 'v4' && kind !== 'v6') || (kind === 'v6' && (dev === undefined || !/^[\w.@-]{1,15}$/.test(dev)))) return 'a probe record of unknown form'
      let doc: unknown
      try {
        doc = JSON.parse(utf8())
      } catch {
        return 'a probe answer that is not JSON'
      }
      const o = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
      const p: BundleProbe = {}
      if (Number.isInteger(o.status) && (o.status as number) >= 100 && (o.status as number) <= 999) p.status = o.status as number
      if (typeof o.body === 'string') p.body = redactUrlUserinfo(o.body.slice(0, 500))
      if (typeof o.error === 'string') p.error = o.error.replace(/[^\w.-]/g, '?').slice(0, 40)
      if (Number.isInteger(o.ms) && (o.ms as number) >= 0) p.ms = o.ms as number
      if (p.status === undefined && p.error === undefined) p.error = 'no answer'
      b.probes.set(`${name}\0${kind === 'v6' ? dev : ''}`, p)
      return
    }
    default:
      return `a record of unknown type ${JSON.stringify(printable(type))}`
  }
}
