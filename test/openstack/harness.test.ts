/**
 * Self-test of the real-OpenStack harness (scripts/harness/openstack/up.sh, test/openstack/env.ts):
 * Keystone issues v3 tokens and has the network endpoint in its catalog; neutron-server answers
 * with Keystone on :9696 and without on :9697; a gateway-less subnet is created and read back;
 * the harness's DHCP agent hosts the new network; a router interface can be added; everything
 * created is deleted again; and every harness port listens on loopback only.
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh); skipped otherwise.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {
  ADMIN,
  Created,
  DEMO,
  DHCP_AGENT_HOST,
  HARNESS_PORTS,
  KEYSTONE_URL,
  NEUTRON_URL,
  NOAUTH_URL,
  REGION,
  UP_SCRIPT,
  adminToken,
  dhcpAgents,
  dhcpGone,
  dhcpReady,
  issueToken,
  neutron,
  ports,
  ready,
  waitForDhcpAgent,
  waitForDhcpState,
} from './env.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('openstack harness self-test skipped: it needs root')
else if (!up) console.warn(`openstack harness self-test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

/** [host, port] of every TCP listener in the root namespace (`ss -ltnH`) */
function listeners(): {host: string; port: number; line: string}[] {
  const out = execFileSync('ss', ['-ltnH'], {encoding: 'utf8'})
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const local = line.trim().split(/\s+/)[3]
      const i = local.lastIndexOf(':')
      return {host: local.slice(0, i).replace(/%.*$/, ''), line, port: Number(local.slice(i + 1))}
    })
}

/** the addresses of the root namespace, as "dev addr/prefix" */
function rootAddresses(): string[] {
  const links = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show'], {encoding: 'utf8'})) as {
    ifname: string
    addr_info?: {local: string; prefixlen: number}[]
  }[]
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`)).sort()
}

describe.skipIf(!up)('openstack harness (real Keystone, neutron-server, DHCP agent)', () => {
  const suffix = randomBytes(3).toString('hex')
  const made = new Created()
  let addressesBefore: string[] = []

  beforeAll(() => {
    addressesBefore = rootAddresses()
  })

  afterAll(async () => {
    // a safety net for failed runs; the last test does (and checks) the same
    const errors = await made.cleanup()
    if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
  })

  it('issues a v3 password token (201, X-Subject-Token) whose catalog has the network endpoint', async () => {
    const t = await issueToken(ADMIN)
    expect(t.status).toBe(201)
    expect(t.id).toMatch(/^gAAAAA/) // fernet
    expect(t.body.user.name).toBe('admin')
    expect(t.body.project?.name).toBe('admin')
    expect(t.body.roles?.map((r) => r.name)).toContain('admin')
    const network = t.body.catalog?.find((s) => s.type === 'network')
    expect(network, JSON.stringify(t.body.catalog)).toBeDefined()
    const endpoints = network!.endpoints.map((e) => `${e.interface} ${e.region_id} ${e.url}`).sort()
    expect(endpoints).toEqual([`admin ${REGION} ${NEUTRON_URL}`, `internal ${REGION} ${NEUTRON_URL}`, `public ${REGION} ${NEUTRON_URL}`])
    const identity = t.body.catalog?.find((s) => s.type === 'identity')
    expect(identity?.endpoints.find((e) => e.interface === 'public')?.url).toBe(`${KEYSTONE_URL}/`)

    const demo = await issueToken(DEMO)
    expect(demo.body.project?.name).toBe('demo')
    expect(demo.body.roles?.map((r) => r.name)).toContain('member')
    expect(demo.body.roles?.map((r) => r.name)).not.toContain('admin')
  })

  it('a wrong password gets 401 from Keystone', async () => {
    await expect(issueToken({...ADMIN, password: 'wrong'})).rejects.toMatchObject({status: 401})
  })

  it('neutron-server: :9697 (noauth) answers without a token, :9696 answers 401 without one and 200 with one', async () => {
    const noauth = await fetch(`${NOAUTH_URL}/v2.0/networks`)
    expect(noauth.status).toBe(200)
    expect(await noauth.json()).toHaveProperty('networks')

    const anonymous = await fetch(`${NEUTRON_URL}/v2.0/networks`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toContain('127.0.0.1:5000')
    await anonymous.arrayBuffer()

    const withToken = await fetch(`${NEUTRON_URL}/v2.0/networks`, {headers: {'X-Auth-Token': await adminToken()}})
    expect(withToken.status).toBe(200)
    await withToken.arrayBuffer()

    const badToken = await fetch(`${NEUTRON_URL}/v2.0/networks`, {headers: {'X-Auth-Token': 'gAAAAAnot-a-token'}})
    expect(badToken.status).toBe(401)
    await badToken.arrayBuffer()
  })

  let isolatedNet = ''
  let isolatedSubnet = ''

  it('creates a network and a gateway-less subnet through :9696 and reads gateway_ip back as null', async () => {
    const net = await made.network(`qm-harness-isolated-${suffix}`)
    isolatedNet = net.id
    expect(net.status).toBe('ACTIVE')
    expect(net['provider:network_type']).toBe('local')

    const sub = await made.subnet(net.id, '198.51.100.0/24', {gateway: null, name: `qm-harness-isolated-${suffix}-v4`})
    isolatedSubnet = sub.id
    expect(sub.gateway_ip).toBeNull()
    expect(sub.allocation_pools).toEqual([{end: '198.51.100.254', start: '198.51.100.1'}])

    const read = await neutron<{subnet: {gateway_ip: string | null}}>('GET', `/subnets/${sub.id}`)
    expect(read.subnet.gateway_ip).toBeNull()
    // the noauth server sees the same database
    const viaNoauth = await neutron<{subnet: {gateway_ip: string | null}}>('GET', `/subnets/${sub.id}`, undefined, {url: NOAUTH_URL})
    expect(viaNoauth.subnet.gateway_ip).toBeNull()
  })

  it("the harness's DHCP agent hosts the new network, alive, within 60 s", async () => {
    expect(isolatedNet).not.toBe('')
    const t0 = Date.now()
    const {agent, ms} = await waitForDhcpAgent(isolatedNet, 60_000)
    expect(agent).toMatchObject({admin_state_up: true, agent_type: 'DHCP agent', alive: true, binary: 'neutron-dhcp-agent', host: DHCP_AGENT_HOST})
    // the API lists the agent once the network is scheduled; the namespace, bridge, dnsmasq and
    // (isolated subnet) haproxy come when the agent has worked through the event
    const built = await waitForDhcpState(isolatedNet, dhcpReady(true), 60_000)
    console.info(`network ${isolatedNet}: listed on ${agent.host} after ${ms} ms; namespace+bridge+dnsmasq+haproxy after ${Date.now() - t0} ms`)
    expect(built.state.namespace).toBe(true)
    // with dnsmasq running, the agent's DHCP port exists, bound to the agent's host
    const dhcp = await ports(isolatedNet, 'network:dhcp')
    expect(dhcp).toHaveLength(1)
    expect(dhcp[0].fixed_ips).toEqual([{ip_address: expect.stringMatching(/^198\.51\.100\.\d+$/), subnet_id: isolatedSubnet}])
    expect(dhcp[0]['binding:host_id']).toBe(DHCP_AGENT_HOST)
  })

  it('adds a router interface on a second subnet that has a gateway (and the agent drops its metadata proxy)', async () => {
    const net = await made.network(`qm-harness-routed-${suffix}`)
    const sub = await made.subnet(net.id, '203.0.113.0/24', {gateway: '203.0.113.1', name: `qm-harness-routed-${suffix}-v4`})
    expect(sub.gateway_ip).toBe('203.0.113.1')
    // a gateway but no router port: still isolated, so the agent runs a haproxy for it too
    await waitForDhcpState(net.id, dhcpReady(true), 60_000)
    const router = await made.router(`qm-harness-router-${suffix}`)
    const t0 = Date.now()
    const itf = await made.routerInterface(router.id, sub.id)
    expect(itf).toMatchObject({id: router.id, network_id: net.id, subnet_id: sub.id})
    const routerPorts = await ports(net.id, 'network:router_interface')
    expect(routerPorts.map((p) => [p.id, p.device_id, p.fixed_ips])).toEqual([[itf.port_id, router.id, [{ip_address: '203.0.113.1', subnet_id: sub.id}]]])
    // the router port holds the gateway IP: the network is no longer isolated, haproxy goes, dnsmasq stays
    await waitForDhcpState(net.id, (st) => st.haproxy === null && st.dnsmasq !== null, 30_000)
    console.info(`network ${net.id}: haproxy gone ${Date.now() - t0} ms after PUT add_router_interface was sent`)
  })

  it('no harness bridge holds a host interface, and the root namespace gained no address', () => {
    const bridge = `brq${isolatedNet.slice(0, 11)}`
    const brif = execFileSync('ls', [`/sys/class/net/${bridge}/brif`], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
    expect(
      brif.every((i) => i.startsWith('tap')),
      brif.join(' '),
    ).toBe(true)
    // not even an IPv6 link-local one: up.sh turns IPv6 off for new root-namespace links
    const gained = rootAddresses().filter((a) => !addressesBefore.includes(a))
    expect(gained).toEqual([])
  })

  it('nothing listens beyond loopback on the harness ports', () => {
    const ours = listeners().filter((l) => (HARNESS_PORTS as readonly number[]).includes(l.port))
    expect(ours.map((l) => l.port)).toEqual(expect.arrayContaining([3306, 4369, 5000, 5672, 9696, 9697, 25672]))
    const exposed = ours.filter((l) => !['127.0.0.1', '[::1]'].includes(l.host))
    expect(exposed.map((l) => l.line)).toEqual([])
  })

  it('cleanup deletes the router interface, the router, the subnets and the networks', async () => {
    const networks = [...made.networks]
    const routers = [...made.routers]
    expect(networks).toHaveLength(2)
    expect(await made.cleanup()).toEqual([])
    expect(made.dhcpLeftovers).toEqual([])
    for (const id of networks) await expect(neutron('GET', `/networks/${id}`)).rejects.toMatchObject({status: 404})
    for (const id of routers) await expect(neutron('GET', `/routers/${id}`)).rejects.toMatchObject({status: 404})
    const left = await neutron<{networks: {name: string}[]}>('GET', `/networks?name=qm-harness-isolated-${suffix}`)
    expect(left.networks).toEqual([])
    // Zed answers 200 with no agents (not 404) for a network that no longer exists
    expect(await dhcpAgents(networks[0])).toEqual([])
    // and the DHCP agent takes its namespaces, dnsmasq and haproxy down
    for (const id of networks) await waitForDhcpState(id, dhcpGone, 60_000)
  })
})
