// `diagnose --server VM`, `--port PORT`, `--ip IP [--network NET]` through the built CLI (issue 19,
// item 3), against a Keystone v3 + Neutron + Nova stand-in on 127.0.0.1 answering each way a real,
// a broken or a hostile one does. The network is then judged from per-host snapshots derived from
// the real Zed node (test/helpers/fleet-snapshots.ts), so which host's leases hold the instance shows.
// On the real harness: test/openstack/instance.test.ts.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {LEASES, VM1} from '../helpers/affected-fleet.js'
import {cliAsync} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const NET = ZED_NET
const NET2 = 'a3f1c0de-5b6a-4c7d-8e9f-0a1b2c3d4e5f'
const SERVER = VM1.device
const SERVER_TWO_NETS = '22222222-3333-4444-8555-666666666666'
const TWIN_A = '33333333-4444-4555-8666-777777777777'
const TWIN_B = '44444444-5555-4666-8777-888888888888'
const port = (id: string, network: string, mac: string, ip: string, device: string, name: string, host = 'compute-1') => ({
  'binding:host_id': host,
  device_id: device,
  device_owner: 'compute:nova',
  fixed_ips: [{ip_address: ip, subnet_id: '854c9afb-0e81-49b1-934e-1c2e06a5f58e'}],
  id,
  mac_address: mac,
  name,
  network_id: network,
})
// the instance of the lease fixture (dnsmasq 2.90), then one with a port on each of two networks, then
// another instance holding the same address on the second network
const PA = port('cb23e312-84d0-4027-8dbf-932acebb37af', NET, VM1.mac, VM1.ip, SERVER, 'lab-vm1-port')
const PB1 = port('5e0c4c2a-1b7d-4c3e-9f00-000000000001', NET, 'fa:16:3e:00:00:b1', '198.51.100.77', SERVER_TWO_NETS, 'dup')
const PB2 = port('5e0c4c2a-1b7d-4c3e-9f00-000000000002', NET2, 'fa:16:3e:00:00:b2', '203.0.113.7', SERVER_TWO_NETS, 'dup')
const PC = port('5e0c4c2a-1b7d-4c3e-9f00-000000000003', NET2, 'fa:16:3e:00:00:c1', VM1.ip, TWIN_A, 'other')
const PORTS = [PA, PB1, PB2, PC]
const SERVERS = [
  {id: SERVER, name: 'lab-vm1'},
  {id: SERVER_TWO_NETS, name: 'two-nets'},
  {id: TWIN_A, name: 'twin'},
  {id: TWIN_B, name: 'twin'},
  {id: '55555555-6666-4777-8888-999999999999', name: 'lab-vm10'},
]

// several runs of the binary a test: minutes on a loaded 2-core machine, not the default 30 s
describe('diagnose --server/--port/--ip through the built CLI', {timeout: 240_000}, () => {
  let server: Server
  let base: string
  let dir: string
  let net1: string
  let net2: string
  const seen: string[] = []
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? ''
      seen.push(`${req.method} ${url}`)
      const [, scenario, ...rest] = url.split('/')
      const u = new URL(`/${rest.join('/')}`, 'http://x')
      const q = u.searchParams
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, {'content-type': 'application/json', ...headers}).end(typeof body === 'string' ? body : JSON.stringify(body))
      if (req.method === 'POST' && u.pathname === '/v3/auth/tokens') {
        const at = `${base}/${scenario}`
        const catalog = [
          {endpoints: [{interface: 'public', region_id: 'RegionOne', url: at}], type: 'network'},
          ...(scenario === 'nocompute' ? [] : [{endpoints: [{interface: 'public', region_id: 'RegionOne', url: `${at}/compute/v2.1`}], type: 'compute'}]),
        ]
        return json(201, {token: {catalog}}, {'x-subject-token': 'gAAAAAtoken'})
      }
      if (u.pathname === '/compute/v2.1/servers') {
        if (req.headers['x-auth-token'] !== 'gAAAAAtoken') return json(401, {error: {message: 'no token'}})
        if (scenario === 'notadmin' && q.get('all_tenants') === '1') return json(403, {forbidden: {code: 403, message: 'Policy does not allow all_tenants'}})
        // Nova applies the name as a regex
        const re = new RegExp(q.get('name') ?? '')
        return json(200, {servers: SERVERS.filter((s) => re.test(s.name)).map((s) => ({...s, links: []}))})
      }
      if (scenario === 'notlist') return json(200, {ports: {id: PA.id}})
      if (scenario === 'badnet') return json(200, {ports: [{...PA, network_id: '../../../etc'}]})
      if (scenario === 'huge') return json(200, `{"ports": [${`${JSON.stringify({...PA, id: '5e0c4c2a-1b7d-4c3e-9f00-000000000009'})},`.repeat(40_000)}{}]}`)
      if (u.pathname === '/v2.0/networks') return json(200, {networks: q.get('name') === 'second' ? [{id: NET2, name: 'second'}] : []})
      if (u.pathname.startsWith('/v2.0/ports/')) {
        const p = PORTS.find((x) => x.id === u.pathname.slice('/v2.0/ports/'.length))
        return p ? json(200, {port: p}) : json(404, {NeutronError: {message: `Port ${u.pathname.slice(12)} could not be found.`, type: 'PortNotFound'}})
      }
      if (u.pathname === '/v2.0/ports') {
        let ports: Record<string, unknown>[] = PORTS
        if (scenario === 'escapes') ports = [{...PA, 'binding:host_id': '\u001b]0;pwned\u0007\u001b[31mcompute-1\u001b[0m'}]
        const fixed = q.get('fixed_ips')
        if (q.has('device_id')) ports = ports.filter((p) => p.device_id === q.get('device_id'))
        if (q.has('name')) ports = ports.filter((p) => p.name === q.get('name'))
        if (fixed) ports = ports.filter((p) => `ip_address=${(p.fixed_ips as {ip_address: string}[])[0].ip_address}` === fixed)
        if (q.has('network_id')) ports = ports.filter((p) => p.network_id === q.get('network_id'))
        return json(200, {ports})
      }
      json(404, {NeutronError: {message: 'The resource could not be found.'}})
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    dir = mkdtempSync(join(tmpdir(), 'qm-instance-'))
    // net1 handed the instance its lease; net2 holds a leases file without it
    net1 = join(dir, 'net1.json')
    net2 = join(dir, 'net2.json')
    writeFileSync(net1, JSON.stringify(hostSnapshot({host: 'net1', ip: '198.51.100.1', leases: LEASES})))
    writeFileSync(net2, JSON.stringify(hostSnapshot({host: 'net2', ip: '198.51.100.2', leases: ''})))
  })
  afterAll(async () => {
    rmSync(dir, {force: true, recursive: true})
    await new Promise<void>((r) => server.close(() => r()))
  })

  /** the neutron stand-in without Keystone (auth none) */
  const noauth = (scenario: string, args: string[]) =>
    cliAsync(['diagnose', ...args, '--os-auth-type', 'none', '--os-endpoint', `${base}/${scenario}`], {env: {OS_CLOUD: ''}})
  /** through Keystone v3: the catalog names Neutron and (unless `nocompute`) Nova */
  const keystone = (scenario: string, args: string[]) =>
    cliAsync(['diagnose', ...args], {
      env: {
        OS_AUTH_URL: `${base}/${scenario}/v3`,
        OS_CLOUD: '',
        OS_PASSWORD: 'secret',
        OS_PROJECT_NAME: 'admin',
        OS_USERNAME: 'admin',
      },
    })
  const both = () => ['--snapshot', net1, '--snapshot', net2]

  it('--port ID: its network judged on both hosts; the instance marked, the host whose leases hold its MAC named with the line', async () => {
    const r = await noauth('ok', ['--port', PA.id, ...both(), '--json'])
    expect(r.stderr).toBe('')
    expect(r.status, r.stdout).toBe(0)
    expect(r.json.network).toBe(NET)
    expect(r.json.instance).toEqual({
      host: 'compute-1',
      ip: VM1.ip,
      lease: [{host: 'net1', line: '1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3'}],
      mac: VM1.mac,
      network: NET,
      port: PA.id,
      server: SERVER,
    })
    // the table: the line under the heading, and the hosts' rows as without --port
    const t = await noauth('ok', ['--port', PA.id, ...both(), '--wide'])
    expect(t.status).toBe(0)
    expect(t.stderr).toBe(`port "${PA.id}": port ${PA.id} on network ${NET}, bound to compute-1\n`)
    expect(t.stdout.split('\n').slice(0, 2)).toEqual([
      `network ${NET} on 2 hosts`,
      `instance: port ${PA.id}, server ${SERVER}, ${VM1.ip}, ${VM1.mac}, bound to compute-1; leased on net1: 1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3`,
    ])
  })

  it('--report FILE.md and FILE.html: the instance in the head, with its lease', async () => {
    const md = join(dir, 'ticket.md')
    const html = join(dir, 'ticket.html')
    const r = await noauth('ok', ['--port', PA.id, ...both(), '--report', md, '--json'])
    expect(r.status).toBe(0)
    const lease = 'leased on net1: 1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3'
    expect(readFileSync(md, 'utf8')).toContain(`\n- instance: port ${PA.id}, server ${SERVER}, ${VM1.ip}, ${VM1.mac}, bound to compute-1; ${lease}\n`)
    const h = await noauth('escapes', ['--port', 'lab-vm1-port', '--snapshot', net1, '--report', html])
    expect(h.status).toBe(0)
    const page = readFileSync(html, 'utf8')
    expect(page).toContain(`<dt>instance</dt><dd>port ${PA.id}, server ${SERVER}, ${VM1.ip}, ${VM1.mac}, bound to compute-1; ${lease}</dd>`)
    expect(page).not.toMatch(/[\u001b\u0007]/)
  })

  it('--port NAME with one snapshot: the one host; its leases file not holding the MAC is said so', async () => {
    const r = await noauth('ok', ['--port', 'lab-vm1-port', '--snapshot', net2, '--json'])
    expect(r.status).toBe(0)
    expect(r.json.host).toBe('net2')
    expect(r.json.instance.lease).toEqual([])
    expect(seen).toContain('GET /ok/v2.0/ports?name=lab-vm1-port')
    const t = await noauth('ok', ['--port', 'lab-vm1-port', '--snapshot', net2, '--wide'])
    expect(t.stdout.split('\n')[1]).toBe(
      `instance: port ${PA.id}, server ${SERVER}, ${VM1.ip}, ${VM1.mac}, bound to compute-1; no DHCP lease of ${VM1.mac} in the leases file`,
    )
  })

  it('--server ID: its ports by device_id; ports on two networks are exit 2 listing them, --network (a name) picks one', async () => {
    const one = await noauth('ok', ['--server', SERVER, ...both(), '--json'])
    expect([one.status, one.json.instance.port]).toEqual([0, PA.id])
    expect(seen).toContain(`GET /ok/v2.0/ports?device_id=${SERVER}`)
    const two = await noauth('ok', ['--server', SERVER_TWO_NETS, ...both()])
    expect(two.status).toBe(2)
    expect(two.stderr).toBe(
      `quantum-meta: server ${SERVER_TWO_NETS} has ports on 2 networks: port ${PB1.id} on network ${NET} (198.51.100.77) and port ${PB2.id} on network ${NET2} (203.0.113.7); give --network NET (one of them)\n`,
    )
    expect(two.stdout).toBe('')
    // the snapshots hold NET only: asking for the second network's port says so (exit 2), after the lookup
    const picked = await noauth('ok', ['--server', SERVER_TWO_NETS, '--network', 'second', '--snapshot', net1, '--json'])
    expect(seen).toContain(`GET /ok/v2.0/ports?device_id=${SERVER_TWO_NETS}&network_id=${NET2}`)
    expect(picked.status).toBe(2)
    expect(picked.json.error.message).toContain(NET2)
    const first = await noauth('ok', ['--server', SERVER_TWO_NETS, '--network', NET, '--snapshot', net1, '--json'])
    expect([first.status, first.json.instance.port, first.json.instance.lease]).toEqual([0, PB1.id, []])
  })

  it('--server NAME: Nova from the catalog, the name anchored and escaped; none, ambiguous, no compute endpoint or no Keystone: exit 2 in one line', async () => {
    const r = await keystone('ok', ['--server', 'lab-vm1', '--snapshot', net1, '--json'])
    expect(r.stderr).toBe('')
    expect([r.status, r.json.instance.server]).toEqual([0, SERVER])
    // ^lab-vm1$ (not lab-vm10), every project's (all_tenants), URL-encoded
    expect(seen).toContain(`GET /ok/compute/v2.1/servers?name=${encodeURIComponent('^lab-vm1$')}&all_tenants=1`)
    const twins = await keystone('ok', ['--server', 'twin', '--snapshot', net1])
    expect([twins.status, twins.stderr]).toEqual([2, `quantum-meta: 2 servers are named "twin": ${TWIN_A} and ${TWIN_B}; give the id\n`])
    const none = await keystone('ok', ['--server', 'lab.vm1', '--snapshot', net1])
    expect([none.status, none.stderr]).toEqual([2, 'quantum-meta: Nova lists no server named "lab.vm1"\n'])
    expect(seen).toContain(`GET /ok/compute/v2.1/servers?name=${encodeURIComponent('^lab\\.vm1$')}&all_tenants=1`)
    // a user who may not list every project's servers sees their own
    const own = await keystone('notadmin', ['--server', 'lab-vm1', '--snapshot', net1, '--json'])
    expect([own.status, own.json?.instance.server]).toEqual([0, SERVER])
    const noCompute = await keystone('nocompute', ['--server', 'lab-vm1', '--snapshot', net1])
    expect([noCompute.status, noCompute.stderr]).toEqual([
      2,
      'quantum-meta: --server "lab-vm1": a server\'s name is looked up in Nova, and the Keystone catalog has no "compute" service: give the server\'s id (openstack server show NAME -c id)\n',
    ])
    const noKeystone = await noauth('ok', ['--server', 'lab-vm1', '--snapshot', net1])
    expect(noKeystone.status).toBe(2)
    expect(noKeystone.stderr).toMatch(
      /^quantum-meta: --server "lab-vm1": a server's name is looked up in Nova, and the Keystone catalog is not read .*: give the server's id/,
    )
  })

  it('--ip: ports on two networks holding it are exit 2 listing them; --network picks; an address nobody holds is exit 2', async () => {
    const two = await noauth('ok', ['--ip', VM1.ip, ...both()])
    expect(two.status).toBe(2)
    expect(two.stderr).toBe(
      `quantum-meta: address ${VM1.ip} has ports on 2 networks: port ${PA.id} on network ${NET} (${VM1.ip}) and port ${PC.id} on network ${NET2} (${VM1.ip}); give --network NET (one of them)\n`,
    )
    // the address URL-encoded in the query (ip_address=IP as one value)
    expect(seen).toContain(`GET /ok/v2.0/ports?fixed_ips=ip_address%3D${VM1.ip}`)
    const one = await noauth('ok', ['--ip', VM1.ip, '--network', NET, ...both(), '--json'])
    expect([one.status, one.json.instance.port, one.json.instance.lease[0].host]).toEqual([0, PA.id, 'net1'])
    const none = await noauth('ok', ['--ip', '198.51.100.250', ...both()])
    expect([none.status, none.stderr]).toEqual([2, 'quantum-meta: no port holds 198.51.100.250\n'])
    const unknownPort = await noauth('ok', ['--port', '99999999-9999-4999-8999-999999999999', ...both()])
    expect(unknownPort.status).toBe(2)
    expect(unknownPort.stderr).toMatch(
      /^quantum-meta: port "99999999-9999-4999-8999-999999999999": HTTP 404: PortNotFound: Port 9{8}-\S+ could not be found\.\n$/,
    )
  })

  it('a hostile name goes only into a query, encoded; hostile answers are exit 3 in one line; escapes never printed', async () => {
    const name = 'x&network_id=y/../../networks?#'
    const r = await noauth('ok', ['--port', name, ...both()])
    expect([r.status, r.stderr]).toEqual([2, `quantum-meta: no port named "${name}"\n`])
    expect(seen).toContain(`GET /ok/v2.0/ports?name=${encodeURIComponent(name)}`)
    for (const [scenario, message] of [
      ['notlist', /^quantum-meta: ports holding 198\.51\.100\.149: the answer has no "ports" list \(a JSON object\)\n$/],
      ['badnet', /^quantum-meta: address 198\.51\.100\.149: the API answered port cb23e312-\S+ whose network_id is not a UUID: "\.\.\/\.\.\/\.\.\/etc"\n$/],
      [
        'huge',
        /^quantum-meta: GET http:\/\/127\.0\.0\.1:\d+\/huge\/v2\.0\/ports\?fixed_ips=\S+ answered HTTP 200 but its body passed the 8 MB limit: stopped reading\n$/,
      ],
    ] as const) {
      const h = await noauth(scenario, ['--ip', VM1.ip, ...both()])
      expect([scenario, h.status], h.stderr).toEqual([scenario, 3])
      expect(h.stderr).toMatch(message)
      expect(h.stdout).toBe('')
    }
    const esc = await noauth('escapes', ['--port', 'lab-vm1-port', '--snapshot', net1, '--wide'])
    expect(esc.status).toBe(0)
    expect(esc.stdout + esc.stderr).not.toMatch(/[\u001b\u0007]/)
    expect(esc.stdout).toContain(`${VM1.mac}, bound to compute-1; leased on net1: `)
  })

  it('the flag rules: exit 2, one line, before anything is asked', async () => {
    const before = seen.length
    const cases: [string[], string][] = [
      [['--server', 'a', '--port', 'b'], 'give one of --server, --port and --ip: each names the instance (--server and --port given)'],
      [[NET, '--port', PA.id], `--port finds the network through the instance's port: drop the network id "${NET}" (--network NET picks one of its networks)`],
      [['--all', '--ip', VM1.ip], '--ip names one instance: drop --all'],
      [['--port', PA.id, '--network', NET], '--port names its network already: drop --network'],
      [['--network', NET], '--network picks the network of --server or --ip: give one of them (a network alone is the argument: diagnose NET)'],
      [['--server', SERVER, '--no-api'], "--server asks the API for the instance's port: drop --no-api"],
      [['--ip', '198.51.100.300'], '--ip "198.51.100.300": not an IPv4 or IPv6 address (the instance\'s)'],
    ]
    for (const [args, message] of cases) {
      const r = await noauth('ok', args)
      expect([args.join(' '), r.status, r.stderr]).toEqual([args.join(' '), 2, `quantum-meta: ${message}\n`])
    }
    expect(seen.length).toBe(before)
    const bare = await cliAsync(['diagnose', '--server', SERVER], {
      env: {OS_AUTH_URL: '', OS_CLOUD: '', OS_ENDPOINT: '', OS_TOKEN: '', OS_URL: ''},
    })
    expect([bare.status, bare.stderr]).toEqual([
      2,
      "quantum-meta: --server asks the API for the instance's port, which needs credentials (OS_CLOUD / --os-cloud, or OS_AUTH_URL and the rest)\n",
    ])
  })
})
