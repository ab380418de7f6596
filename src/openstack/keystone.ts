/**
 * Keystone: v3 password or token auth (token in the X-Subject-Token header), v2.0 password auth
 * (Grizzly: access.token.id), or none; then the network endpoint from the catalog with `/v2.0`
 * appended exactly once. Version discovery only when the auth URL does not say its version.
 */
import {type QmError, cannotError, usageError} from '../errors.js'
import type {Credentials} from './credentials.js'
import {parseJson, request, timeoutMsOf} from './http.js'
import {errorText} from './neutron-errors.js'
import {redactUrl, serverText} from './server-text.js'

/** Where Keystone's address comes from, named when it cannot be reached. */
const AUTH_URL_SETTING = 'OS_AUTH_URL, --os-auth-url or auth_url in clouds.yaml'

export interface Session {
  token?: string
  /** the Neutron/Quantum API base, ending in /v2.0 */
  networkUrl: string
  via: 'v3' | 'v2.0' | 'token' | 'none'
  /** the token's service catalog and its Keystone version (none with --os-endpoint or auth none): other services' URLs (Nova's) */
  catalog?: {entries: unknown; version: 'v3' | 'v2.0'}
}

const trim = (u: string) => u.replace(/\/+$/, '')

/** `/v2.0` appended unless the URL already ends with it. */
export function networkBase(url: string): string {
  const u = trim(url)
  return /\/v2\.0$/.test(u) ? u : `${u}/v2.0`
}

/** A URL a server gave (catalog, version document): used only if it is an http(s) URL. */
function serverUrl(v: unknown, what: string): string {
  let ok = false
  if (typeof v === 'string' && v.length <= 2048) {
    try {
      const u = new URL(v)
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && !/[\s\x00-\x1f]/.test(v)
    } catch {
      ok = false
    }
  }
  if (!ok)
    throw cannotError('api-bad-url', `${what} is not an http(s) URL: ${typeof v === 'string' ? JSON.stringify(serverText(redactUrl(v), 100)) : typeof v}`)
  return v as string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A token as sent back in X-Auth-Token: visible ASCII, of a sane length (never a header injection). */
function checkToken(token: unknown, where: string): string {
  if (typeof token !== 'string' || token === '') throw cannotError('auth-error', `${where} answered without a token`)
  if (token.length > 16_384 || !/^[\x21-\x7e]+$/.test(token))
    throw cannotError('auth-error', `${where} answered a token that is not printable ASCII (or over 16 KB)`)
  return token
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

/**
 * The URL the catalog gives service `type` at the credentials' interface and region: `service` false
 * when the catalog has no such service, `url` undefined when it has no such endpoint (as the server wrote it: unchecked).
 */
export function catalogUrl(
  catalog: unknown,
  type: string,
  version: 'v3' | 'v2.0',
  creds: Pick<Credentials, 'interface' | 'regionName'>,
): {service: boolean; url: unknown} {
  const entries = (Array.isArray(catalog) ? catalog : []).filter(isObject) as CatalogEntry<V3Endpoint & V2Endpoint>[]
  const entry = entries.find((e) => e.type === type)
  if (!entry) return {service: false, url: undefined}
  const endpoints = (Array.isArray(entry.endpoints) ? entry.endpoints : []).filter(isObject) as (V3Endpoint & V2Endpoint)[]
  const inRegion = endpoints.filter((e) => !creds.regionName || (e.region_id ?? e.region) === creds.regionName)
  let url: unknown
  if (version === 'v3') url = inRegion.find((e) => e.interface === creds.interface)?.url
  else url = inRegion.map((e) => (creds.interface === 'internal' ? e.internalURL : creds.interface === 'admin' ? e.adminURL : e.publicURL)).find(Boolean)
  return {service: true, url}
}

/** A catalog URL checked as an http(s) URL (anything else from a server is exit 3 naming what). */
export const checkedCatalogUrl = (v: unknown, what: string): string => serverUrl(v, what)

export function pickEndpoint(catalog: unknown, version: 'v3' | 'v2.0', creds: Pick<Credentials, 'interface' | 'regionName'>): string {
  const {service, url} = catalogUrl(catalog, 'network', version, creds)
  if (!service) throw cannotError('no-network-endpoint', 'the Keystone catalog has no "network" service (is Neutron/Quantum registered?)')
  if (!url) {
    throw cannotError(
      'no-network-endpoint',
      `the catalog has no ${creds.interface} network endpoint${creds.regionName ? ` in region ${creds.regionName}` : ''}`,
    )
  }
  return networkBase(serverUrl(url, `the catalog's ${creds.interface} network endpoint`))
}

function authFailed(status: number, text: string, rawUrl: string, appCred = false): QmError {
  const why = errorText(text) ?? ''
  const url = redactUrl(rawUrl)
  if (status === 401 || status === 403) {
    return cannotError(
      'auth-failed',
      `authentication failed at ${url}: HTTP ${status}${why ? ` ${why}` : ''} ${appCred ? '(check the application credential id or name, its secret and its expiry)' : '(check the user, password, project and domains)'}`,
    )
  }
  return cannotError('auth-error', `Keystone answered HTTP ${status} at ${url}${why ? `: ${why}` : ''}`)
}

async function discover(authUrl: string, creds: Credentials): Promise<{version: 'v3' | 'v2.0'; base: string}> {
  const u = trim(authUrl)
  const v = creds.identityApiVersion?.replace(/^v/, '')
  if (v === '3' || /\/v3$/.test(u)) return {base: /\/v3$/.test(u) ? u : `${u}/v3`, version: 'v3'}
  if (v === '2' || v === '2.0' || /\/v2\.0$/.test(u)) return {base: /\/v2\.0$/.test(u) ? u : `${u}/v2.0`, version: 'v2.0'}
  const r = await request('GET', u, {setting: AUTH_URL_SETTING, timeoutMs: timeoutMsOf(creds), tls: creds})
  const doc = parseJson(r.text)
  const versions = isObject(doc) && isObject(doc.versions) ? doc.versions.values : undefined
  const values = (Array.isArray(versions) ? versions : isObject(doc) && isObject(doc.version) ? [doc.version] : []).filter(isObject)
  const self = (x: Record<string, unknown>, fallback: string) => {
    const href = (Array.isArray(x.links) ? x.links : []).filter(isObject).find((l) => l.rel === 'self')?.href
    return href === undefined ? fallback : serverUrl(href, `the version document of ${redactUrl(u)}`)
  }
  const id = (x: Record<string, unknown>) => (typeof x.id === 'string' ? x.id : '')
  const v3 = values.find((x) => id(x).startsWith('v3'))
  if (v3) return {base: trim(self(v3, `${u}/v3`)), version: 'v3'}
  const v2 = values.find((x) => id(x).startsWith('v2'))
  if (v2) return {base: trim(self(v2, `${u}/v2.0`)), version: 'v2.0'}
  throw cannotError('auth-discovery', `${redactUrl(u)} does not look like Keystone (no v3 or v2.0 in its version document)`)
}

export async function authenticate(creds: Credentials): Promise<Session> {
  if (creds.authType === 'none') return {networkUrl: networkBase(creds.endpoint!), via: 'none'}
  if (creds.authType === 'token' && creds.endpoint) return {networkUrl: networkBase(creds.endpoint), token: creds.token, via: 'token'}
  const {base, version} = await discover(creds.authUrl!, creds)

  if (version === 'v2.0') {
    if (creds.authType === 'token') throw usageError('v2-token', 'a token with Keystone v2.0 needs --os-endpoint')
    if (creds.authType === 'application-credential')
      throw usageError('v2-application-credential', `application credentials are Keystone v3 only: ${redactUrl(base)} is v2.0 (give the v3 auth URL)`)
    const tenant = creds.projectId ? {tenantId: creds.projectId} : creds.projectName ? {tenantName: creds.projectName} : {}
    const url = `${base}/tokens`
    const r = await request('POST', url, {
      body: {auth: {passwordCredentials: {password: creds.password, username: creds.username}, ...tenant}},
      setting: AUTH_URL_SETTING,
      timeoutMs: timeoutMsOf(creds),
      tls: creds,
    })
    if (r.status !== 200 && r.status !== 203) throw authFailed(r.status, r.text, url)
    const doc = parseJson(r.text)
    const access = isObject(doc) && isObject(doc.access) ? doc.access : undefined
    const token = checkToken(isObject(access?.token) ? access.token.id : undefined, `Keystone v2.0 at ${redactUrl(url)} (access.token.id)`)
    const networkUrl = creds.endpoint ? networkBase(creds.endpoint) : pickEndpoint(access?.serviceCatalog, 'v2.0', creds)
    return {catalog: {entries: access?.serviceCatalog, version: 'v2.0'}, networkUrl, token, via: 'v2.0'}
  }

  const domain = (name?: string, id?: string) => (id ? {id} : {name: name ?? 'Default'})
  const appCred = creds.authType === 'application-credential'
  const identity =
    creds.authType === 'token'
      ? {methods: ['token'], token: {id: creds.token}}
      : appCred
        ? {application_credential: applicationCredential(creds), methods: ['application_credential']}
        : {methods: ['password'], password: {user: {domain: domain(creds.userDomainName, creds.userDomainId), name: creds.username, password: creds.password}}}
  // an application credential is bound to its project: Keystone refuses a scope with it
  const scope = appCred
    ? undefined
    : creds.projectId
      ? {project: {id: creds.projectId}}
      : creds.projectName
        ? {project: {domain: domain(creds.projectDomainName, creds.projectDomainId), name: creds.projectName}}
        : undefined
  if (!scope && !appCred && !creds.endpoint)
    throw usageError('no-project', 'give the project (OS_PROJECT_NAME or --os-project-name): the catalog comes with a project-scoped token')
  const url = `${base}/auth/tokens`
  const r = await request('POST', url, {
    body: {auth: {identity, ...(scope ? {scope} : {})}},
    setting: AUTH_URL_SETTING,
    timeoutMs: timeoutMsOf(creds),
    tls: creds,
  })
  if (r.status !== 201 && r.status !== 200) throw authFailed(r.status, r.text, url, appCred)
  const header = r.header('x-subject-token')
  if (!header) throw cannotError('auth-error', `Keystone at ${redactUrl(url)} answered ${r.status} without an X-Subject-Token header`)
  const token = checkToken(header, `Keystone at ${redactUrl(url)} (X-Subject-Token)`)
  const doc = parseJson(r.text)
  const catalog = isObject(doc) && isObject(doc.token) ? doc.token.catalog : undefined
  const networkUrl = creds.endpoint ? networkBase(creds.endpoint) : pickEndpoint(catalog, 'v3', creds)
  return {catalog: {entries: catalog, version: 'v3'}, networkUrl, token, via: creds.authType === 'token' ? 'token' : 'v3'}
}

/** The `application_credential` of a v3 token request: by id, or by name with its user (id, or name and domain). */
export function applicationCredential(creds: Credentials): Record<string, unknown> {
  if (creds.applicationCredentialId) return {id: creds.applicationCredentialId, secret: creds.applicationCredentialSecret}
  const user = creds.userId
    ? {id: creds.userId}
    : {domain: creds.userDomainId ? {id: creds.userDomainId} : {name: creds.userDomainName ?? 'Default'}, name: creds.username}
  return {name: creds.applicationCredentialName, secret: creds.applicationCredentialSecret, user}
}
