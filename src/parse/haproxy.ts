// The haproxy config Neutron writes for the metadata proxy (Pike and later),
// STATE/ns-metadata-proxy/<network-or-router-id>.conf:
//   bind 169.254.169.254:80
//   bind fe80::a9fe:a9fe:80 interface ns-cdca02dc-a8        (as Zed writes it)
//   bind [fe80::a9fe:a9fe]:80 interface tapX                 (bracketed, also accepted)
//   server metadata /var/lib/neutron/metadata_proxy
//   http-request set-header X-Neutron-Network-ID <id>
import {splitLines, toInt} from './ip-util.js'

export interface HaproxyConfig {
  binds: {address: string; port: number; interface?: string}[]
  servers: {name: string; address: string}[]
  /** From `set-header`/`add-header` X-Neutron-Network-ID (or X-OVN-Network-ID). */
  networkId?: string
  /** From `set-header`/`add-header` X-Neutron-Router-ID (a `del-header` does not count). */
  routerId?: string
  pidfile?: string
  user?: string
}

export function parseHaproxyConfig(text: string): HaproxyConfig {
  const cfg: HaproxyConfig = {binds: [], servers: []}
  for (const rawLine of splitLines(text)) {
    const line = stripComment(rawLine).trim()
    if (line === '') continue
    const t = line.split(/\s+/)
    switch (t[0]) {
      case 'bind': {
        const at = t.indexOf('interface')
        const dev = at > 0 ? t[at + 1] : undefined
        for (const spec of (t[1] ?? '').split(',')) {
          const b = parseBindAddress(spec)
          if (!b) continue
          cfg.binds.push(dev === undefined ? b : {...b, interface: dev})
        }
        break
      }
      case 'server': {
        if (t[1] !== undefined && t[2] !== undefined) cfg.servers.push({address: t[2], name: t[1]})
        break
      }
      case 'http-request':
      case 'reqadd': {
        const verb = t[1]
        if (verb !== 'set-header' && verb !== 'add-header') break
        const header = (t[2] ?? '').toLowerCase()
        const value = t[3]
        if (value === undefined) break
        if (header === 'x-neutron-network-id' || header === 'x-ovn-network-id') cfg.networkId = value
        else if (header === 'x-neutron-router-id') cfg.routerId = value
        break
      }
      case 'pidfile': {
        if (t[1] !== undefined) cfg.pidfile = t[1]
        break
      }
      case 'user': {
        if (t[1] !== undefined) cfg.user = t[1]
        break
      }
      default:
        break
    }
  }
  return cfg
}

function stripComment(line: string): string {
  // haproxy comments start with an unescaped `#` (Neutron's configs have none in values)
  const m = /(^|[^\\])#/.exec(line)
  return m ? line.slice(0, m.index + m[1].length) : line
}

/** `169.254.169.254:80`, `fe80::a9fe:a9fe:80`, `[fe80::a9fe:a9fe]:80`, `:80`, `*:80`, `ipv6@...`. */
function parseBindAddress(spec: string): {address: string; port: number} | undefined {
  let s = spec.replace(/^(ipv4|ipv6)@/, '')
  if (s.startsWith('/') || s.includes('@')) return undefined // unix socket, abns@, fd@
  let address: string
  let portText: string
  if (s.startsWith('[')) {
    const close = s.indexOf(']')
    if (close < 0) return undefined
    address = s.slice(1, close)
    s = s.slice(close + 1)
    if (!s.startsWith(':')) return undefined
    portText = s.slice(1)
  } else {
    // haproxy reads the text after the last colon as the port, so an unbracketed
    // IPv6 address works as Neutron writes it
    const colon = s.lastIndexOf(':')
    if (colon < 0) return undefined
    address = s.slice(0, colon)
    portText = s.slice(colon + 1)
  }
  const port = toInt(portText.split('-')[0])
  if (port === undefined || port > 65_535) return undefined
  return {address: address === '' ? '*' : address.toLowerCase(), port}
}

/**
 * Where Neutron's metadata haproxy forwards: the UNIX socket of the config's first `server` line, else
 * `fallback` (the agent's own default: STATE/metadata_proxy for the DHCP agent's proxy, the OVN agent's
 * metadata_proxy_socket). A `server` at a TCP address is not a socket: the fallback then too.
 */
export function upstreamSocketPath(configText: string | undefined, fallback: string): string {
  const server = configText ? parseHaproxyConfig(configText).servers[0]?.address : undefined
  return server?.startsWith('/') ? server : fallback
}
