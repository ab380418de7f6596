/**
 * OpenStack credentials the way operators already have them: --os-* flags, OS_* environment
 * variables, and clouds.yaml (+ secure.yaml) selected by --os-cloud / OS_CLOUD.
 * A flag beats the environment, which beats clouds.yaml. Pure, given the inputs.
 */
import {usageError} from '../errors.js'

export interface Credentials {
  authType: 'password' | 'token' | 'none' | 'application-credential'
  authUrl?: string
  username?: string
  userId?: string
  password?: string
  /** Keystone v3 application credential: its id, or its name with the user (username + user domain, or userId) */
  applicationCredentialId?: string
  applicationCredentialName?: string
  applicationCredentialSecret?: string
  projectName?: string
  projectId?: string
  userDomainName?: string
  userDomainId?: string
  projectDomainName?: string
  projectDomainId?: string
  regionName?: string
  interface: 'public' | 'internal' | 'admin'
  token?: string
  /** a network endpoint given directly (skips the catalog) */
  endpoint?: string
  identityApiVersion?: string
  cacert?: string
  insecure: boolean
  /** where the settings came from, for messages (never the secrets themselves) */
  cloud?: string
  /** seconds each API request (Keystone and Neutron) may take; undefined: the default (30) */
  timeoutS?: number
}

/** The --os-* flag values (undefined when not given). */
export type OsFlags = Partial<
  Record<
    | 'os-application-credential-id'
    | 'os-application-credential-name'
    | 'os-application-credential-secret'
    | 'os-auth-type'
    | 'os-auth-url'
    | 'os-cacert'
    | 'os-cloud'
    | 'os-endpoint'
    | 'os-identity-api-version'
    | 'os-interface'
    | 'os-password'
    | 'os-project-domain-name'
    | 'os-project-id'
    | 'os-project-name'
    | 'os-region-name'
    | 'os-timeout'
    | 'os-token'
    | 'os-user-domain-name'
    | 'os-user-id'
    | 'os-username',
    string
  >
> & {insecure?: boolean}

/** One cloud's entry of clouds.yaml (secure.yaml already merged in). */
export interface CloudEntry {
  auth?: Record<string, unknown>
  auth_type?: string
  region_name?: string
  interface?: string
  identity_api_version?: string | number
  verify?: boolean
  insecure?: boolean
  cacert?: string
  api_timeout?: string | number
  [k: string]: unknown
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined)

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined
  return /^(1|true|yes|on)$/i.test(v)
}

/** The longest --os-timeout / OS_TIMEOUT / api_timeout taken, seconds. */
export const MAX_TIMEOUT_S = 3600

/** An API timeout in whole seconds, 1..3600, else exit 2 naming where it came from. */
export function parseTimeout(value: string, from: string): number {
  const v = value.trim()
  const n = /^\d{1,5}$/.test(v) ? Number(v) : Number.NaN
  if (!(n >= 1 && n <= MAX_TIMEOUT_S))
    throw usageError('bad-timeout', `${from} must be whole seconds from 1 to ${MAX_TIMEOUT_S}, got ${JSON.stringify(value.slice(0, 40))}`)
  return n
}

/** The auth types understood (keystoneauth's names): anything else is refused, never read as a password. */
export const AUTH_TYPES = ['password', 'v3password', 'v2password', 'token', 'v3token', 'v2token', 'v3applicationcredential', 'none', 'noauth']

/** True when any way of reaching the API was configured. */
export function hasCredentials(flags: OsFlags, env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    flags['os-auth-url'] ||
      flags['os-cloud'] ||
      flags['os-endpoint'] ||
      flags['os-token'] ||
      env.OS_AUTH_URL ||
      env.OS_CLOUD ||
      env.OS_ENDPOINT ||
      env.OS_URL ||
      env.OS_TOKEN,
  )
}

export function resolveCredentials(flags: OsFlags, env: NodeJS.ProcessEnv, cloud?: {name: string; entry: CloudEntry}): Credentials {
  const auth = cloud?.entry.auth ?? {}
  const c = cloud?.entry
  const pick = (flag: keyof OsFlags, envNames: string[], cloudValue?: unknown): string | undefined => {
    const f = flags[flag]
    if (typeof f === 'string' && f !== '') return f
    for (const n of envNames) if (env[n] !== undefined && env[n] !== '') return env[n]
    return str(cloudValue)
  }
  const endpoint = pick('os-endpoint', ['OS_ENDPOINT', 'OS_URL'], c?.endpoint_override ?? auth.endpoint)
  const token = pick('os-token', ['OS_TOKEN'], auth.token)
  let authType = pick('os-auth-type', ['OS_AUTH_TYPE'], c?.auth_type)
  const iface = (pick('os-interface', ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'], c?.interface) ?? 'public').replace(/URL$/, '')
  if (!['public', 'internal', 'admin'].includes(iface))
    throw usageError('bad-interface', `--os-interface must be public, internal or admin, got ${JSON.stringify(iface)}`)
  const verify = c?.verify
  const insecure = flags.insecure ?? envBool(env.OS_INSECURE) ?? (verify === false ? true : c?.insecure === true)

  const timeout = pick('os-timeout', ['OS_TIMEOUT'], c?.api_timeout)
  const timeoutFrom = flags['os-timeout'] ? '--os-timeout' : env.OS_TIMEOUT ? 'OS_TIMEOUT' : `api_timeout of cloud ${cloud?.name ?? ''} in clouds.yaml`
  const creds: Credentials = {
    applicationCredentialId: pick('os-application-credential-id', ['OS_APPLICATION_CREDENTIAL_ID'], auth.application_credential_id),
    applicationCredentialName: pick('os-application-credential-name', ['OS_APPLICATION_CREDENTIAL_NAME'], auth.application_credential_name),
    applicationCredentialSecret: pick('os-application-credential-secret', ['OS_APPLICATION_CREDENTIAL_SECRET'], auth.application_credential_secret),
    authType: 'password',
    authUrl: pick('os-auth-url', ['OS_AUTH_URL'], auth.auth_url),
    cacert: pick('os-cacert', ['OS_CACERT'], c?.cacert),
    cloud: cloud?.name,
    endpoint,
    identityApiVersion: pick('os-identity-api-version', ['OS_IDENTITY_API_VERSION'], c?.identity_api_version),
    insecure,
    interface: iface as Credentials['interface'],
    password: pick('os-password', ['OS_PASSWORD'], auth.password),
    projectDomainId: str(env.OS_PROJECT_DOMAIN_ID) ?? str(auth.project_domain_id),
    projectDomainName: pick('os-project-domain-name', ['OS_PROJECT_DOMAIN_NAME'], auth.project_domain_name),
    projectId: pick('os-project-id', ['OS_PROJECT_ID', 'OS_TENANT_ID'], auth.project_id ?? auth.tenant_id),
    projectName: pick('os-project-name', ['OS_PROJECT_NAME', 'OS_TENANT_NAME'], auth.project_name ?? auth.tenant_name),
    regionName: pick('os-region-name', ['OS_REGION_NAME'], c?.region_name),
    timeoutS: timeout === undefined ? undefined : parseTimeout(timeout, timeoutFrom),
    token,
    userDomainId: str(env.OS_USER_DOMAIN_ID) ?? str(auth.user_domain_id),
    userId: pick('os-user-id', ['OS_USER_ID'], auth.user_id),
    userDomainName: pick('os-user-domain-name', ['OS_USER_DOMAIN_NAME'], auth.user_domain_name),
    username: pick('os-username', ['OS_USERNAME'], auth.username),
  }
  if (authType !== undefined && !AUTH_TYPES.includes(authType)) {
    const from = flags['os-auth-type'] ? '--os-auth-type' : env.OS_AUTH_TYPE ? 'OS_AUTH_TYPE' : `auth_type of cloud ${cloud?.name ?? ''} in clouds.yaml`
    throw usageError('bad-auth-type', `${from}: unsupported auth type ${JSON.stringify(authType.slice(0, 60))}; supported: ${AUTH_TYPES.join(', ')}`)
  }
  if (authType === 'noauth' || authType === 'none') authType = 'none'
  else if (authType === 'v3applicationcredential') authType = 'application-credential'
  else if (authType === 'token' || authType === 'v3token' || authType === 'v2token' || (!authType && token)) authType = 'token'
  else authType = 'password'
  creds.authType = authType as Credentials['authType']
  if (creds.authType === 'none' && !creds.endpoint)
    throw usageError('no-endpoint', '--os-auth-type none needs --os-endpoint (or OS_ENDPOINT) with the network API URL')
  if (creds.authType === 'token' && !creds.token) throw usageError('no-token', 'token auth needs --os-token (or OS_TOKEN)')
  if (creds.authType === 'password') {
    const missing = [!creds.authUrl && 'OS_AUTH_URL', !creds.username && 'OS_USERNAME', !creds.password && 'OS_PASSWORD'].filter(Boolean)
    if (missing.length > 0) throw usageError('no-credentials', `missing ${missing.join(', ')} (or the --os-* flags, or --os-cloud with clouds.yaml)`)
  }
  if (creds.authType === 'application-credential') {
    const missing = [
      !creds.authUrl && 'OS_AUTH_URL',
      !creds.applicationCredentialId && !creds.applicationCredentialName && 'OS_APPLICATION_CREDENTIAL_ID (or OS_APPLICATION_CREDENTIAL_NAME)',
      !creds.applicationCredentialId &&
        creds.applicationCredentialName &&
        !creds.username &&
        !creds.userId &&
        "OS_USERNAME or OS_USER_ID (a credential given by name is looked up among its user's)",
      !creds.applicationCredentialSecret && 'OS_APPLICATION_CREDENTIAL_SECRET',
    ].filter(Boolean)
    if (missing.length > 0)
      throw usageError('no-credentials', `application credential auth: missing ${missing.join(', ')} (or the --os-* flags, or --os-cloud with clouds.yaml)`)
  }
  if (creds.authType === 'token' && !creds.endpoint && !creds.authUrl)
    throw usageError('no-endpoint', 'a token needs --os-endpoint, or --os-auth-url to find the network endpoint')
  return creds
}
