/** The few Quantum/Neutron v2.0 calls quantum-meta makes, with errors mapped to exit codes. */
import {EXIT, type ExitCode, QmError, usageError} from '../errors.js'
import type {TlsOptions} from './http.js'
import {parseJson, request} from './http.js'
import type {Session} from './keystone.js'
import {errorText} from './neutron-errors.js'

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
    readonly tls: TlsOptions,
  ) {}

  private headers(): Record<string, string> {
    return this.session.token ? {'X-Auth-Token': this.session.token} : {}
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{status: number; text: string; json: unknown}> {
    const r = await request(method, `${this.session.networkUrl}${path}`, {body, headers: this.headers(), tls: this.tls})
    this.records.push({body: r.text, method, path, status: r.status})
    return {json: parseJson(r.text), status: r.status, text: r.text}
  }

  async get<T>(path: string, what: string): Promise<T> {
    const r = await this.call('GET', path)
    if (r.status !== 200) throw apiError(r, what)
    return r.json as T
  }

  /** A network by a name that must match exactly one (ids are tried by the caller's own request). */
  async findNetwork(nameOrId: string): Promise<Network> {
    const list = await this.get<{networks: Network[]}>(`/networks?name=${encodeURIComponent(nameOrId)}`, `networks named ${nameOrId}`)
    const found = list.networks.filter((n) => n.name === nameOrId)
    if (found.length === 0) throw usageError('network-not-found', `no network ${JSON.stringify(nameOrId)} (neither an id nor a name the API knows)`)
    if (found.length > 1) throw usageError('network-ambiguous', `${found.length} networks are named ${JSON.stringify(nameOrId)}: ${found.map((n) => n.id).join(', ')}; give the id`)
    return found[0]
  }
}
