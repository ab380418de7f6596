// dnsmasq's lease file, STATE/dhcp/NET/leases (--dhcp-leasefile). dnsmasq (src/lease.c,
// lease_update_file) rewrites the whole file, one lease a line:
//   EXPIRY MAC IP HOSTNAME CLIENTID
//   1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3
//   1795622418 fa:16:3e:3c:51:0e 198.51.100.23 host-198-51-100-23 *
// EXPIRY: seconds since the epoch (0: an infinite lease; a build with HAVE_BROKEN_RTC writes the
// lease length instead). MAC: colon-separated hex; a hardware type other than Ethernet is prefixed
// as `TT-` (e.g. `20-…` for InfiniBand). HOSTNAME and CLIENTID: `*` when there is none.
// DHCPv6 leases follow a `duid SERVER-DUID` line: `EXPIRY IAID IPV6 HOSTNAME CLIENT-DUID` (an IAID,
// not a MAC, in the second field): they are kept apart and name no MAC.
// The file is untrusted: a line that is not of this shape is skipped, and at most MAX_LEASES are read.
import {isIPv4, splitLines} from './ip-util.js'

export interface Lease {
  /** 1-based line number in the file */
  line: number
  /** seconds since the epoch (0: never expires) */
  expiry: number
  /** lower-case, colon-separated; for Ethernet (no type prefix) 6 octets */
  mac: string
  ip: string
  hostname?: string
  clientId?: string
}

export interface LeaseFile {
  leases: Lease[]
  /** lines that were neither a lease, a DHCPv6 line nor blank */
  skipped: number
  /** DHCPv6 lease lines (after `duid …`): no MAC to map to a port */
  ipv6: number
  /** more than MAX_LEASES lease lines: the rest were not read */
  truncated: boolean
}

/** A network has at most a few thousand ports (dnsmasq's own --dhcp-lease-max default is 1000). */
export const MAX_LEASES = 10_000
/** longest line kept: a client id is at most 255 octets (764 characters), a hostname 63 */
const MAX_LINE = 2048

const MAC = /^(?:[0-9a-f]{1,2}-)?[0-9a-f]{2}(?::[0-9a-f]{2}){0,31}$/i
const HOSTNAME = /^[A-Za-z0-9_.-]{1,255}$/
const CLIENT_ID = /^[0-9a-f]{2}(?::[0-9a-f]{2})*$/i

export function parseLeases(text: string): LeaseFile {
  const out: LeaseFile = {ipv6: 0, leases: [], skipped: 0, truncated: false}
  let v6 = false
  const lines = splitLines(text)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]
    if (raw.trim() === '') continue
    if (out.leases.length >= MAX_LEASES) {
      out.truncated = true
      break
    }
    if (raw.length > MAX_LINE) {
      out.skipped++
      continue
    }
    const f = raw.trim().split(/\s+/)
    if (f[0] === 'duid' && f.length === 2) {
      v6 = true
      continue
    }
    if (v6) {
      out.ipv6++
      continue
    }
    const [expiry, mac, ip, hostname, clientId] = f
    if (
      f.length !== 5 ||
      !/^\d{1,12}$/.test(expiry) ||
      !MAC.test(mac) ||
      !isIPv4(ip) ||
      !(hostname === '*' || HOSTNAME.test(hostname)) ||
      !(clientId === '*' || CLIENT_ID.test(clientId))
    ) {
      out.skipped++
      continue
    }
    const lease: Lease = {expiry: Number(expiry), ip, line: i + 1, mac: mac.toLowerCase()}
    if (hostname !== '*') lease.hostname = hostname
    if (clientId !== '*') lease.clientId = clientId.toLowerCase()
    out.leases.push(lease)
  }
  return out
}
