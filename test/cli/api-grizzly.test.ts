// Grizzly's Keystone v2.0 and Quantum's {"QuantumError": "..."} bodies cannot come from a live server here
// (Keystone removed v2.0 in Queens; the lab's POST /v2.0/tokens answers 404). So this test replays them
// from a small HTTP server on 127.0.0.1. The bodies follow shared/reference/facts-by-release.md A7 (the
// v2.0 token request/response and the Grizzly error shape) and the seed transcript's subnet-create output
// (ids, tenant, the .1-.254 allocation pool); they are shaped after those records, not captured live.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const TENANT = '7c52af88d14b45ae87cfbe154d8c8638'
const PASSWORD = 'grizzly-secret-pw'
let server: Server
let base: string
const seen: {method: string; url: string; body: string; token?: string}[] = []

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = ''
    req.on('data', (d) => (b += d))
    req.on('end', () => resolve(b))
  })
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await body(req)
    seen.push({body: text, method: req.method!, token: req.headers['x-auth-token'] as string | undefined, url: req.url!})
    const send = (status: number, doc: unknown) => {
      res.writeHead(status, {'Content-Type': 'application/json'})
      res.end(JSON.stringify(doc))
    }
    if (req.method === 'POST' && req.url === '/v2.0/tokens') {
      const auth = JSON.parse(text).auth
      if (auth.passwordCredentials.password !== PASSWORD) return send(401, {error: {code: 401, message: 'Invalid user / password', title: 'Not Authorized'}})
      return send(200, {
        access: {
          serviceCatalog: [
            {endpoints: [{adminURL: `${base}:35357/v2.0`, publicURL: `${base}/v2.0`, region: 'RegionOne'}], name: 'keystone', type: 'identity'},
            {endpoints: [{adminURL: base, internalURL: base, publicURL: base, region: 'RegionOne'}], name: 'quantum', type: 'network'},
          ],
          token: {expires: '2013-06-02T17:47:00Z', id: 'grizzly-token-0123456789abcdef', tenant: {id: TENANT, name: 'demo'}},
          user: {id: 'u1', name: 'admin'},
        },
      })
    }
    if (req.headers['x-auth-token'] !== 'grizzly-token-0123456789abcdef') return send(401, {error: {message: 'unauthorized'}})
    if (req.method === 'GET' && req.url === '/v2.0/networks?name=net1') {
      return send(200, {networks: [{admin_state_up: true, id: NET, name: 'net1', shared: false, status: 'ACTIVE', subnets: [], tenant_id: TENANT}]})
    }
    if (req.method === 'GET' && req.url?.startsWith('/v2.0/networks?name=0000')) return send(200, {networks: []})
    if (req.method === 'GET' && req.url === '/v2.0/networks?name=twins') {
      return send(200, {
        networks: [
          {id: 'aaaaaaaa-0000-0000-0000-000000000001', name: 'twins'},
          {id: 'aaaaaaaa-0000-0000-0000-000000000002', name: 'twins'},
        ],
      })
    }
    if (req.method === 'POST' && req.url === '/v2.0/subnets') {
      const s = JSON.parse(text).subnet
      if (s.network_id !== NET) return send(404, {QuantumError: `Network ${s.network_id} could not be found`})
      if (s.cidr === '10.9.9.0/24') {
        return send(400, {
          QuantumError: `Invalid input for operation: Requested subnet with cidr: 10.9.9.0/24 for network: ${NET} overlaps with another subnet.`,
        })
      }
      return send(201, {
        subnet: {
          allocation_pools: [{start: '172.17.17.1', end: '172.17.17.254'}], // key order as the server sends it
          cidr: s.cidr,
          dns_nameservers: [],
          enable_dhcp: true,
          gateway_ip: null,
          host_routes: [],
          id: 'a507c135-12b9-419c-ab43-ecaa7ca57f83',
          ip_version: 4,
          name: s.name,
          network_id: s.network_id,
          tenant_id: TENANT,
        },
      })
    }
    return send(404, {QuantumError: 'Resource not found.'})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const env = () => ({OS_AUTH_URL: `${base}/v2.0`, OS_PASSWORD: PASSWORD, OS_TENANT_NAME: 'demo', OS_USERNAME: 'admin'})

describe('Grizzly: Keystone v2.0 and Quantum (replayed)', () => {
  it('creates the seed subnet by network name: v2.0 token, catalog publicURL + /v2.0, literal "gateway_ip": null', async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--name', 'sub1'], {env: env()})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    // the seed's Field/Value table
    expect(r.stdout).toMatch(/^Created a new subnet:\n/)
    expect(r.stdout).toContain('| allocation_pools | {"start": "172.17.17.1", "end": "172.17.17.254"} |\n')
    expect(r.stdout).toMatch(/^Created a new subnet:\n(\+-+\+-+\+)\n\| Field +\| Value +\|\n\1\n\| allocation_pools/)
    expect(r.stdout).toMatch(/\n\| gateway_ip +\| None +\|\n/)
    expect(r.stdout).toMatch(/\n\| id {15}\| a507c135-12b9-419c-ab43-ecaa7ca57f83 +\|\n/)
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v2.0/tokens', 'GET /v2.0/networks?name=net1', 'POST /v2.0/subnets', 'GET /v2.0/agents'])
    expect(JSON.parse(seen[0].body)).toEqual({auth: {passwordCredentials: {password: PASSWORD, username: 'admin'}, tenantName: 'demo'}})
    expect(seen[2].body).toContain('"gateway_ip":null')
    expect(JSON.parse(seen[2].body)).toEqual({
      subnet: {cidr: '172.17.17.0/24', enable_dhcp: true, gateway_ip: null, ip_version: 4, name: 'sub1', network_id: NET},
    })
  })

  it('the Field/Value table fits COLUMNS on a pipe (a long value wraps in its cell); --wide keeps each value on one line', async () => {
    const narrow = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--name', 'sub1'], {env: {...env(), COLUMNS: '50'}})
    expect(narrow.status, narrow.stderr).toBe(0)
    expect(narrow.stdout.split('\n').filter((l) => l.length > 50)).toEqual([])
    expect(narrow.stdout).toMatch(/^\| allocation_pools \| \{"start": "172\.17\.17\.1", +\|\n\| +\| "end": "172\.17\.17\.254"\} +\|$/m)
    expect(narrow.stdout).toMatch(/\n\| gateway_ip +\| None +\|\n/)
    const wide = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--name', 'sub1', '--wide'], {env: {...env(), COLUMNS: '50'}})
    expect(wide.stdout).toContain('| allocation_pools | {"start": "172.17.17.1", "end": "172.17.17.254"} |\n')
  })

  it("the openstack CLI's spelling: --network NET --subnet-range CIDR --gateway none NAME sends the same request", async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', '--network', 'net1', '--subnet-range', '172.17.17.0/24', '--gateway', 'none', 'sub1'], {env: env()})
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(seen[2].body)).toEqual({
      subnet: {cidr: '172.17.17.0/24', enable_dhcp: true, gateway_ip: null, ip_version: 4, name: 'sub1', network_id: NET},
    })
    // a gateway is what this command exists not to set
    const gw = await cliAsync(['subnet', 'create', '--network', 'net1', '--subnet-range', '172.17.17.0/24', '--gateway', '172.17.17.1'], {env: env()})
    expect([gw.status, gw.stderr]).toEqual([
      2,
      'quantum-meta: --gateway 172.17.17.1: this command creates subnets without a gateway (gateway_ip null): only --gateway none\n',
    ])
  })

  it('a range inside 169.254.0.0/16 is refused before any request, unless --force', async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', 'net1', '169.254.0.0/24'], {env: env()})
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/169\.254\.0\.0\/24 overlaps 169\.254\.0\.0\/16, .*: refused \(--force creates it anyway\)/)
    expect(seen).toEqual([])
    const forced = await cliAsync(['subnet', 'create', 'net1', '169.254.0.0/24', '--force'], {env: env()})
    expect(forced.stderr).toMatch(/^warning: 169\.254\.0\.0\/24 overlaps/)
    expect(seen.some((x) => x.method === 'POST' && x.url === '/v2.0/subnets')).toBe(true)
  })

  it('-f value -c id prints the bare id for scripts', async () => {
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '-f', 'value', '-c', 'id'], {env: env()})
    expect(r.stdout).toBe('a507c135-12b9-419c-ab43-ecaa7ca57f83\n')
  })

  it('a QuantumError overlap becomes one line with the HTTP status, exit 1', async () => {
    const r = await cliAsync(['subnet', 'create', 'net1', '10.9.9.0/24', '--json'], {env: env()})
    expect(r.status).toBe(1)
    expect(r.json.error.message).toBe(
      `creating a subnet on net1: HTTP 400: Invalid input for operation: Requested subnet with cidr: 10.9.9.0/24 for network: ${NET} overlaps with another subnet.`,
    )
  })

  it('a name that matches two networks is exit 2 listing them', async () => {
    const r = await cliAsync(['subnet', 'create', 'twins', '172.17.18.0/24'], {env: env()})
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/2 networks are named "twins": aaaaaaaa-0000-0000-0000-000000000001, aaaaaaaa-0000-0000-0000-000000000002/)
  })

  it('a wrong password is exit 3 and the password appears nowhere, --debug included', async () => {
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--debug'], {env: {...env(), OS_PASSWORD: 'not-the-password'}})
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/authentication failed at http:\/\/127\.0\.0\.1:\d+\/v2\.0\/tokens: HTTP 401 Invalid user \/ password/)
    expect(r.stdout + r.stderr).not.toContain('not-the-password')
    expect(r.stderr).toMatch(/debug: POST http:\/\/127\.0\.0\.1:\d+\/v2\.0\/tokens -> 401/)
  })

  it('by network id it is one POST after the token (then the agent list, for the ML2/OVN warning); an unknown id is exit 2 and nothing is created', async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', NET, '172.17.17.0/24', '--json'], {env: env()})
    expect(r.status).toBe(0)
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v2.0/tokens', 'POST /v2.0/subnets', 'GET /v2.0/agents'])
    const missing = '00000000-1111-4222-8333-444444444444'
    const m = await cliAsync(['subnet', 'create', missing, '172.17.17.0/24'], {env: env()})
    expect(m.status).toBe(2)
    expect(m.stderr).toBe(`quantum-meta: no network "${missing}" (neither an id nor a name the API knows)\n`)
  })

  it('bad local input is exit 2 before any request: a CIDR of the wrong version, a pool without end=', async () => {
    seen.length = 0
    const v6 = await cliAsync(['subnet', 'create', 'net1', '2001:db8::/64'], {env: env()})
    expect([v6.status, v6.stderr]).toEqual([2, 'quantum-meta: 2001:db8::/64 is an IPv6 range: add --ip-version 6\n'])
    const pool = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--allocation-pool', 'start=172.17.17.10'], {env: env()})
    expect([pool.status, pool.stderr]).toEqual([2, 'quantum-meta: --allocation-pool "start=172.17.17.10" lacks end=\n'])
    expect(seen).toEqual([])
  })

  it('--os-cloud through the built binary: clouds.yaml + secure.yaml with a v2.0 auth_url', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-cloud-'))
    try {
      writeFileSync(join(dir, 'clouds.yaml'), `clouds:\n  grizzly:\n    auth:\n      auth_url: ${base}/v2.0\n      username: admin\n      project_name: demo\n`)
      writeFileSync(join(dir, 'secure.yaml'), `clouds:\n  grizzly:\n    auth:\n      password: ${PASSWORD}\n`)
      seen.length = 0
      const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-cloud', 'grizzly', '-f', 'value', '-c', 'id'], {
        env: {OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'), OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml')},
      })
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('a507c135-12b9-419c-ab43-ecaa7ca57f83\n')
      expect(JSON.parse(seen[0].body)).toEqual({auth: {passwordCredentials: {password: PASSWORD, username: 'admin'}, tenantName: 'demo'}})
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('a token plus an endpoint skips Keystone', async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--json', '--os-token', 'grizzly-token-0123456789abcdef', '--os-endpoint', base], {
      env: {},
    })
    expect(r.status).toBe(0)
    expect(r.json.gateway_ip).toBeNull()
    expect(seen.map((s) => s.url)).toEqual(['/v2.0/networks?name=net1', '/v2.0/subnets', '/v2.0/agents'])
  })
})
