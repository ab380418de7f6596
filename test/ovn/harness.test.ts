/**
 * Self-test of the ML2/OVN chassis harness (scripts/harness/ovn/ovn-up.sh, test/ovn/env.ts): the chain is
 * real. A gateway-less network and one VM: OVN's native DHCP gives the VM option 121
 * `169.254.169.254/32 via <metadata port IP>`; the VM's GET http://169.254.169.254/openstack
 * answers 200 through haproxy (ovnmeta-<net>) -> neutron-ovn-metadata-agent -> fake nova, whose
 * HMAC check passed; with the agent stopped haproxy answers 503; started again, 200.
 *
 * Needs root and a running harness (scripts/harness/ovn/ovn-up.sh); skipped otherwise.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  AGENT_CONF,
  CHASSIS,
  CHASSIS_HOST,
  HARNESS_PORTS,
  LOG_DIR,
  METADATA_SOCKET,
  OVS_DB,
  SB_TCP,
  UP_SCRIPT,
  agentPid,
  agents,
  createNetwork,
  createVm,
  deleteNetwork,
  deleteVm,
  haproxyConf,
  haproxyPid,
  linkExists,
  metaNamespace,
  metaTap,
  metadataPort,
  namespaceExists,
  networksNamed,
  ready,
  recordedPid,
  run,
  sbRows,
  startAgent,
  stopAgent,
  vmCurl,
  vmDeviceId,
  vmNamespace,
  waitFor,
  waitForVmStatus,
} from './env.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('ovn harness self-test skipped: it needs root')
else if (!up) console.warn(`ovn harness self-test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

/** the IPv4 addresses of the root namespace, "dev addr/prefix" */
function rootIPv4(): string[] {
  const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], {encoding: 'utf8'})) as {
    ifname: string
    addr_info?: {local: string; prefixlen: number}[]
  }[]
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)).sort()
}

/** the fake nova's request records (one JSON object per line of its log) */
function novaRequests(): {headers: Record<string, string>; path: string; signature_ok: boolean; status: number}[] {
  return readFileSync(`${LOG_DIR}/fake-nova.console.log`, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"headers"'))
    .map((l) => JSON.parse(l))
}

describe.skipIf(!up)('ovn harness (real OVS userspace datapath, OVN, neutron-server ML2/OVN, metadata agent)', () => {
  const name = `qmovn-harness-${randomBytes(3).toString('hex')}`
  const VM = 1
  let net = ''
  let mdIp = ''
  let rootBefore: string[] = []

  beforeAll(() => {
    rootBefore = rootIPv4()
  })

  afterAll(async () => {
    // a safety net for failed runs (the last test does and checks the same): by name
    await deleteVm(VM)
    for (const id of await networksNamed(name)) await deleteNetwork(id)
  })

  it('a gateway-less network and one VM: the lease carries option 121 169.254.169.254/32 via the metadata port IP', async () => {
    const made = await createNetwork(name, {cidr: '198.51.100.0/24', gateway: null})
    net = made.networkId
    const vm = await createVm(VM, net)
    console.info(`${vm.namespace} ${vm.ip}: bound after ${vm.ms.bind} ms, ovnmeta+haproxy after ${vm.ms.metadata} ms, DHCP ${vm.ms.dhcp} ms`)

    const md = await metadataPort(net)
    expect(md).not.toBeNull()
    expect(md!.device_id).toBe(metaNamespace(net))
    mdIp = md!.fixed_ips[0].ip_address
    expect(mdIp).toMatch(/^198\.51\.100\.\d+$/)

    expect(vm.port['binding:host_id']).toBe(CHASSIS_HOST)
    expect(vm.lease).toMatchObject({ip: vm.ip, mask: '24', serverid: mdIp})
    expect(vm.lease!.router).toBeUndefined()
    expect(vm.lease!.routes).toEqual([{destination: '169.254.169.254/32', gateway: mdIp}])
    // the hook applied it: the VM routes 169.254.169.254 via the metadata port
    const route = execFileSync('ip', ['-n', vmNamespace(VM), '-4', 'route', 'get', '169.254.169.254'], {encoding: 'utf8'})
    expect(route).toContain(`via ${mdIp} dev eth0`)

    // OVN bound the VM's port to our chassis; the agent made the namespace, veth and haproxy
    const [binding] = await sbRows('find', 'Port_Binding', `logical_port=${vm.port.id}`)
    const [chassis] = await sbRows('find', 'Chassis', `name=${CHASSIS}`)
    expect(binding.chassis).toBe(chassis._uuid)
    expect(namespaceExists(metaNamespace(net))).toBe(true)
    expect(linkExists(metaTap(net))).toBe(true)
    const addrs = execFileSync('ip', ['-n', metaNamespace(net), '-4', '-o', 'addr'], {encoding: 'utf8'})
    expect(addrs).toContain(`${mdIp}/24`)
    expect(addrs).toContain('169.254.169.254/32')
  })

  it('the VM GETs http://169.254.169.254/openstack: 200 through haproxy -> agent -> fake nova (signature checked)', async () => {
    expect(net).not.toBe('')
    const before = novaRequests().length
    const r = await vmCurl(VM)
    expect(r).toMatchObject({curlExit: 0, status: 200})
    expect(r.body).toContain(`instance ${vmDeviceId(VM)} project qmovnproject`)

    const seen = novaRequests().slice(before)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({path: '/openstack', signature_ok: true, status: 200})
    expect(seen[0].headers['X-Instance-ID']).toBe(vmDeviceId(VM))

    // haproxy is the agent's: its pid file, its config, living inside ovnmeta-<net>
    const hp = haproxyPid(net)
    expect(hp).not.toBeNull()
    expect((await run('ip', ['netns', 'identify', String(hp)])).stdout.trim()).toBe(metaNamespace(net))
    expect(readFileSync(haproxyConf(net), 'utf8')).toContain(METADATA_SOCKET)
  })

  it('agent stopped -> haproxy answers 503; agent started -> 200 again', async () => {
    expect(net).not.toBe('')
    const haproxyBefore = haproxyPid(net)
    await stopAgent()
    expect(agentPid()).toBeNull()
    const down = await vmCurl(VM)
    expect(down).toMatchObject({curlExit: 0, status: 503})
    expect(haproxyPid(net)).toBe(haproxyBefore) // haproxy outlives the agent

    const t0 = Date.now()
    await startAgent()
    expect(agentPid()).not.toBeNull()
    const ms = await waitForVmStatus(VM, 200, 60_000)
    console.info(
      `agent started (registered) in ${Date.now() - t0 - ms} ms; the VM got 200 again ${ms} ms later; haproxy ${haproxyBefore} -> ${haproxyPid(net)}`,
    )
    expect((await agents()).find((a) => a.agent_type === 'OVN Metadata agent')?.alive).toBe(true)
  })

  it('listens on loopback only: the harness ports on 127.0.0.1, the Open_vSwitch DB on its unix socket alone', async () => {
    const lines = execFileSync('ss', ['-ltnpH'], {encoding: 'utf8'}).split('\n').filter(Boolean)
    const local = lines.map((l) => ({line: l, local: l.trim().split(/\s+/)[3]}))
    const ours = local.filter((l) => (HARNESS_PORTS as readonly number[]).includes(Number(l.local.slice(l.local.lastIndexOf(':') + 1))))
    expect(ours.map((l) => l.local).sort()).toEqual(HARNESS_PORTS.map((p) => `127.0.0.1:${p}`).sort())
    const ovsdb = recordedPid('ovsdb-server')
    expect(ovsdb).not.toBeNull()
    expect(lines.filter((l) => l.includes(`pid=${ovsdb},`))).toEqual([])
    // and the agent is told so: it must read its connections from its config
    const ini = readFileSync(AGENT_CONF, 'utf8')
    expect(ini).toMatch(new RegExp(`^ovsdb_connection = ${OVS_DB}$`, 'm'))
    expect(ini).toMatch(new RegExp(`^ovn_sb_connection = ${SB_TCP}$`, 'm'))
    expect(rootIPv4()).toEqual(rootBefore)
  })

  it('deleting the VM and the network (by name) takes ovnmeta-<net>, its haproxy and veth away', async () => {
    expect(net).not.toBe('')
    await deleteVm(VM)
    expect(namespaceExists(vmNamespace(VM))).toBe(false)
    for (const id of await networksNamed(name)) await deleteNetwork(id)
    expect(await networksNamed(name)).toEqual([])
    await waitFor(`${metaNamespace(net)} gone`, () => !namespaceExists(metaNamespace(net)) && haproxyPid(net) === null && !linkExists(metaTap(net)), 60_000)
  })
})
