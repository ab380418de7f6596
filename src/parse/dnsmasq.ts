// The dnsmasq command line the DHCP agent builds (from ps or /proc/PID/cmdline).
//   Grizzly: --interface=tapX --bind-interfaces --dhcp-range=set:tag0,172.17.17.0,static,120s
//   Stein+:  --local-service --bind-dynamic
//            --dhcp-range=set:subnet-<uuid>,198.51.100.0,static,255.255.255.0,86400s
import {isIPv4, isIPv6, netmaskToPrefixlen} from './ip-util.js'

export interface DhcpRange {
  /** The tag the range sets (`set:tag0` -> `tag0`; a bare first word with dnsmasq < 2.59). */
  tag?: string
  /** First address field: the subnet's network address for Neutron (`172.17.17.0`). */
  network: string
  /** `static`, `ra-only`, `slaac`, ... */
  mode?: string
  /** `255.255.255.0`, or an IPv6 prefix length as text (`64`). */
  netmask?: string
  /** `120s`, `86400s`, `12h`, `infinite`. */
  lease?: string
  /** The option's value as given. */
  raw: string
}

export interface DnsmasqArgs {
  interface?: string
  optsFile?: string
  pidFile?: string
  hostsFile?: string
  localService: boolean
  bindDynamic: boolean
  bindInterfaces: boolean
  ranges: DhcpRange[]
  /** `''` for Grizzly's `--conf-file=` (explicitly none). */
  confFile?: string
}

// long options that take a value, so `--opt value` consumes the next argument
const VALUED = new Set([
  'addn-hosts',
  'bridge-interface',
  'conf-dir',
  'conf-file',
  'dhcp-boot',
  'dhcp-hostsfile',
  'dhcp-lease-max',
  'dhcp-leasefile',
  'dhcp-match',
  'dhcp-option',
  'dhcp-option-force',
  'dhcp-optsfile',
  'dhcp-range',
  'dhcp-script',
  'dhcp-userclass',
  'domain',
  'except-interface',
  'group',
  'interface',
  'listen-address',
  'pid-file',
  'port',
  'server',
  'user',
])
const SHORT: Record<string, string> = {
  '-C': 'conf-file',
  '-F': 'dhcp-range',
  '-i': 'interface',
  '-x': 'pid-file',
  '-z': 'bind-interfaces',
}
const SHORT_VALUED = new Set(['-C', '-F', '-i', '-x'])

export function parseDnsmasqArgs(args: string[]): DnsmasqArgs {
  const out: DnsmasqArgs = {bindDynamic: false, bindInterfaces: false, localService: false, ranges: []}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    let name: string
    let value: string | undefined
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2)
      value = eq >= 0 ? a.slice(eq + 1) : undefined
      if (value === undefined && VALUED.has(name) && i + 1 < args.length && !args[i + 1].startsWith('-')) {
        value = args[++i]
      }
    } else if (SHORT[a.slice(0, 2)] !== undefined) {
      const flag = a.slice(0, 2)
      name = SHORT[flag]
      value = a.length > 2 ? a.slice(2) : undefined
      if (value === undefined && SHORT_VALUED.has(flag) && i + 1 < args.length) value = args[++i]
    } else {
      continue // the program name, or a stray word
    }
    switch (name) {
      case 'bind-dynamic':
        out.bindDynamic = true
        break
      case 'bind-interfaces':
        out.bindInterfaces = true
        break
      case 'local-service':
        out.localService = true
        break
      case 'interface':
        if (value !== undefined) out.interface ??= value
        break
      case 'dhcp-optsfile':
        if (value !== undefined) out.optsFile = value
        break
      case 'pid-file':
        if (value !== undefined) out.pidFile = value
        break
      case 'dhcp-hostsfile':
        if (value !== undefined) out.hostsFile = value
        break
      case 'conf-file':
        out.confFile = value ?? ''
        break
      case 'dhcp-range': {
        const r = value === undefined ? undefined : parseRange(value)
        if (r) out.ranges.push(r)
        break
      }
      default:
        break
    }
  }
  return out
}

const LEASE = /^(\d+[smhdw]?|infinite)$/
const MODES = new Set(['static', 'proxy', 'ra-only', 'ra-names', 'ra-stateless', 'ra-advrouter', 'slaac', 'off-link', 'constructor'])

function isAddress(f: string): boolean {
  return isIPv4(f) || isIPv6(f)
}

/** `set:tag0,172.17.17.0,static,120s` and `set:subnet-x,198.51.100.0,static,255.255.255.0,86400s`. */
function parseRange(raw: string): DhcpRange | undefined {
  const fields = raw.split(',').map((f) => f.trim())
  let i = 0
  let tag: string | undefined
  while (i < fields.length && !isAddress(fields[i])) {
    const m = /^(set|tag|net):(.*)$/.exec(fields[i])
    if (m) {
      if (m[1] === 'set' || m[1] === 'net' || tag === undefined) tag = m[2]
    } else if (/^[A-Za-z][\w.-]*$/.test(fields[i])) {
      tag ??= fields[i] // dnsmasq < 2.59: `tag0,172.17.17.0,static,120s`
    } else {
      return undefined
    }
    i++
  }
  if (i >= fields.length) return undefined
  const range: DhcpRange = {network: fields[i], raw}
  if (tag !== undefined) range.tag = tag
  for (const f of fields.slice(i + 1)) {
    if (MODES.has(f)) range.mode ??= f
    else if (netmaskToPrefixlen(f) !== undefined && range.netmask === undefined) range.netmask = f
    else if (/^\d+$/.test(f) && isIPv6(range.network) && range.netmask === undefined) range.netmask = f
    else if (LEASE.test(f)) range.lease = f
    // a range end address (`192.0.2.50,192.0.2.150`) is not kept
  }
  return range
}
