// Who listens where: `netstat` (net-tools), `ss` (iproute2) and the kernel's own
// `/proc/<pid>/net/tcp{,6}` tables, plus fd links to find a process's sockets.
import {formatIPv6Groups, splitLines, toInt} from './ip-util.js'

export interface Socket {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6'
  /** No brackets, no `%dev`: `169.254.169.254`, `fe80::a9fe:a9fe`, `0.0.0.0`, `::`, or `*` as ss prints it. */
  localAddress: string
  localPort: number
  /**
   * Normalised to netstat's spelling whatever the source: `LISTEN`, `ESTABLISHED`,
   * `TIME_WAIT`, `SYN_SENT`, `CLOSE_WAIT`...; an unconnected UDP socket is `UNCONN`.
   */
  state: string
  pid?: number
  program?: string
  inode?: number
  /** ss only: the device after `%` (`[fe80::a9fe:a9fe]%ns-cdca02dc-a8:80`). */
  device?: string
  /** ss only: every process holding the socket (`users:(("a",pid=1,fd=3),("b",pid=2,fd=3))`). */
  users?: {program: string; pid: number; fd?: number}[]
  /** /proc tables only: the owner's uid. */
  uid?: number
}

const SS_STATES: Record<string, string> = {
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'LAST-ACK': 'LAST_ACK',
  'SYN-RECV': 'SYN_RECV',
  'SYN-SENT': 'SYN_SENT',
  'TIME-WAIT': 'TIME_WAIT',
  CLOSING: 'CLOSING',
  ESTAB: 'ESTABLISHED',
  LISTEN: 'LISTEN',
  UNCONN: 'UNCONN',
}

const NETSTAT_STATES = new Set([
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'UNKNOWN',
])

// include/net/tcp_states.h
const PROC_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
}

/** `169.254.169.254:80`, `[fe80::1]%dev:80`, `:::80`, `*:80`, `0.0.0.0%lo:67` -> parts. */
function splitHostPort(text: string): {address: string; port: number; device?: string} | undefined {
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) return undefined
    host = text.slice(1, close)
    const after = text.slice(close + 1) // `%dev:80` or `:80`
    const colon = after.lastIndexOf(':')
    if (colon < 0) return undefined
    portText = after.slice(colon + 1)
    const scope = after.slice(0, colon)
    if (scope.startsWith('%')) host += scope
  } else {
    const colon = text.lastIndexOf(':')
    if (colon < 0) return undefined
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
  }
  const port = toInt(portText)
  if (port === undefined || port > 65_535) return undefined
  let device: string | undefined
  const pct = host.indexOf('%')
  if (pct >= 0) {
    device = host.slice(pct + 1)
    host = host.slice(0, pct)
  }
  if (host === '') return undefined
  return device ? {address: host.toLowerCase(), device, port} : {address: host.toLowerCase(), port}
}

function isV6(address: string): boolean {
  return address.includes(':')
}

/**
 * `netstat -4 -anpt`, `netstat -lnptu`, also with `-e` (User, Inode columns).
 * The `PID/Program name` column is `-` when netstat could not see the owner.
 * Note: without `-W`, netstat cuts long IPv6 addresses to fit its column.
 */
export function parseNetstat(text: string): Socket[] {
  const out: Socket[] = []
  let hasUserInode: boolean | undefined
  for (const line of splitLines(text)) {
    if (/^\s*Proto\s+Recv-Q/.test(line)) {
      hasUserInode = /\bInode\b/.test(line)
      continue
    }
    const tokens = line.trim().split(/\s+/)
    const proto = tokens[0]
    if (proto !== 'tcp' && proto !== 'tcp6' && proto !== 'udp' && proto !== 'udp6') continue
    if (tokens.length < 5) continue
    const local = splitHostPort(tokens[3])
    if (!local) continue
    let rest = tokens.slice(5)
    let state = 'UNCONN'
    if (rest.length > 0 && NETSTAT_STATES.has(rest[0])) {
      state = rest[0]
      rest = rest.slice(1)
    } else if (proto.startsWith('tcp')) {
      continue // a tcp line always has a state; this one is damaged
    }
    const sock: Socket = {localAddress: local.address, localPort: local.port, proto, state}
    const withUserInode = hasUserInode ?? (rest.length >= 3 && /^\d+$/.test(rest[1]))
    if (withUserInode && rest.length >= 2) {
      const inode = toInt(rest[1])
      if (inode !== undefined) sock.inode = inode
      rest = rest.slice(2)
    }
    // `-o` adds a Timer column after the owner: `off (0.00/0/0)`, `keepalive (7175.12/0/0)`
    const owner = rest.join(' ').replace(/\s+(?:off|on|keepalive|timewait|probe|unkn-\d+)\s+\([^)]*\)\s*$/, '')
    const m = /^(\d+)\/(.*)$/.exec(owner)
    if (m) {
      sock.pid = Number(m[1])
      if (m[2] !== '') sock.program = m[2]
    }
    out.push(sock)
  }
  return out
}

/**
 * `ss -ltnp`, `ss -lunp`, `ss -tanp`, `ss -ltne`, and with a leading Netid column
 * (`ss -tuanp`). Without a Netid column the protocol is inferred: `UNCONN` is UDP,
 * anything else TCP, unless `opts.proto` says which table was asked for.
 */
export function parseSs(text: string, opts: {proto?: 'tcp' | 'udp'} = {}): Socket[] {
  const out: Socket[] = []
  for (const line of splitLines(text)) {
    const tokens = line.trim().split(/\s+/)
    if (tokens.length < 5 || tokens[0] === 'State' || tokens[0] === 'Netid') continue
    let base: 'tcp' | 'udp' | undefined = opts.proto
    let i = 0
    if (tokens[0] === 'tcp' || tokens[0] === 'udp') {
      base = tokens[0]
      i = 1
    } else if (/^[a-z_]+$/.test(tokens[0]) && !SS_STATES[tokens[0]]) {
      continue // raw, u_str, nl, ... sockets
    }
    const state = SS_STATES[tokens[i]]
    if (!state || tokens.length < i + 5) continue
    const local = splitHostPort(tokens[i + 3])
    if (!local) continue
    base ??= state === 'UNCONN' ? 'udp' : 'tcp'
    const proto = isV6(local.address) ? (base === 'tcp' ? 'tcp6' : 'udp6') : base
    const sock: Socket = {localAddress: local.address, localPort: local.port, proto, state}
    if (local.device) sock.device = local.device
    const extra = tokens.slice(i + 5).join(' ')
    const users: {program: string; pid: number; fd?: number}[] = []
    for (const u of extra.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+)(?:,fd=(\d+))?\)/g)) {
      const user: {program: string; pid: number; fd?: number} = {pid: Number(u[2]), program: u[1]}
      if (u[3] !== undefined) user.fd = Number(u[3])
      users.push(user)
    }
    if (users.length > 0) {
      sock.pid = users[0].pid
      sock.program = users[0].program
      sock.users = users
    }
    const ino = /(?:^|\s)ino:(\d+)/.exec(extra)
    if (ino) sock.inode = Number(ino[1])
    out.push(sock)
  }
  return out
}

// IPv4 in /proc is the 32-bit value printed in host byte order: little-endian on x86
// and arm64, which is what this decodes ("0100007F" is 127.0.0.1).
function hexToIPv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined
  const b = [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16))
  return b.join('.')
}

// IPv6: four 32-bit words, each in host byte order.
function hexToIPv6(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined
  const bytes: number[] = []
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8)
    for (const i of [6, 4, 2, 0]) bytes.push(Number.parseInt(word.slice(i, i + 2), 16))
  }
  const groups: number[] = []
  for (let g = 0; g < 8; g++) groups.push((bytes[g * 2] << 8) | bytes[g * 2 + 1])
  return formatIPv6Groups(groups)
}

/** The kernel's `/proc/<pid>/net/tcp` or `tcp6` table (the namespace of that pid). */
export function parseProcNetTcp(text: string, proto: 'tcp' | 'tcp6'): Socket[] {
  const out: Socket[] = []
  for (const line of splitLines(text)) {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    const t = line.trim().split(/\s+/)
    if (t.length < 10 || !/^\d+:$/.test(t[0])) continue
    const [addrHex, portHex] = t[1].split(':')
    if (portHex === undefined || !/^[0-9A-Fa-f]{4}$/.test(portHex)) continue
    const localAddress = proto === 'tcp' ? hexToIPv4(addrHex) : hexToIPv6(addrHex)
    if (localAddress === undefined) continue
    const st = t[3].toUpperCase()
    const sock: Socket = {
      localAddress,
      localPort: Number.parseInt(portHex, 16),
      proto,
      state: PROC_STATES[st] ?? `UNKNOWN(${st})`,
    }
    const uid = toInt(t[7])
    if (uid !== undefined) sock.uid = uid
    const inode = toInt(t[9])
    if (inode !== undefined && inode !== 0) sock.inode = inode // 0: no owner (TIME_WAIT)
    out.push(sock)
  }
  return out
}

/** `readlink /proc/<pid>/fd/*` values (`socket:[123456]`) -> socket inodes, unique, in order. */
export function socketInodesFromFdLinks(links: string[]): number[] {
  const seen = new Set<number>()
  for (const link of links) {
    const m = /socket:\[(\d+)\]/.exec(link)
    if (!m) continue
    const inode = toInt(m[1])
    if (inode !== undefined) seen.add(inode)
  }
  return [...seen]
}

/**
 * Listening UNIX sockets by path, each with its line: from `netstat -neopa` (`unix ... LISTENING ... PATH`)
 * or `ss -peaonmi` (`u_str LISTEN ... PATH`). Abstract sockets (`@name`) and unnamed ones are left out.
 */
export function unixListeners(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/)
    let path: string | undefined
    if (t[0] === 'unix' && t.includes('LISTENING')) path = t.at(-1)
    else if (t[0] === 'u_str' && t[1] === 'LISTEN') path = t[4]
    if (path?.startsWith('/') && !out.has(path)) out.set(path, line.trim())
  }
  return out
}
