/** The few Quantum/Neutron v2.0 calls quantum-meta makes, with errors mapped to exit codes. */
import {EXIT, type ExitCode, QmError, cannotError, usageError} from '../errors.js'
import {type ApiOptions, parseJson, request, timeoutMsOf} from './http.js'
import type {Session} from './keystone.js'
import {errorText} from './neutron-errors.js'
import {isUuid, serverText, showBadId, tooDeep} from './server-text.js'

export interface ApiRecord {
  method: string
  path: string
  status: number
  body: string
}

export interface Network {
  id: string
  name?: string
  admin_state_up?: boolean
  status?: string
  subnets?: string[]
}

/** 401/403: cannot apply (3); 404/400: bad input (2); 409 and overlap (quota, overlap): refused (1); 5xx: 3. */
export function apiError(r: {status: number; text: string}, what: string): QmError {
  const text = errorText(r.text) ?? ''
  const s = r.status
  let exit: ExitCode = EXIT.CANNOT
  let code = 'api-error'
  let prefix = ''
  if (s === 401 || s === 403) {
    code = 'auth-failed'
    prefix = 'authentication/authorization failed: '
  } else if (s === 409 || (s === 400 && /overlaps? with another subnet/i.test(text))) {
    // well-formed but refused: the range overlaps (Neutron answers 400 InvalidInput for that) or a quota/conflict
    exit = EXIT.FAILED
    code = 'conflict'
  } else if (s === 404 || s === 400 || (s >= 405 && s < 500)) {
    exit = EXIT.USAGE
    code = s === 404 ? 'not-found' : 'bad-request'
  }
  return new QmError(code, `${prefix}${what}: HTTP ${s}${text ? `: ${text}` : ''}`, exit)
}

export class NeutronClient {
  readonly records: ApiRecord[] = []

  constructor(
    readonly session: Session,
    readonly tls: ApiOptions,
  ) {}

  private headers(): Record<string, string> {
    return this.session.token ? {'X-Auth-Token': this.session.token} : {}
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{status: number; text: string; json: unknown; location?: string}> {
    const r = await request(method, `${this.session.networkUrl}${path}`, {
      body,
      headers: this.headers(),
      timeoutMs: timeoutMsOf(this.tls),
      tls: this.tls,
    })
    this.records.push({body: r.text, method, path, status: r.status})
    return {json: parseJson(r.text), location: r.header('location'), status: r.status, text: r.text}
  }

  /** A 200 answer's JSON object (never null, an array or absurdly deep), else exit 3 saying what came. */
  async getObject(path: string, what: string): Promise<Record<string, unknown>> {
    const r = await this.call('GET', path)
    if (r.status !== 200) throw apiError(r, what)
    const doc = r.json
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || tooDeep(doc, MAX_DEPTH)) {
      throw cannotError('api-bad-answer', `${what}: GET ${path} answered HTTP 200 with ${describeJson(r.text, doc)}`)
    }
    return doc as Record<string, unknown>
  }

  /** A network by a name that must match exactly one (ids are tried by the caller's own request). */
  async findNetwork(nameOrId: string, byNameOnly = false): Promise<Network> {
    const what = `networks named ${JSON.stringify(nameOrId)}`
    const doc = await this.getObject(`/networks?name=${encodeURIComponent(nameOrId)}`, what)
    if (!Array.isArray(doc.networks)) throw cannotError('api-bad-answer', `${what}: the answer has no "networks" list`)
    const found = (doc.networks as unknown[]).filter(
      (n): n is Record<string, unknown> => typeof n === 'object' && n !== null && (n as Record<string, unknown>).name === nameOrId,
    )
    if (found.length === 0)
      throw usageError(
        'network-not-found',
        byNameOnly ? `no network named ${JSON.stringify(nameOrId)}` : `no network ${JSON.stringify(nameOrId)} (neither an id nor a name the API knows)`,
      )
    const bad = found.find((n) => !isUuid(n.id))
    if (bad) throw cannotError('api-bad-id', `${what}: the API answered a network whose id is not a UUID: ${showBadId(bad.id)}`)
    if (found.length > 1)
      throw usageError('network-ambiguous', `${found.length} networks are named ${JSON.stringify(nameOrId)}: ${found.map((n) => n.id).join(', ')}; give the id`)
    const n = found[0]
    return {id: (n.id as string).toLowerCase(), name: nameOrId}
  }
}

/** Deeper than this, an answer is not a Neutron resource (a subnet is 3 levels deep). */
export const MAX_DEPTH = 32

/** What a JSON answer that is not the expected object is, for a message. */
export function describeJson(text: string, doc: unknown): string {
  if (doc === undefined) return text.trim() === '' ? 'an empty body' : `a body that is not JSON (${serverText(text, 60)})`
  if (doc === null) return 'JSON null'
  if (Array.isArray(doc)) return tooDeep(doc, MAX_DEPTH) ? `JSON nested deeper than ${MAX_DEPTH} levels` : 'a JSON array'
  if (typeof doc !== 'object') return `a JSON ${typeof doc}`
  if (tooDeep(doc, MAX_DEPTH)) return `JSON nested deeper than ${MAX_DEPTH} levels`
  return 'a JSON object'
}
