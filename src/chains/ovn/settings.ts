/** The OVN metadata agent's settings, from its config files as oslo.config reads them (pure: no I/O). */
import {join} from 'node:path'

import {effective, IniSyntaxError, parseIni} from '../../config/oslo-ini.js'
import type {FileRecord} from '../../evidence/evidence.js'
import {OVN_PATHS} from './paths.js'

export interface OvnSettings {
  /** state_path ([DEFAULT]; --state-path wins) */
  statePath: string
  socket: string
  ovs: string
  sb: string
  nb?: string
  from: string[]
  sbSsl: string[]
  ovsSsl: string[]
  nbSsl: string[]
  /** metadata_proxy_shared_secret: set (redacted or not), empty, or absent */
  secret: 'set' | 'empty' | 'unset'
  /** where the agent asks Nova: nova_metadata_protocol://nova_metadata_host:nova_metadata_port */
  nova: string
  /** [agent] extensions (neutron-ovn-agent, 2025.2 on: the metadata role is its `metadata` extension); undefined when unset */
  extensions?: string[]
  /** where each value came from: `FILE [section] key`, by key */
  sources: Record<string, string>
}

/** Every key the collection and the checks read of the agent's (and the server's) config: a snapshot keeps these lines only. */
export const OVN_KEYS = [
  'state_path',
  'metadata_proxy_socket',
  'metadata_proxy_shared_secret',
  'nova_metadata_host',
  'nova_metadata_port',
  'nova_metadata_protocol',
  'ovn_sb_connection',
  'ovn_nb_connection',
  'ovn_sb_private_key',
  'ovn_sb_certificate',
  'ovn_sb_ca_cert',
  'ovn_nb_private_key',
  'ovn_nb_certificate',
  'ovn_nb_ca_cert',
  'ovsdb_connection',
  'ssl_key_file',
  'ssl_cert_file',
  'ssl_ca_cert_file',
  'ovn_metadata_enabled',
  'extensions',
] as const

/** A connection string as ovsdb takes it (`tcp:IP:PORT`, `ssl:…`, `unix:PATH`, comma-separated for a cluster). */
export const CONNECTION = /^(?:(?:tcp|ssl):[^\s,]+|unix:\/[^\s,]*)(?:,(?:(?:tcp|ssl):[^\s,]+|unix:\/[^\s,]*))*$/

/** oslo.config's `$name` / `${name}` substitution from [DEFAULT] (state_path in metadata_proxy_socket). */
function interpolate(value: string, get: (k: string) => string | undefined): string {
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, k: string) => get(k) ?? m)
}

/** The settings the collection needs, from the config files in oslo's order (the last one that sets a key wins). */
export function ovnSettings(files: readonly FileRecord[], given: {statePath?: string}): OvnSettings {
  const parsed = files.flatMap((f) => {
    if (f.state !== 'present' || f.content === undefined) return []
    try {
      return [{ini: parseIni(f.content), path: f.path}]
    } catch (error) {
      if (error instanceof IniSyntaxError) return []
      throw error
    }
  })
  const from: string[] = []
  const sources: Record<string, string> = Object.create(null)
  const lookup = (section: string, key: string): string | undefined => {
    for (let i = parsed.length - 1; i >= 0; i--) {
      const a = effective(parsed[i].ini, section, key)
      if (a) {
        sources[key] = `${parsed[i].path}:${a.line + 1} [${section}] ${key}`
        from.push(sources[key])
        return a.value
      }
    }
    return undefined
  }
  const dflt = (k: string) => lookup('DEFAULT', k)
  const statePath = given.statePath ?? dflt('state_path') ?? OVN_PATHS.statePath
  const get = (k: string) => (k === 'state_path' ? statePath : dflt(k))
  const socketRaw = dflt('metadata_proxy_socket')
  const socket = socketRaw ? interpolate(socketRaw, get) : join(statePath, 'metadata_proxy')
  const sb = lookup('ovn', 'ovn_sb_connection') ?? 'tcp:127.0.0.1:6642'
  const ovs = lookup('ovs', 'ovsdb_connection') ?? 'tcp:127.0.0.1:6640'
  const nb = lookup('ovn', 'ovn_nb_connection')
  const ssl = (section: string, key: string, flag: string) => {
    const v = lookup(section, key)
    return v ? [`--${flag}=${v}`] : []
  }
  const sbSsl = sb.startsWith('ssl:')
    ? [...ssl('ovn', 'ovn_sb_private_key', 'private-key'), ...ssl('ovn', 'ovn_sb_certificate', 'certificate'), ...ssl('ovn', 'ovn_sb_ca_cert', 'ca-cert')]
    : []
  const nbSsl = nb?.startsWith('ssl:')
    ? [...ssl('ovn', 'ovn_nb_private_key', 'private-key'), ...ssl('ovn', 'ovn_nb_certificate', 'certificate'), ...ssl('ovn', 'ovn_nb_ca_cert', 'ca-cert')]
    : []
  const ovsSsl = ovs.startsWith('ssl:')
    ? [...ssl('ovs', 'ssl_key_file', 'private-key'), ...ssl('ovs', 'ssl_cert_file', 'certificate'), ...ssl('ovs', 'ssl_ca_cert_file', 'ca-cert')]
    : []
  const secretValue = dflt('metadata_proxy_shared_secret')
  const secret = secretValue === undefined ? 'unset' : /^(|""|''|<None>)$/.test(secretValue.trim()) ? 'empty' : 'set'
  const host = dflt('nova_metadata_host') ?? '127.0.0.1'
  const nova = `${dflt('nova_metadata_protocol') ?? 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${dflt('nova_metadata_port') ?? '8775'}`
  const ext = lookup('agent', 'extensions')
  const extensions =
    ext === undefined
      ? undefined
      : ext
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)
  return {extensions, from: [...new Set(from)], nb, nbSsl, nova, ovs, ovsSsl, sb, sbSsl, secret, socket, sources, statePath}
}
