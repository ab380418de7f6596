/**
 * One HTTP request to an OpenStack API, with a timeout and errors an operator can act on.
 * TLS options (--os-cacert, --insecure) need undici's own fetch and Agent, taken from the same
 * package (mixing npm undici's Agent with Node's bundled fetch breaks on version skew).
 * Never retried here: a POST must not be sent twice blindly.
 */
import {readFileSync} from 'node:fs'

import {cannotError} from '../errors.js'
import {debug} from '../output.js'

export interface TlsOptions {
  cacert?: string
  insecure: boolean
}

export interface HttpResponse {
  status: number
  headers: Headers
  text: string
  ms: number
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i

export async function request(
  method: 'GET' | 'POST' | 'DELETE' | 'PUT',
  url: string,
  opts: {headers?: Record<string, string>; body?: unknown; timeoutMs?: number; tls?: TlsOptions} = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = {Accept: 'application/json', ...opts.headers}
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  const started = performance.now()
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 30_000)
  let res: Response
  try {
    if (url.startsWith('https:') && opts.tls && (opts.tls.insecure || opts.tls.cacert)) {
      const undici = await import('undici')
      const dispatcher = new undici.Agent({
        connect: {ca: opts.tls.cacert ? readFileSync(opts.tls.cacert) : undefined, rejectUnauthorized: !opts.tls.insecure},
      })
      res = (await undici.fetch(url, {body, dispatcher, headers, method, signal})) as unknown as Response
    } else {
      res = await fetch(url, {body, headers, method, signal})
    }
  } catch (error) {
    const e = error as Error & {cause?: {code?: string; message?: string}}
    const origin = new URL(url).origin
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw cannotError('api-timeout', `${method} ${url}: no answer within ${(opts.timeoutMs ?? 30_000) / 1000} s`)
    const code = e.cause?.code ?? e.cause?.message ?? e.message
    if (TLS_CODES.test(code)) throw cannotError('api-tls', `cannot reach ${origin}: TLS: ${code} (give the CA with --os-cacert, or --insecure)`)
    throw cannotError('api-unreachable', `cannot reach ${origin}: ${code}`)
  }
  const text = await res.text()
  const ms = Math.round(performance.now() - started)
  debug(`${method} ${url} -> ${res.status} (${ms} ms)`)
  return {headers: res.headers, ms, status: res.status, text}
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
