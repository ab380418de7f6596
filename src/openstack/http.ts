/**
 * One HTTP request to an OpenStack API, with a timeout and errors an operator can act on.
 * node:http/https rather than the global fetch: Node 20 loads fetch's undici on first use (~30-40 ms,
 * most of what is ours to win in `subnet create`), and https takes the TLS options (--os-cacert,
 * --insecure) directly. Never retried here: a POST must not be sent twice blindly.
 *
 * Answers are untrusted: a body is read up to MAX_BODY bytes and then the connection is dropped; an
 * answer cut short (by the cap, the server or the timeout) after its status line arrived is a
 * ResponseError carrying that status, so a caller can say "the POST may have worked".
 */
import {closeSync, constants, fstatSync, openSync, readSync} from 'node:fs'
import type {IncomingMessage} from 'node:http'

import {EXIT, QmError, cannotError, describeSystemError, usageError} from '../errors.js'
import {debug} from '../output.js'
import {redactUrl} from './server-text.js'

export interface TlsOptions {
  cacert?: string
  insecure: boolean
}

/** How an API is reached: TLS, and the seconds a request may take (--os-timeout; default DEFAULT_TIMEOUT_MS). */
export interface ApiOptions extends TlsOptions {
  timeoutS?: number
}

export const DEFAULT_TIMEOUT_MS = 30_000

/** The request timeout of these options, milliseconds. */
export const timeoutMsOf = (o: {timeoutS?: number}): number => (o.timeoutS === undefined ? DEFAULT_TIMEOUT_MS : o.timeoutS * 1000)

export interface HttpResponse {
  status: number
  /** a response header, by case-insensitive name */
  header(name: string): string | undefined
  text: string
  ms: number
}

/** Neutron's largest answers (a port list of a big network) are well under this. */
export const MAX_BODY = 8 * 1024 * 1024
/** A CA bundle larger than this is not a CA bundle. */
const MAX_CACERT = 4 * 1024 * 1024

/** The status line arrived, the body did not (whole): too large, cut by the server, or too slow. */
export class ResponseError extends QmError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly location: string | undefined,
  ) {
    super(code, message, EXIT.CANNOT)
    this.name = 'ResponseError'
  }
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i

const caCache = new Map<string, Buffer>()

/**
 * The CA bundle named by --os-cacert / OS_CACERT / clouds.yaml `cacert`: a regular file (opened
 * non-blocking, so a FIFO cannot hang the run), of a sane size, else exit 2 naming the path.
 */
export function readCaBundle(path: string): Buffer {
  const cached = caCache.get(path)
  if (cached) return cached
  const bad = (why: string) => usageError('bad-cacert', `CA bundle ${path} (--os-cacert, OS_CACERT or cacert in clouds.yaml): ${why}`)
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (error) {
    throw bad(describeSystemError(error))
  }
  try {
    const st = fstatSync(fd)
    if (st.isDirectory()) throw bad('is a directory')
    if (!st.isFile()) throw bad('not a regular file')
    if (st.size > MAX_CACERT) throw bad(`${st.size} bytes, larger than ${MAX_CACERT / 1024 / 1024} MB: not a CA bundle`)
    const buf = Buffer.alloc(st.size)
    let got = 0
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got)
      if (n === 0) break
      got += n
    }
    const data = buf.subarray(0, got)
    if (!/-----BEGIN [A-Z ]*CERTIFICATE-----/.test(data.toString('latin1'))) throw bad('no PEM certificate in it (-----BEGIN CERTIFICATE-----)')
    caCache.set(path, data)
    return data
  } catch (error) {
    if (error instanceof QmError) throw error
    throw bad(describeSystemError(error))
  } finally {
    closeSync(fd)
  }
}

export async function request(
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  url: string,
  opts: {headers?: Record<string, string>; body?: unknown; timeoutMs?: number; tls?: TlsOptions; maxBody?: number; setting?: string} = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = {Accept: 'application/json', ...opts.headers}
  let body: Buffer | undefined
  if (opts.body !== undefined) {
    body = Buffer.from(JSON.stringify(opts.body))
    headers['Content-Type'] = 'application/json'
    headers['Content-Length'] = String(body.length)
  }
  const shown = redactUrl(url)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw cannotError('api-bad-url', `${method} ${shown}: not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw cannotError('api-bad-url', `${method} ${shown}: not an http(s) URL`)
  const https = parsed.protocol === 'https:'
  const mod = https ? await import('node:https') : await import('node:http')
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxBody = opts.maxBody ?? MAX_BODY
  const tls = https && opts.tls ? {ca: opts.tls.cacert ? readCaBundle(opts.tls.cacert) : undefined, rejectUnauthorized: !opts.tls.insecure} : {}
  const started = performance.now()
  const res = await new Promise<{status: number; headers: Record<string, string | string[] | undefined>; text: string}>((resolve, reject) => {
    let settled = false
    let answer: IncomingMessage | undefined
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const location = () => {
      const l = answer?.headers.location
      return Array.isArray(l) ? l[0] : l
    }
    /** the status line came, the body did not (whole): stop reading, drop the connection */
    const cutShort = (code: string, why: string) =>
      settle(() => {
        const status = answer?.statusCode ?? 0
        reject(new ResponseError(code, `${method} ${shown} answered HTTP ${status} but ${why}`, status, location()))
        answer?.destroy()
        req.destroy()
      })
    let req: ReturnType<typeof mod.request>
    try {
      req = mod.request(url, {headers, method, ...tls}, (r) => {
        answer = r
        const declared = Number(r.headers['content-length'])
        if (declared > maxBody) return cutShort('api-too-large', `announced a ${declared}-byte body, over the ${maxBody / 1024 / 1024} MB limit: not read`)
        const chunks: Buffer[] = []
        let size = 0
        r.on('data', (c: Buffer) => {
          if (settled) return
          size += c.length
          if (size > maxBody) return cutShort('api-too-large', `its body passed the ${maxBody / 1024 / 1024} MB limit: stopped reading`)
          chunks.push(c)
        })
        r.on('end', () => settle(() => resolve({headers: r.headers, status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')})))
        r.on('error', () => cutShort('api-cut', `the connection closed before the body was complete (${size} bytes read)`))
        r.on('close', () => cutShort('api-cut', `the connection closed before the body was complete (${size} bytes read)`))
      })
    } catch (error) {
      // an invalid header value or URL part: nothing was sent
      return reject(error)
    }
    const timer = setTimeout(() => {
      if (answer) cutShort('api-timeout', `its body was not complete within ${timeoutMs / 1000} s (the API timeout: --os-timeout, OS_TIMEOUT)`)
      else req.destroy(Object.assign(new Error('timeout'), {code: 'QM_TIMEOUT'}))
    }, timeoutMs)
    req.on('error', (error) => settle(() => reject(error)))
    req.end(body)
  }).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof QmError) throw error
    const code = error.code ?? error.message
    if (code === 'QM_TIMEOUT')
      throw cannotError('api-timeout', `${method} ${shown}: no answer within ${timeoutMs / 1000} s (the API timeout: --os-timeout, OS_TIMEOUT)`)
    // the URL as given (its path too: /v3 or /v2.0), and which setting named it
    const named = `${shown}${opts.setting ? ` (${opts.setting})` : ''}`
    if (TLS_CODES.test(code)) throw cannotError('api-tls', `cannot reach ${named}: TLS: ${code} (give the CA with --os-cacert, or --insecure)`)
    throw cannotError('api-unreachable', `cannot reach ${named}: ${code}`)
  })
  const ms = Math.round(performance.now() - started)
  debug(`${method} ${shown} -> ${res.status} (${ms} ms)`)
  return {
    header: (name) => {
      const v = res.headers[name.toLowerCase()]
      return Array.isArray(v) ? v[0] : v
    },
    ms,
    status: res.status,
    text: res.text,
  }
}

/** The JSON of an answer, or undefined when it is not JSON. Never throws (a 100k-deep document included). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
