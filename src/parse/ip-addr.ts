// `ip addr` in its three shapes: the multi-line text (`ip a`, `ip -4 a`, also with
// the indentation lost, as in transcripts pasted into a web page), the one-line form
// (`ip -o a`, with or without its `\    valid_lft ...` tail) and JSON (`ip -j addr`).
import {isRecord, parseJsonArray, splitLines, toInt} from './ip-util.js'

export interface IfAddress {
  family: 'inet' | 'inet6'
  local: string
  prefixlen: number
  scope?: string
  /** IPv4 only: the label iproute2 prints last (`ns-cdca02dc-a8`, `eth0:1`). */
  label?: string
  /** IPv6: duplicate address detection failed (another host on the link holds it); the kernel does not use it */
  dadfailed?: boolean
  /**
   * IPv6: duplicate address detection has not finished (`tentative`): the kernel neither answers for it nor
   * lets a socket bind it yet. iproute2 prints it beside `dadfailed` too: a failed address stays tentative.
   */
  tentative?: boolean
}

export interface Interface {
  ifindex?: number
  /** Without the `@ifN` / `@peer` suffix: `ns-cdca02dc-a8@if46` gives `ns-cdca02dc-a8`. */
  ifname: string
  /** The `<...>` flags. Empty when the input had none (`ip -o addr` prints no flags). */
  flags: string[]
  /**
   * The UP flag is set (JSON without flags: operstate UP/UNKNOWN). Also false when the
   * input carried no flags at all (`ip -o addr`): check `flags.length` before judging.
   */
  up: boolean
  /** `state UP`, `state UNKNOWN`, `state DOWN` (operstate in JSON). */
  state?: string
  /** the link-layer address (JSON `address`), lower case */
  mac?: string
  addresses: IfAddress[]
}

export function parseIpAddr(text: string): Interface[] {
  if (text.trimStart().startsWith('[')) return parseJson(text)
  return parseText(text)
}

function stripPeer(name: string): string {
  const at = name.indexOf('@')
  return at > 0 ? name.slice(0, at) : name
}

const HEADER = /^\s*(\d+):\s+([^\s:]+):\s+<([^>]*)>(.*)$/
const ONELINE = /^\s*(\d+):\s+(\S+)\s+(inet6?)\s+(.*)$/
const ADDR = /^\s*(inet6?)\s+(.*)$/

function parseText(text: string): Interface[] {
  const out: Interface[] = []
  const byKey = new Map<string, Interface>()
  let current: Interface | undefined

  const get = (ifindex: number | undefined, rawName: string): Interface => {
    const ifname = stripPeer(rawName)
    const key = `${ifindex ?? ''}:${ifname}`
    let itf = byKey.get(key)
    if (!itf) {
      itf = {addresses: [], flags: [], ifindex, ifname, up: false}
      byKey.set(key, itf)
      out.push(itf)
    }
    return itf
  }

  for (const line of splitLines(text)) {
    const h = HEADER.exec(line)
    if (h) {
      const itf = get(toInt(h[1]), h[2])
      itf.flags = h[3].split(',').filter((f) => f !== '')
      itf.up = itf.flags.includes('UP')
      const st = /\bstate\s+(\S+)/.exec(h[4])
      if (st) itf.state = st[1]
      current = itf
      continue
    }
    const o = ONELINE.exec(line)
    if (o) {
      // one-line form: everything after a backslash is the folded valid_lft line
      const addr = parseAddress(o[3], o[4].split('\\')[0])
      if (addr) get(toInt(o[1]), o[2]).addresses.push(addr)
      current = undefined
      continue
    }
    const l = /^\s*link\/\w+\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i.exec(line)
    if (l && current) {
      current.mac = l[1].toLowerCase()
      continue
    }
    const a = ADDR.exec(line)
    if (a && current) {
      const addr = parseAddress(a[1], a[2])
      if (addr) current.addresses.push(addr)
    }
    // anything else (valid_lft, altname, noise) is not needed
  }
  return out
}

// what follows `inet`/`inet6`: `198.51.100.1/24 brd 198.51.100.255 scope global ns-x`
function parseAddress(family: string, rest: string): IfAddress | undefined {
  const tokens = rest.trim().split(/\s+/)
  const first = tokens[0] ?? ''
  const fam: 'inet' | 'inet6' = family === 'inet6' ? 'inet6' : 'inet'
  let [local, plen] = first.split('/')
  let prefixlen = toInt(plen)
  const peerAt = tokens.indexOf('peer')
  if (prefixlen === undefined && peerAt > 0) {
    // point-to-point: `inet 10.0.0.1 peer 10.0.0.2/32`
    prefixlen = toInt((tokens[peerAt + 1] ?? '').split('/')[1])
  }
  if (!local) return undefined
  if (prefixlen === undefined) {
    if (plen !== undefined) return undefined
    prefixlen = fam === 'inet' ? 32 : 128
  }
  local = local.toLowerCase()
  const addr: IfAddress = {family: fam, local, prefixlen}
  if (tokens.includes('dadfailed')) addr.dadfailed = true
  if (tokens.includes('tentative')) addr.tentative = true
  const scopeAt = tokens.indexOf('scope')
  if (scopeAt > 0 && tokens[scopeAt + 1]) {
    addr.scope = tokens[scopeAt + 1]
    // iproute2 prints the IPv4 label last, after the scope and any flag words
    if (fam === 'inet' && tokens.length > scopeAt + 2) addr.label = tokens.at(-1)
  }
  return addr
}

function parseJson(text: string): Interface[] {
  const data = parseJsonArray(text)
  const out: Interface[] = []
  for (const item of data) {
    if (!isRecord(item) || typeof item.ifname !== 'string') continue
    const flags = Array.isArray(item.flags) ? item.flags.filter((f): f is string => typeof f === 'string') : []
    const state = typeof item.operstate === 'string' ? item.operstate : undefined
    const up = Array.isArray(item.flags) ? flags.includes('UP') : state === 'UP' || state === 'UNKNOWN'
    const itf: Interface = {addresses: [], flags, ifname: stripPeer(item.ifname), up}
    if (typeof item.ifindex === 'number') itf.ifindex = item.ifindex
    if (state !== undefined) itf.state = state
    if (typeof item.address === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(item.address)) itf.mac = item.address.toLowerCase()
    const infos = Array.isArray(item.addr_info) ? item.addr_info : []
    for (const ai of infos) {
      if (!isRecord(ai)) continue
      if ((ai.family !== 'inet' && ai.family !== 'inet6') || typeof ai.local !== 'string') continue
      if (typeof ai.prefixlen !== 'number') continue
      const addr: IfAddress = {family: ai.family, local: ai.local.toLowerCase(), prefixlen: ai.prefixlen}
      if (typeof ai.scope === 'string') addr.scope = ai.scope
      if (typeof ai.label === 'string') addr.label = ai.label
      if (ai.dadfailed === true) addr.dadfailed = true
      if (ai.tentative === true) addr.tentative = true
      itf.addresses.push(addr)
    }
    out.push(itf)
  }
  return out
}
