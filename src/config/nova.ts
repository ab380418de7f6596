/**
 * The two ends of the metadata agent's request to Nova, as their configs say: the agent's
 * nova_metadata_* options (metadata_agent.ini, or the OVN agent's files) and Nova's [neutron] options
 * (nova.conf). Pure: text in, settings out. The shared secret is compared here and never returned.
 *
 * Option names by era (oslo.config reads the last assignment; a later file overrides an earlier one):
 * - the agent: Grizzly–Pike `nova_metadata_ip` (Quantum's only name), Queens on `nova_metadata_host`;
 *   `nova_metadata_port` (8775), `nova_metadata_protocol` (http; Icehouse on), `auth_ca_cert`,
 *   `nova_client_cert` + `nova_client_priv_key`, `nova_metadata_insecure`, `metadata_proxy_shared_secret`
 *   (default empty), all in [DEFAULT].
 * - Nova: Kilo on `[neutron] service_metadata_proxy` (default False) and `[neutron]
 *   metadata_proxy_shared_secret`; Havana–Juno `[DEFAULT] service_neutron_metadata_proxy` /
 *   `neutron_metadata_proxy_shared_secret`; Grizzly `[DEFAULT] service_quantum_metadata_proxy` /
 *   `quantum_metadata_proxy_shared_secret`. `[oslo_middleware] enable_proxy_headers_parsing` (default
 *   False) lets Nova take X-Forwarded-For as the caller's address.
 */
import {timingSafeEqual, createHash} from 'node:crypto'

import type {AgentNovaSettings} from '../evidence/evidence.js'
import {REDACTED} from './secrets.js'
import {type Assignment, IniSyntaxError, effective, osloBool, parseIni, type ParsedIni} from './oslo-ini.js'

/** One config file's text, as read. */
export interface IniText {
  path: string
  content: string
}

interface Found {
  file: string
  a: Assignment
}

/** The last assignment of [section] key across the files (later files override earlier ones), or undefined. */
function lookup(files: readonly {path: string; ini: ParsedIni}[], section: string, key: string): Found | undefined {
  let found: Found | undefined
  for (const f of files) {
    const a = effective(f.ini, section, key)
    if (a) found = {a, file: f.path}
  }
  return found
}

/** The files oslo.config can read; the others are left out (the agent's own config check names their syntax error). */
function parsed(files: readonly IniText[]): {path: string; ini: ParsedIni}[] {
  const out: {path: string; ini: ParsedIni}[] = []
  for (const f of files) {
    try {
      out.push({ini: parseIni(f.content), path: f.path})
    } catch (error) {
      if (!(error instanceof IniSyntaxError)) throw error
    }
  }
  return out
}

const SECRET = 'metadata_proxy_shared_secret'

/** The agent's settings for reaching Nova, or undefined when none of its files could be read. */
export function agentNovaSettings(files: readonly IniText[], layout: 'neutron' | 'quantum'): AgentNovaSettings | undefined {
  const inis = parsed(files)
  if (inis.length === 0) return undefined
  const lines: string[] = []
  const get = (key: string, shown = true): string | undefined => {
    const f = lookup(inis, 'DEFAULT', key)
    if (!f) return undefined
    if (shown) lines.push(`${f.file}:${f.a.line + 1}: ${key} = ${f.a.value}`)
    return f.a.value
  }
  const hostKey = layout === 'quantum' ? 'nova_metadata_ip' : 'nova_metadata_host'
  const host = get(hostKey) || '127.0.0.1'
  const port = get('nova_metadata_port') || '8775'
  const protocol = (layout === 'quantum' ? undefined : get('nova_metadata_protocol')) || 'http'
  const caCert = get('auth_ca_cert') || undefined
  const clientCert = get('nova_client_cert') || undefined
  const insecureText = get('nova_metadata_insecure')
  const secret = lookup(inis, 'DEFAULT', SECRET)
  const secretSet = secret !== undefined && secret.a.value !== '' && secret.a.value !== '""' && secret.a.value !== "''"
  lines.push(secret ? `${secret.file}:${secret.a.line + 1}: ${SECRET} = ${secretSet ? REDACTED : '(empty)'}` : `no ${SECRET} (empty)`)
  return {
    caCert,
    clientCert,
    file: inis.at(-1)!.path,
    host,
    insecure: insecureText === undefined ? undefined : osloBool(insecureText),
    lines,
    port,
    protocol: protocol.toLowerCase(),
    secretSet,
  }
}

/** The agent's secret (empty when unset), for comparing on the node only. */
export function agentSecret(files: readonly IniText[]): string {
  const v = lookup(parsed(files), 'DEFAULT', SECRET)?.a.value ?? ''
  return unquote(v)
}

/** oslo.config keeps quotes as part of a value only when unbalanced; `""` is empty. */
const unquote = (v: string) => (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0] ? v.slice(1, -1) : v)

/** Nova's side of the proxy: the switch, the secret (set or not), the proxy-headers option, each with where it is said. */
export interface NovaSide {
  file: string
  /** service_metadata_proxy: its value (undefined: not set, Nova's default False) and the option's name and line */
  proxy?: boolean
  proxyAt?: string
  secretSet: boolean
  secretAt?: string
  /** the section and name of the secret option Nova reads in this file (for fixes) */
  secretOption: {section: string; key: string}
  proxyOption: {section: string; key: string}
  proxyHeaders?: boolean
  proxyHeadersAt?: string
  /** oslo.config cannot read the file: its message */
  error?: string
}

/** The option names, newest first: [section, proxy switch, secret]. */
const NOVA_NAMES: readonly [string, string, string][] = [
  ['neutron', 'service_metadata_proxy', 'metadata_proxy_shared_secret'],
  ['DEFAULT', 'service_neutron_metadata_proxy', 'neutron_metadata_proxy_shared_secret'],
  ['DEFAULT', 'service_quantum_metadata_proxy', 'quantum_metadata_proxy_shared_secret'],
]

/** Nova's settings from its config text; `layout` picks the names a fix writes when the file names none. */
export function novaSide(file: IniText, layout: 'neutron' | 'quantum'): NovaSide {
  const defaults = layout === 'quantum' ? NOVA_NAMES[2] : NOVA_NAMES[0]
  const base: NovaSide = {
    file: file.path,
    proxyOption: {key: defaults[1], section: defaults[0]},
    secretOption: {key: defaults[2], section: defaults[0]},
    secretSet: false,
  }
  let ini: ParsedIni
  try {
    ini = parseIni(file.content)
  } catch (error) {
    if (error instanceof IniSyntaxError) return {...base, error: error.message}
    throw error
  }
  const at = (a: Assignment, key: string, value: string) => `${file.path}:${a.line + 1}: ${key} = ${value}`
  const out = {...base}
  for (const [section, proxyKey, secretKey] of NOVA_NAMES) {
    const p = effective(ini, section, proxyKey)
    const s = effective(ini, section, secretKey)
    if (!p && !s) continue
    out.proxyOption = {key: proxyKey, section}
    out.secretOption = {key: secretKey, section}
    if (p) {
      out.proxy = osloBool(p.value)
      out.proxyAt = at(p, `[${section}] ${proxyKey}`, p.value)
    }
    if (s) {
      out.secretSet = unquote(s.value) !== ''
      out.secretAt = at(s, `[${section}] ${secretKey}`, out.secretSet ? REDACTED : '(empty)')
    }
    break
  }
  const h = effective(ini, 'oslo_middleware', 'enable_proxy_headers_parsing')
  if (h) {
    out.proxyHeaders = osloBool(h.value)
    out.proxyHeadersAt = at(h, '[oslo_middleware] enable_proxy_headers_parsing', h.value)
  }
  return out
}

/** Nova's secret (empty when unset), for comparing on the node only. */
export function novaSecret(file: IniText): string {
  let ini: ParsedIni
  try {
    ini = parseIni(file.content)
  } catch {
    return ''
  }
  for (const [section, proxyKey, secretKey] of NOVA_NAMES) {
    const s = effective(ini, section, secretKey)
    if (s) return unquote(s.value)
    if (effective(ini, section, proxyKey)) return ''
  }
  return ''
}

/** Whether two secrets are equal, compared by digest in constant time (neither is kept or returned). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}
