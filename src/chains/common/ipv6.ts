/**
 * IPv6 metadata, fe80::a9fe:a9fe (neutron-lib's METADATA_V6_IP), as the DHCP agent's qdhcp namespace and
 * ML2/OVN's ovnmeta namespace serve it: the address on the namespace's device, usable (not `tentative`,
 * not `dadfailed`), haproxy's `bind fe80::a9fe:a9fe:80 interface DEV`, a listener, and the release's
 * rule for when it must be there (../shared/reference/containers-nova.md section 6):
 *   DHCP agent 17.0.0+: whenever isolated/force metadata is on and the host has IPv6; 26.0.0+ only with
 *     an IPv6 subnet. With several agents only the first keeps it (the others fail DAD); 21.1.1+ and
 *     23.0.0+ delete the loser's copy and serve IPv4 only.
 *   OVN metadata agent 24.0.0+ if the host has IPv6; 26.0.0+ only with an IPv6 subnet.
 * "The host has IPv6" is oslo.utils' is_ipv6_enabled(): /proc/sys/net/ipv6/conf/default/disable_ipv6 is 0.
 * Each chain judges with judgeIpv6Metadata, giving its device, its release rule and its fixes; the
 * evidence of both (the release, the switch) is collected here.
 */
import {join} from 'node:path'

import type {FileRecord, NetworkEvidence, ReleaseRecord} from '../../evidence/evidence.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import type {IfAddress, Interface} from '../../parse/ip-addr.js'
import type {Socket} from '../../parse/sockets.js'
import type {NodeView} from '../../sources/view.js'
import {type CommandFix, type Finding, type Fix, cmd, fail, notHere, pass, skip, warn} from '../types.js'
import {interfaces, processOf, ran} from './evidence.js'
import {proxySockets} from './sockets.js'
import {clip, shq} from './text.js'

export const METADATA_V6_IP = 'fe80::a9fe:a9fe'
export const METADATA_V6_CIDR = `${METADATA_V6_IP}/64`
/** what oslo.utils' netutils.is_ipv6_enabled() reads (a missing file: no IPv6 in the kernel) */
export const IPV6_SWITCH = '/proc/sys/net/ipv6/conf/default/disable_ipv6'

export type Version = readonly [number, number, number]

// --- collection ------------------------------------------------------------------------------------

/** `neutron-21.0.0.egg-info`, `neutron-22.2.1.dev7-py3.9.egg-info`, `neutron-26.0.0.dist-info` (not neutron_lib-…) */
const PACKAGE_INFO = /^neutron-(\d+\.\d+\.\d+[\w.+]*?)(?:-py\d[\d.]*)?\.(?:egg|dist)-info$/

/** Where Python packages live: Debian's dist-packages, RDO's and pip's pythonX.Y/site-packages. */
async function packageDirs(view: NodeView): Promise<string[]> {
  const out = ['/usr/lib/python3/dist-packages']
  for (const base of ['/usr/lib', '/usr/lib64', '/usr/local/lib']) {
    const pythons = (await view.list(base)).filter((n) => /^python3(\.\d{1,2})?$/.test(n))
    for (const p of pythons) for (const d of ['site-packages', 'dist-packages']) out.push(join(base, p, d))
  }
  return [...new Set(out)]
}

/**
 * The Neutron release of this node's packages: the first neutron-X.Y.Z.egg-info (or dist-info) in the
 * usual package directories. An agent in another mount namespace (a container) runs its image's
 * release, not this host's: then none is claimed.
 */
export async function collectRelease(view: NodeView, agentInContainer: boolean): Promise<ReleaseRecord> {
  if (agentInContainer) return {from: "the agent runs in another mount namespace (a container): this host's packages are not its release"}
  const dirs = await packageDirs(view)
  for (const dir of dirs) {
    const names = await view.list(dir)
    const hit = names.find((n) => PACKAGE_INFO.test(n))
    if (hit) return {from: join(dir, hit), version: PACKAGE_INFO.exec(hit)![1]}
  }
  return {from: `no neutron-*.egg-info or dist-info in ${dirs.join(', ')}`}
}

/** The host's IPv6 switch, as the agent reads it. */
export const collectIpv6Switch = (view: NodeView): Promise<FileRecord> => view.readFile(IPV6_SWITCH)

/** Both, for a node: read once per run, a copy per network. */
export async function collectIpv6Facts(view: NodeView, agentInContainer: boolean): Promise<{ipv6Switch: FileRecord; neutronRelease: ReleaseRecord}> {
  const [ipv6Switch, neutronRelease] = await Promise.all([collectIpv6Switch(view), collectRelease(view, agentInContainer)])
  return {ipv6Switch, neutronRelease}
}

/** The device fe80::a9fe:a9fe is usable on, for --probe over IPv6: there, not tentative, not dadfailed. */
export function usableV6Device(all: readonly Interface[]): string | undefined {
  return all.find((i) => i.ifname !== 'lo' && i.addresses.some((a) => isV6Metadata(a) && !a.tentative && !a.dadfailed))?.ifname
}

// --- reading the evidence --------------------------------------------------------------------------

const isV6Metadata = (a: IfAddress) => a.family === 'inet6' && a.local === METADATA_V6_IP

export function parseVersion(text: string | undefined): Version | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text ?? '')
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

export const atLeast = (v: Version, w: Version) => (v[0] !== w[0] ? v[0] > w[0] : v[1] !== w[1] ? v[1] > w[1] : v[2] >= w[2])

/** What the switch says: true IPv6 on, false off, undefined not told (older snapshots, a source without it). */
export function ipv6Enabled(ev: NetworkEvidence): boolean | undefined {
  const f = ev.ipv6Switch
  if (f?.state !== 'present') return undefined
  const v = f.content?.trim()
  return v === '0' ? true : v === '1' ? false : undefined
}

/** The address listing shows IPv6 (`ip -4 a` in hand-made snapshots does not): whether an absence means anything. */
const listsIpv6 = (ev: NetworkEvidence, all: readonly Interface[]) =>
  all.some((i) => i.addresses.some((a) => a.family === 'inet6')) || !(ev.addresses?.argv ?? []).includes('-4')

/** haproxy's `bind fe80::a9fe:a9fe:80 interface DEV` line of the config the agent wrote, if any. */
function v6Bind(ev: NetworkEvidence) {
  if (ev.haproxyConfig.state !== 'present' || ev.haproxyConfig.content === undefined) return undefined
  return parseHaproxyConfig(ev.haproxyConfig.content).binds.find((b) => b.address === METADATA_V6_IP && b.port === 80)
}

/** The sockets listening on [fe80::a9fe:a9fe]:80 or [::]:80 that the proxy holds; undefined when the evidence has no IPv6 socket table. */
function v6Listeners(ev: NetworkEvidence): {mine: Socket[]; source: string} | undefined {
  const proc = processOf(ev, 'proxy')
  if (!proc?.alive) return undefined
  const seen = proxySockets(ev, proc.pid)
  if (!seen) return undefined
  const fromProc = proc.tcp !== undefined || proc.tcp6 !== undefined
  if (fromProc ? proc.tcp6 === undefined : (ev.sockets?.argv ?? []).includes('-4')) return undefined
  const mine = seen.sockets.filter(
    (s) => s.state === 'LISTEN' && s.localPort === 80 && (s.localAddress === METADATA_V6_IP || s.localAddress === '::') && seen.owned(s),
  )
  return {mine, source: seen.source}
}

// --- the judgment ----------------------------------------------------------------------------------

/** What a chain tells the judge: its device, its rule and its fixes. */
export interface Ipv6Site {
  /** the namespace's device that must hold the address (qdhcp: the DHCP port's tap/ns-; ovnmeta: the veth) */
  device: Interface
  /** the first release that serves IPv6 metadata: 17.0.0 (DHCP agent), 24.0.0 (OVN) */
  since: Version
  /** the agent: `the DHCP agent`, `the OVN metadata agent` */
  agent: string
  /** the command that restarts that agent on this deployment */
  restart: string
  /** an IPv6 subnet of the network, described, when the evidence shows one; null: it shows none; undefined: it cannot tell */
  v6Subnet: string | null | undefined
  /** who else can hold fe80::a9fe:a9fe on the network, for a dadfailed copy */
  rival: string
  /** why an absent address is not a fault on this node even where the release adds it (several DHCP agents: a loser deletes its copy), if it may be */
  absentExcuse?: string
  /** what to look at when the address is dadfailed: the other holder */
  findRival: CommandFix
  /** the chain's check that judges whether haproxy runs (its listener is not judged here without it) */
  proxyCheck: string
  /** hosts judged together (a fleet): which other one holds a usable copy, if one does */
  peerHolds?: string
}

/** A skip that holds no verdict back: the rule for this node cannot be settled from the evidence (said, not guessed). */
const notTold = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, skipped: 'not-told', status: 'skip', summary})

export function judgeIpv6Metadata(ev: NetworkEvidence, site: Ipv6Site): Omit<Finding, 'id'> {
  const all = interfaces(ev) ?? []
  const cmd0 = ev.addresses ? ran(ev.addresses) : 'ip addr'
  const dev = site.device.ifname
  const ns = shq(ev.namespace)
  const inNs = (c: string) => `ip netns exec ${ns} ${c}`
  const addCmd = inNs(`ip -6 addr add ${METADATA_V6_CIDR} dev ${shq(dev)}`)
  const delCmd = inNs(`ip -6 addr del ${METADATA_V6_CIDR} dev ${shq(dev)}`)
  if (!listsIpv6(ev, all)) {
    return notTold(`the evidence lists no IPv6 addresses of ${ev.namespace} (\`${cmd0}\`): IPv6 metadata (${METADATA_V6_IP}) not collected`)
  }
  const addr = site.device.addresses.find(isV6Metadata)
  const flags = (a: IfAddress) => [a.dadfailed ? ' dadfailed' : '', a.tentative ? ' tentative' : ''].join('')
  const shown = (a: IfAddress) => `${cmd0}: ${dev} inet6 ${a.local}/${a.prefixlen} scope ${a.scope ?? '?'}${flags(a)}`
  const elsewhere = all.filter((i) => i.ifname !== dev && i.addresses.some(isV6Metadata)).map((i) => i.ifname)
  const bind = v6Bind(ev)
  const cfgLine = bind ? [`${ev.haproxyConfig.path}: bind ${METADATA_V6_IP}:80${bind.interface ? ` interface ${bind.interface}` : ''}`] : []

  if (addr?.dadfailed && site.peerHolds !== undefined) {
    // the other DHCP agent of the network won: one copy on the link is as it should be, this one is left over
    return warn(
      `${METADATA_V6_IP} on ${dev} is dadfailed: ${site.peerHolds} holds it, so this host serves metadata over IPv4 only (as expected with several DHCP agents); the dead copy should go: haproxy cannot bind it if it restarts`,
      [shown(addr), ...cfgLine],
      cmd(
        delCmd,
        'what Neutron 21.1.1+ and 23.0.0+ do themselves; before 21.1.1 an agent restart with the dead copy in place starts no haproxy at all (it waits for DAD, which fails)',
      ),
    )
  }
  if (addr?.dadfailed) {
    return fail(
      `${METADATA_V6_IP} on ${dev} is dadfailed: ${site.rival} already holds it, so the kernel will not use this copy and instances asking over IPv6 are not answered from here`,
      [shown(addr), ...cfgLine],
      cmd(
        delCmd,
        `this copy is unusable; the holder serves IPv6 metadata (with several DHCP agents exactly one should; Neutron 21.1.1+ and 23.0.0+ delete the loser's copy themselves). To serve it from here instead, free it there first, then: ${addCmd}. Before 21.1.1 an agent restart with the clash in place starts no haproxy at all (it waits for DAD, which fails)`,
        site.findRival,
      ),
    )
  }
  if (addr?.tentative) {
    return warn(
      `${METADATA_V6_IP} on ${dev} is tentative: duplicate address detection is still running, so nothing can use it yet (haproxy cannot bind it; the agent waits up to 30 s)`,
      [shown(addr), ...cfgLine],
      cmd(
        inNs(`ip -6 addr show dev ${shq(dev)}`),
        'again in a few seconds: DAD takes dad_transmits × retrans_time (1 s by default); dadfailed then means another holder',
      ),
    )
  }
  if (addr) return judgeServed(ev, site, addr, shown(addr), cfgLine)

  // absent from the device
  const absent = [`${cmd0}: ${dev}: no ${METADATA_V6_IP}${elsewhere.length > 0 ? ` (on ${elsewhere.join(', ')} instead)` : ''}`]
  if (bind) {
    return fail(
      `haproxy's config binds ${METADATA_V6_IP}:80${bind.interface ? ` on ${bind.interface}` : ''}, but ${dev} does not hold the address: instances asking over IPv6 get nothing, and haproxy cannot start again with this config`,
      [...absent, ...cfgLine],
      cmd(site.restart, `${site.agent} adds ${METADATA_V6_CIDR} to ${dev} when it sets up the network`, {
        command: addCmd,
        why: 'or by hand, until the agent next sets it up',
      }),
    )
  }
  const notServed = `${METADATA_V6_IP} is not on ${dev} and haproxy binds none: IPv6 metadata is not served here`
  const release = parseVersion(ev.neutronRelease?.version)
  const releaseLine = ev.neutronRelease ? [`neutron release: ${ev.neutronRelease.version ?? 'unknown'} (${clip(ev.neutronRelease.from, 300)})`] : []
  const enabled = ipv6Enabled(ev)
  const switchLine = ev.ipv6Switch
    ? [`${ev.ipv6Switch.path}: ${ev.ipv6Switch.state === 'present' ? clip(ev.ipv6Switch.content?.trim() ?? '', 20) : ev.ipv6Switch.state}`]
    : []
  const evidence = [...absent, ...releaseLine, ...switchLine]
  const since = site.since.join('.')
  if (ev.layout === 'quantum') return notHere(`${notServed}: Quantum predates IPv6 metadata (${site.agent} ${since}+)`, evidence)
  if (enabled === false) return notHere(`${notServed}: the host has IPv6 disabled (${IPV6_SWITCH} = 1), and ${site.agent} then serves IPv4 only`, evidence)
  if (!release) {
    return notTold(
      `${notServed}; whether it must be depends on the Neutron release, which the evidence does not tell (${ev.neutronRelease ? clip(ev.neutronRelease.from, 200) : 'not collected'}): ${site.agent} adds it from ${since} when the host has IPv6, from 26.0.0 only with an IPv6 subnet`,
      evidence,
    )
  }
  const v = release.join('.')
  if (!atLeast(release, site.since)) return notHere(`${notServed}: Neutron ${v} predates IPv6 metadata (${site.agent} ${since}+)`, evidence)
  if (enabled === undefined) {
    return notTold(`${notServed}; Neutron ${v} adds it only when the host has IPv6 on, and ${IPV6_SWITCH} is not in the evidence`, evidence)
  }
  const newRule = atLeast(release, [26, 0, 0])
  if (newRule && site.v6Subnet === null)
    return notHere(`${notServed}: the network has no IPv6 subnet, and Neutron ${v} serves IPv6 metadata only with one`, evidence)
  if (newRule && site.v6Subnet === undefined) {
    return notTold(
      `${notServed}; Neutron ${v} serves it only on a network with an IPv6 subnet, and the evidence does not show the subnets (collect with API credentials)`,
      evidence,
    )
  }
  if (site.absentExcuse !== undefined) return notHere(`${notServed}: ${site.absentExcuse}`, evidence)
  const when = newRule ? `the network has an IPv6 subnet (${site.v6Subnet})` : 'isolated metadata is on and the host has IPv6'
  return fail(
    `${notServed}, though Neutron ${v} adds ${METADATA_V6_CIDR} to ${dev} when ${when}: instances asking over IPv6 get nothing`,
    evidence,
    cmd(site.restart, `${site.agent} adds the address and restarts haproxy with the IPv6 bind when it sets up the network`),
  )
}

/** The address is usable: haproxy's config binds it on this device and haproxy listens on it. */
function judgeServed(ev: NetworkEvidence, site: Ipv6Site, addr: IfAddress, shownAddr: string, cfgLine: string[]): Omit<Finding, 'id'> {
  const dev = site.device.ifname
  const bind = v6Bind(ev)
  const evidence = [shownAddr, ...cfgLine]
  const fix: Fix = cmd(site.restart, `${site.agent} rewrites haproxy's config with the IPv6 bind and restarts it`)
  if (ev.haproxyConfig.state !== 'present') {
    return notTold(`${METADATA_V6_IP}/${addr.prefixlen} is usable on ${dev}; haproxy's config is not in the evidence (${ev.haproxyConfig.state})`, evidence)
  }
  if (!bind) {
    return fail(
      `${METADATA_V6_IP} is usable on ${dev}, but ${ev.haproxyConfig.path} binds no ${METADATA_V6_IP}:80: instances asking over IPv6 are refused`,
      evidence,
      fix,
    )
  }
  if (bind.interface !== undefined && bind.interface !== dev) {
    return fail(`haproxy binds ${METADATA_V6_IP}:80 on ${bind.interface}, but the address is on ${dev}`, evidence, fix)
  }
  const proc = processOf(ev, 'proxy')
  if (!proc?.alive)
    return skip(
      `${METADATA_V6_IP}/${addr.prefixlen} is usable on ${dev} and haproxy's config binds it, but haproxy is not running (see ${site.proxyCheck})`,
      evidence,
    )
  const heard = v6Listeners(ev)
  if (!heard) {
    return notTold(
      `${METADATA_V6_IP}/${addr.prefixlen} is usable on ${dev} and haproxy's config binds it; no IPv6 socket table of the proxy in the evidence, so its listener is not told`,
      evidence,
    )
  }
  if (heard.mine.length === 0) {
    return fail(
      `${METADATA_V6_IP} is usable on ${dev} and haproxy's config binds it, but the proxy listens on no [${METADATA_V6_IP}]:80: instances asking over IPv6 are refused`,
      [...evidence, `${heard.source}: no LISTEN on [${METADATA_V6_IP}]:80 held by the proxy`],
      fix,
    )
  }
  return pass(`${METADATA_V6_IP}/${addr.prefixlen} is usable on ${dev} and haproxy listens on [${METADATA_V6_IP}]:80`, [
    ...evidence,
    ...heard.mine.map((s) => `${heard.source}: ${s.proto} [${s.localAddress}]:80 LISTEN${s.inode ? ` inode ${s.inode}` : ''}`),
  ])
}

/**
 * The --probe over IPv6: GET http://[fe80::a9fe:a9fe%DEV]/ from inside the namespace, when the address
 * was usable. 200, or 404 for the namespace's own address (no instance's port), means haproxy and the
 * agent answer over IPv6.
 */
export function judgeProbe6(ev: NetworkEvidence, restart: string): Omit<Finding, 'id'> | undefined {
  const p = ev.probe6
  if (!p) return undefined
  const evidence = [`${p.argv.join(' ')}: ${p.status === undefined ? p.error : `HTTP ${p.status}`}${p.ms === undefined ? '' : ` in ${p.ms} ms`}`]
  if (p.status === 200 || p.status === 404) return pass(`GET ${p.url} from inside ${ev.namespace} answered ${p.status}: IPv6 metadata answers`, evidence)
  const what = p.status === undefined ? (p.error ?? 'no answer') : `HTTP ${p.status}`
  return fail(
    `GET ${p.url} from inside ${ev.namespace}: ${what}: instances asking over IPv6 get no metadata`,
    evidence,
    cmd(restart, 'see the failing links above first; the agent restarts haproxy with its IPv6 bind'),
  )
}

/** The id and title both chains give their IPv6 check. */
export const IPV6_CHECK_TITLE = `IPv6 metadata: ${METADATA_V6_CIDR} usable (not tentative or dadfailed) on the namespace's device and haproxy listening on it, where the release serves it`
