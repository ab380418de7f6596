/**
 * Self-test of the integration rig (test/integration/rig/): for each layout a healthy node serves
 * metadata to the ground-truth VM, and each fault breaks what the VM experiences in the way
 * the real failure does. Then: nothing the rig created is left, and the root namespace gained
 * nothing. Needs root (network namespaces), dnsmasq, haproxy, udhcpc, curl, python3:
 * scripts/install-test-deps.sh installs them.
 */
import {existsSync} from 'node:fs'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {type RootNetState, cmdline, isAlive, netnsList, readPidFile, rootNetState, run} from './rig/exec.js'
import {type FakeNode, type FaultKind, type Layout, type VmResult, buildNode} from './rig/node.js'

const isRoot = process.getuid?.() === 0
if (!isRoot) console.warn('integration rig self-test skipped: it needs root (network namespaces, dnsmasq, haproxy)')

/** What the VM experiences with each fault; measured on Debian 12 (dnsmasq 2.90, haproxy 2.6.12, busybox 1.35 udhcpc, curl 7.88). */
interface Expect {
  leased: boolean
  /** 'dhcp' = via the node's DHCP IP, 'wrong' = via .254, null = no route */
  route: 'dhcp' | 'wrong' | null
  status?: number
  error?: 'refused' | 'timeout' | 'no-route'
}

const HEALTHY: Expect = {leased: true, route: 'dhcp', status: 200}

const EXPECTED: Record<Layout, Record<FaultKind, Expect>> = {
  neutron: {
    // dnsmasq sends no option 121: the VM has its subnet route only, connect() fails at once with ENETUNREACH
    'opts-route-missing': {error: 'no-route', leased: true, route: null},
    // nothing answers ARP for .254: the 2 s connect timeout wins (the kernel would say EHOSTUNREACH after ~3 s)
    'wrong-next-hop': {error: 'timeout', leased: true, route: 'wrong'},
    // nothing listens on :80 any more: RST
    'proxy-down': {error: 'refused', leased: true, route: 'dhcp'},
    // 169.254.169.254 is no longer local to the namespace, which does not forward: silently dropped, no ICMP
    'metadata-address-removed': {error: 'timeout', leased: true, route: 'dhcp'},
    'dnsmasq-down': {error: 'no-route', leased: false, route: null},
    // the agent is not restarted: the running node is unchanged and still serves metadata
    'config-off': HEALTHY,
    'namespace-missing': {error: 'no-route', leased: false, route: null},
    // haproxy has no server to connect to
    'upstream-socket-gone': {leased: true, route: 'dhcp', status: 503},
  },
  quantum: {
    'opts-route-missing': {error: 'no-route', leased: true, route: null},
    'wrong-next-hop': {error: 'timeout', leased: true, route: 'wrong'},
    'proxy-down': {error: 'refused', leased: true, route: 'dhcp'},
    // the proxy still listens on 0.0.0.0:80, but the packets for 169.254.169.254 are dropped before it
    'metadata-address-removed': {error: 'timeout', leased: true, route: 'dhcp'},
    'dnsmasq-down': {error: 'no-route', leased: false, route: null},
    'config-off': HEALTHY,
    'namespace-missing': {error: 'no-route', leased: false, route: null},
    // the Grizzly proxy answers 500 "An unknown error has occurred" when the socket is unreachable
    'upstream-socket-gone': {leased: true, route: 'dhcp', status: 500},
  },
}

function checkVm(node: FakeNode, r: VmResult, e: Expect) {
  const why = `${node.layout} ${node.faults.join('+') || 'healthy'}:\n${r.log}`
  expect(r.leased, why).toBe(e.leased)
  if (e.leased) expect(r.ip, why).toBe(node.vmIp)
  const wrong = node.dhcpIp.replace(/\.\d+$/, '.254')
  expect(r.routeToMetadata, why).toBe(e.route === 'dhcp' ? node.dhcpIp : e.route === 'wrong' ? wrong : null)
  expect(r.http.status, why).toBe(e.status)
  expect(r.http.error, why).toBe(e.error)
}

function echoed(r: VmResult): {network_id: string; forwarded_for: string; headers: Record<string, string>} {
  return JSON.parse(r.http.body ?? 'null')
}

describe.skipIf(!isRoot)('integration rig (root: namespaces, real dnsmasq/haproxy/udhcpc)', () => {
  let before: RootNetState
  /** every node built in this file, for the final leftovers check */
  const built: {namespaces: string[]; pids: number[]; root: string}[] = []
  let current: FakeNode[] = []

  const node = async (layout: Layout, subnet?: '172.17.17.0/24' | '198.51.100.0/24' | '203.0.113.0/24') => {
    const n = await buildNode({layout, subnet})
    current.push(n)
    built.push({
      namespaces: [n.namespace, n.vmNamespace, n.switchNamespace],
      pids: [n.dnsmasqPid, n.proxyPid, ...(n.metadataAgentPid ? [n.metadataAgentPid] : [])],
      root: n.root,
    })
    return n
  }

  beforeAll(async () => {
    before = await rootNetState()
  })
  afterEach(async () => {
    const nodes = current
    current = []
    for (const n of nodes) await n.cleanup()
  })
  afterAll(async () => {
    for (const n of current) await n.cleanup()
  })

  for (const layout of ['quantum', 'neutron'] as const) {
    describe(layout, () => {
      it('healthy: the VM gets a lease, a route via the DHCP IP and a 200 through the proxy', async () => {
        const n = await node(layout)
        // the node as the agent lays it out
        expect(n.namespace).toBe(`qdhcp-${n.netId}`)
        expect(n.device).toBe(`${layout === 'quantum' ? 'tap' : 'ns-'}${n.portId.slice(0, 11)}`)
        expect((await netnsList()).includes(n.namespace)).toBe(true)
        const addrs = await run('ip', ['-n', n.namespace, '-4', 'addr', 'show', 'dev', n.device])
        expect(addrs.stdout).toContain(`inet ${n.dhcpIp}/24`)
        expect(addrs.stdout).toContain(`inet ${layout === 'quantum' ? '169.254.169.254/16 brd 169.254.255.255' : '169.254.169.254/32 brd 169.254.169.254'}`)
        expect(cmdline(n.dnsmasqPid)).toEqual(n.dnsmasqArgv)
        expect(cmdline(n.proxyPid)).toEqual(n.proxyArgv)
        expect(cmdline(n.metadataAgentPid!)).toEqual(n.metadataAgentArgv)
        expect(readPidFile(`${n.dhcpDir}/pid`)).toBe(n.dnsmasqPid)
        expect(readPidFile(n.proxyPidFile)).toBe(n.proxyPid)
        const listen = await run('ip', ['netns', 'exec', n.namespace, 'ss', '-ltnp'])
        expect(listen.stdout).toMatch(new RegExp(`${layout === 'quantum' ? '0\\.0\\.0\\.0' : '169\\.254\\.169\\.254'}:80 .*pid=${n.proxyPid},`))

        const r = await n.vm()
        checkVm(n, r, HEALTHY)
        const body = echoed(r)
        expect(body.network_id).toBe(n.netId)
        expect(body.forwarded_for).toBe(n.vmIp)
        const header = layout === 'quantum' ? 'X-Quantum-Network-ID' : 'X-Neutron-Network-ID'
        const got = Object.entries(body.headers).find(([k]) => k.toLowerCase() === header.toLowerCase())
        expect(got?.[1]).toBe(n.netId)
        // a second run starts from scratch and sees the same
        checkVm(n, await n.vm(), HEALTHY)
      })

      for (const kind of Object.keys(EXPECTED[layout]) as FaultKind[]) {
        const e = EXPECTED[layout][kind]
        const lease = e.leased ? 'a lease' : 'no lease'
        const route = e.route === 'dhcp' ? 'the route via the DHCP IP' : e.route === 'wrong' ? 'a route via .254' : 'no metadata route'
        const outcome = e.status ? `HTTP ${e.status}` : `connect: ${e.error}`
        it(`${kind}: the VM gets ${lease}, ${route}, ${outcome}`, async () => {
          const n = await node(layout)
          await n.fault(kind)
          checkVm(n, await n.vm(), e)
        })
      }
    })
  }

  it('serves the third address range too (neutron on 203.0.113.0/24)', async () => {
    const n = await node('neutron', '203.0.113.0/24')
    expect(n.dhcpIp).toBe('203.0.113.1')
    const r = await n.vm()
    checkVm(n, r, HEALTHY)
    expect(echoed(r).network_id).toBe(n.netId)
  })

  it('leaves nothing behind and adds nothing to the root namespace', async () => {
    for (const n of current) await n.cleanup()
    expect(built.length).toBeGreaterThan(0)
    const names = await netnsList()
    for (const b of built) {
      for (const ns of b.namespaces) expect(names, ns).not.toContain(ns)
      for (const pid of b.pids) expect(isAlive(pid) && cmdline(pid).join(' ').includes(b.root), `pid ${pid}`).toBe(false)
      expect(existsSync(b.root), b.root).toBe(false)
    }
    expect(await rootNetState()).toEqual(before)
  })
})
