/**
 * Keystone: v3 password or token auth (token in the X-Subject-Token header), v2.0 password auth
 * (Grizzly: access.token.id), or none; then the network endpoint from the catalog with `/v2.0`
 * appended exactly once. Version discovery only when the auth URL does not say its version.
 */
import {type QmError, cannotError, usageError} from '../errors.js'
import type {Credentials} from './credentials.js'
import {parseJson, request} from './http.js'
import {errorText} from './neutron-errors.js'

export interface Session {
  token?: string
  /** the Neutron/Quantum API base, ending in /v2.0 */
  networkUrl: string
  via: 'v3' | 'v2.0' | 'token' | 'none'
}

const trim = (u: string) => u.replace(/\/+$/, '')

/** `/v2.0` appended unless the URL already ends with it. */
export function networkBase(url: string): string {
  const u = trim(url)
  return /\/v2\.0$/.test(u) ? u : `${u}/v2.0`
}

interface V3Endpoint {
  interface?: string
  region_id?: string
  region?: string
  url?: string
}
interface V2Endpoint {
  region?: string
  publicURL?: string
  internalURL?: string
  adminURL?: string
}
interface CatalogEntry<E> {
  type?: string
  endpoints?: E[]
}

export function pickEndpoint(catalog: unknown, version: 'v3' | 'v2.0', creds: Pick<Credentials, 'interface' | 'regionName'>): string {
  const entries = (Array.isArray(catalog) ? catalog : []) as CatalogEntry<V3Endpoint & V2Endpoint>[]
  const network = entries.find((e) => e.type === 'network')
  if (!network) throw cannotError('no-network-endpoint', 'the Keystone catalog has no "network" service (is Neutron/Quantum registered?)')
  const inRegion = (network.endpoints ?? []).filter((e) => !creds.regionName || (e.region_id ?? e.region) === creds.regionName)
  let url: string | undefined
  if (version === 'v3') url = inRegion.find((e) => e.interface === creds.interface)?.url
  else url = inRegion.map((e) => (creds.interface === 'internal' ? e.internalURL : creds.interface === 'admin' ? e.adminURL : e.publicURL)).find(Boolean)
  if (!url) {
    throw cannotError('no-network-endpoint', `the catalog has no ${creds.interface} network endpoint${creds.regionName ? ` in region ${creds.regionName}` : ''}`)
  }
  return networkBase(url)
}

function authFailed(status: number, text: string, url: string): QmError {
  const why = errorText(text) ?? ''
  if (status === 401 || status === 403) {
    return cannotError('auth-failed', `authentication failed at ${url}: HTTP ${status}${why ? ` ${why}` : ''} (check the user, password, project and domains)`)
  }
  return cannotError('auth-error', `Keystone answered HTTP ${status} at ${url}${why ? `: ${why}` : ''}`)
}

async function discover(authUrl: string, creds: Credentials): Promise<{version: 'v3' | 'v2.0'; base: string}> {
  const u = trim(authUrl)
  const v = creds.identityApiVersion?.replace(/^v/, '')
  if (v === '3' || /\/v3$/.test(u)) return {base: /\/v3$/.test(u) ? u : `${u}/v3`, version: 'v3'}
  if (v === '2' || v === '2.0' || /\/v2\.0$/.test(u)) return {base: /\/v2\.0$/.test(u) ? u : `${u}/v2.0`, version: 'v2.0'}
  const r = await request('GET', u, {tls: creds})
  const doc = parseJson(r.text) as {version?: {id?: string; links?: {rel?: string; href?: string}[]}; versions?: {values?: {id?: string; status?: string; links?: {rel?: string; href?: string}[]}[]}} | undefined
  const values = doc?.versions?.values ?? (doc?.version ? [doc.version] : [])
  const self = (x: {links?: {rel?: string; href?: string}[]}) => x.links?.find((l) => l.rel === 'self')?.href
  const v3 = values.find((x) => x.id?.startsWith('v3'))
  if (v3) return {base: trim(self(v3) ?? `${u}/v3`), version: 'v3'}
  const v2 = values.find((x) => x.id?.startsWith('v2'))
  if (v2) return {base: trim(self(v2) ?? `${u}/v2.0`), version: 'v2.0'}
  throw cannotError('auth-discovery', `${u} does not look like Keystone (no v3 or v2.0 in its version document)`)
}

export async function authenticate(creds: Credentials): Promise<Session> {
  if (creds.authType === 'none') return {networkUrl: networkBase(creds.endpoint!), via: 'none'}
  if (creds.authType === 'token' && creds.endpoint) return {networkUrl: networkBase(creds.endpoint), token: creds.token, via: 'token'}
  const {base, version} = await discover(creds.authUrl!, creds)

  if (version === 'v2.0') {
    if (creds.authType === 'token') throw usageError('v2-token', 'a token with Keystone v2.0 needs --os-endpoint')
    const tenant = creds.projectId ? {tenantId: creds.projectId} : creds.projectName ? {tenantName: creds.projectName} : {}
    const url = `${base}/tokens`
    const r = await request('POST', url, {body: {auth: {passwordCredentials: {password: creds.password, username: creds.username}, ...tenant}}, tls: creds})
    if (r.status !== 200 && r.status !== 203) throw authFailed(r.status, r.text, url)
    const doc = parseJson(r.text) as {access?: {token?: {id?: string}; serviceCatalog?: unknown}} | undefined
    const token = doc?.access?.token?.id
    if (!token) throw cannotError('auth-error', `Keystone v2.0 at ${url} answered without access.token.id`)
    const networkUrl = creds.endpoint ? networkBase(creds.endpoint) : pickEndpoint(doc?.access?.serviceCatalog, 'v2.0', creds)
    return {networkUrl, token, via: 'v2.0'}
  }

  const domain = (name?: string, id?: string) => (id ? {id} : {name: name ?? 'Default'})
  const identity =
    creds.authType === 'token'
      ? {methods: ['token'], token: {id: creds.token}}
      : {methods: ['password'], password: {user: {domain: domain(creds.userDomainName, creds.userDomainId), name: creds.username, password: creds.password}}}
  const scope = creds.projectId
    ? {project: {id: creds.projectId}}
    : creds.projectName
      ? {project: {domain: domain(creds.projectDomainName, creds.projectDomainId), name: creds.projectName}}
      : undefined
  if (!scope && !creds.endpoint) throw usageError('no-project', 'give the project (OS_PROJECT_NAME or --os-project-name): the catalog comes with a project-scoped token')
  const url = `${base}/auth/tokens`
  const r = await request('POST', url, {body: {auth: {identity, ...(scope ? {scope} : {})}}, tls: creds})
  if (r.status !== 201 && r.status !== 200) throw authFailed(r.status, r.text, url)
  const token = r.header('x-subject-token')
  if (!token) throw cannotError('auth-error', `Keystone at ${url} answered ${r.status} without an X-Subject-Token header`)
  const doc = parseJson(r.text) as {token?: {catalog?: unknown}} | undefined
  const networkUrl = creds.endpoint ? networkBase(creds.endpoint) : pickEndpoint(doc?.token?.catalog, 'v3', creds)
  return {networkUrl, token, via: creds.authType === 'token' ? 'token' : 'v3'}
}
