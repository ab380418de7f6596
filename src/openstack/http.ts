/**
 * One HTTP request to an OpenStack API, with a timeout and errors an operator can act on.
 * node:http/https rather than the global fetch: Node 20 loads fetch's undici on first use (~30-40 ms,
 * most of what is ours to win in `subnet create`), and https takes the TLS options (--os-cacert,
 * --insecure) directly. Never retried here: a POST must not be sent twice blindly.
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
  /** a response header, by case-insensitive name */
  header(name: string): string | undefined
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
  let body: Buffer | undefined
  if (opts.body !== undefined) {
    body = Buffer.from(JSON.stringify(opts.body))
    headers['Content-Type'] = 'application/json'
    headers['Content-Length'] = String(body.length)
  }
  const https = url.startsWith('https:')
  const mod = https ? await import('node:https') : await import('node:http')
  const timeoutMs = opts.timeoutMs ?? 30_000
  const tls = https && opts.tls ? {ca: opts.tls.cacert ? readFileSync(opts.tls.cacert) : undefined, rejectUnauthorized: !opts.tls.insecure} : {}
  const started = performance.now()
  const res = await new Promise<{status: number; headers: Record<string, string | string[] | undefined>; text: string}>((resolve, reject) => {
    const req = mod.request(url, {headers, method, ...tls}, (r) => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c))
      r.on('end', () => resolve({headers: r.headers, status: r.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
      r.on('error', reject)
    })
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), {code: 'QM_TIMEOUT'})), timeoutMs)
    req.on('close', () => clearTimeout(timer))
    req.on('error', reject)
    req.end(body)
  }).catch((error: NodeJS.ErrnoException) => {
    const origin = new URL(url).origin
    const code = error.code ?? error.message
    if (code === 'QM_TIMEOUT') throw cannotError('api-timeout', `${method} ${url}: no answer within ${timeoutMs / 1000} s`)
    if (TLS_CODES.test(code)) throw cannotError('api-tls', `cannot reach ${origin}: TLS: ${code} (give the CA with --os-cacert, or --insecure)`)
    throw cannotError('api-unreachable', `cannot reach ${origin}: ${code}`)
  })
  const ms = Math.round(performance.now() - started)
  debug(`${method} ${url} -> ${res.status} (${ms} ms)`)
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

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
