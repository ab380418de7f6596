/**
 * subnet create and diagnose's API checks against a real neutron-server, DHCP agent and Keystone
 * from Debian's packages (scripts/harness/openstack/up.sh, all on 127.0.0.1). Skipped with a message when
 * the harness is not up (the README's test command starts it as root).
 */
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {
  ADMIN,
  Created,
  DHCP_AGENT_INI,
  KEYSTONE_URL,
  NEUTRON_STATE_PATH,
  NEUTRON_URL,
  NOAUTH_URL,
  dhcpReady,
  neutron,
  openstackEnv,
  ready,
  token,
  waitForDhcpState,
} from './env.js'

let up = false
let why = ''
const created = new Created()
const tag = Math.random().toString(16).slice(2, 8)
/** OS_* cleared, so that only what a test passes counts */
const NO_OS = {OS_AUTH_URL: '', OS_CLOUD: '', OS_ENDPOINT: '', OS_PASSWORD: '', OS_TOKEN: '', OS_URL: '', OS_USERNAME: ''}

beforeAll(async () => {
  up = process.getuid?.() === 0 && (await ready((r) => (why = r)))
  if (!up) console.warn(`openstack suite skipped: ${why || 'not root'} (scripts/harness/openstack/up.sh starts the harness)`)
})
afterAll(async () => {
  if (up) expect(await created.cleanup()).toEqual([])
})

/** a third octet per test, so that subnets never overlap between tests or runs */
let octet = Math.floor(Math.random() * 200)
const cidr = () => `10.${(octet = (octet + 1) % 250)}.${Math.floor(Math.random() * 250)}.0/24`

const sub = (args: string[], env: NodeJS.ProcessEnv = openstackEnv()) => cliAsync(['subnet', 'create', ...args], {env: {...NO_OS, ...env}})

describe('subnet create against real Neutron + Keystone v3', () => {
  it('by network name: the table, and the server really stored gateway_ip null', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-a`)
    const range = cidr()
    const r = await sub([net.name, range, '--name', `s-${tag}`])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Created a new subnet:\n/)
    expect(r.stdout).toMatch(/\n\| gateway_ip +\| None +\|\n/)
    const id = /\n\| id +\| ([0-9a-f-]{36}) +\|/.exec(r.stdout)![1]
    created.subnets.push(id)
    const stored = (await neutron<{subnet: {gateway_ip: string | null; cidr: string; network_id: string}}>('GET', `/subnets/${id}`)).subnet
    expect(stored).toMatchObject({cidr: range, gateway_ip: null, network_id: net.id})
  })

  it('by network id, -f value -c id for scripts', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-b`)
    const r = await sub([net.id, cidr(), '-f', 'value', '-c', 'id'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^[0-9a-f-]{36}\n$/)
    created.subnets.push(r.stdout.trim())
  })

  it('an overlapping range is refused by the server: exit 1 with its message', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-c`)
    const range = cidr()
    const first = await sub([net.id, range, '--json'])
    expect(first.status).toBe(0)
    created.subnets.push(first.json.id)
    const again = await sub([net.id, range, '--json'])
    expect(again.status).toBe(1)
    expect(again.json.error.message).toMatch(/HTTP (400|409): .*overlaps with another subnet/)
  })

  it('an unknown network is exit 2, and nothing is created', async (ctx) => {
    if (!up) return ctx.skip()
    const r = await sub(['0d9c0a2e-0000-4000-8000-000000000000', cidr()])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/no network "0d9c0a2e-0000-4000-8000-000000000000"/)
  })

  it('a wrong password is exit 3 and no password appears anywhere, --debug included', async (ctx) => {
    if (!up) return ctx.skip()
    const r = await sub(['whatever', cidr(), '--debug'], openstackEnv({OS_PASSWORD: 'wrong-pass-4711'}))
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/authentication failed at http:\/\/127\.0\.0\.1:5000\/v3\/auth\/tokens: HTTP 401/)
    for (const secret of ['wrong-pass-4711', ADMIN.password]) expect(r.stdout + r.stderr).not.toContain(secret)
  })

  it('a token plus an endpoint skips Keystone; the token is never printed', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-d`)
    const tok = await token()
    const r = await sub([net.id, cidr(), '--json', '--debug'], {OS_ENDPOINT: NEUTRON_URL, OS_TOKEN: tok})
    expect(r.status).toBe(0)
    created.subnets.push(r.json.id)
    expect(r.json.gateway_ip).toBeNull()
    expect(r.stderr).not.toContain(tok)
    expect(r.stderr).not.toMatch(/5000/) // Keystone was not asked
  })

  it('--os-cloud reads clouds.yaml and secure.yaml', async (ctx) => {
    if (!up) return ctx.skip()
    const dir = mkdtempSync(join(tmpdir(), 'qm-cloud-'))
    try {
      writeFileSync(
        join(dir, 'clouds.yaml'),
        `clouds:\n  harness:\n    auth:\n      auth_url: ${KEYSTONE_URL}\n      username: ${ADMIN.username}\n      project_name: ${ADMIN.projectName}\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: public\n`,
      )
      writeFileSync(join(dir, 'secure.yaml'), `clouds:\n  harness:\n    auth:\n      password: ${ADMIN.password}\n`)
      const net = await created.network(`qm-sub-${tag}-e`)
      const r = await sub([net.id, cidr(), '--os-cloud', 'harness', '--json'], {
        OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml'),
        OS_CLIENT_SECURE_FILE: join(dir, 'secure.yaml'),
      })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      created.subnets.push(r.json.id)
      expect(r.json.gateway_ip).toBeNull()
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('noauth: --os-auth-type none --os-endpoint talks to the noauth server', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-f`)
    const r = await sub([net.id, cidr(), '--os-auth-type', 'none', '--os-endpoint', NOAUTH_URL, '--json'], {})
    expect(r.status).toBe(0)
    created.subnets.push(r.json.id)
    expect(r.json.gateway_ip).toBeNull()
  })

  it('--wait returns once the real DHCP agent has written the metadata route into opts', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-g`)
    const r = await sub([net.id, cidr(), '--json', '--wait', '--wait-timeout', '120', '--config-file', DHCP_AGENT_INI, '--state-path', NEUTRON_STATE_PATH])
    expect(r.status).toBe(0)
    created.subnets.push(r.json.id)
    expect(r.stderr).toMatch(/metadata route in place: 169\.254\.169\.254\/32 via 10\.\d+\.\d+\.\d+ on tag subnet-/)
  })

  it('--wait that times out is exit 1 naming the opts finding; the subnet is created all the same', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-sub-${tag}-t`)
    // a state path the agent does not write: its opts never appears there
    const empty = mkdtempSync(join(tmpdir(), 'qm-wait-'))
    try {
      const r = await sub([net.id, cidr(), '--json', '--wait', '--wait-timeout', '2', '--config-file', DHCP_AGENT_INI, '--state-path', empty])
      if (r.json?.id) created.subnets.push(r.json.id)
      expect(r.status).toBe(1)
      expect(r.json).toMatchObject({gateway_ip: null, network_id: net.id})
      expect(r.stderr).toMatch(new RegExp(`^waiting up to 2 s for the metadata route in ${empty}/dhcp/${net.id}/opts`, 'm'))
      expect(r.stderr).toMatch(/^timed out after 2 s: opts\.metadata-route: /m)
    } finally {
      rmSync(empty, {force: true, recursive: true})
    }
  })
})

describe('diagnose API checks against real Neutron', () => {
  const diag = (net: string) =>
    cliAsync(['diagnose', net, '--config-file', DHCP_AGENT_INI, '--state-path', NEUTRON_STATE_PATH, '--json'], {env: {...NO_OS, ...openstackEnv()}})
  const find = (json: {findings: {id: string; status: string; summary: string}[]}, id: string) => json.findings.find((f) => f.id === id)!
  const failing = (json: {findings: {id: string; status: string; summary: string}[]}) =>
    json.findings.filter((f) => f.status === 'fail').map((f) => `${f.id}: ${f.summary}`)
  /**
   * diagnose once the agent has settled: it applies a change in steps (opts, then a dnsmasq restart
   * for a new range, then the proxy), and a run in between rightly sees a link half-made. Retried
   * for up to 30 s while it fails; the last run is returned, so a lasting failure still shows.
   */
  const diagSettled = async (net: string) => {
    const t0 = Date.now()
    let r = await diag(net)
    while (r.status === 1 && Date.now() - t0 < 30_000) {
      console.log(`network ${net}: not settled after ${Date.now() - t0} ms: ${failing(r.json).join(' | ')}`)
      await new Promise((res) => setTimeout(res, 500))
      r = await diag(net)
    }
    return r
  }

  it('an isolated network hosted here: every api check passes', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-diag-${tag}-a`)
    await created.subnet(net.id, cidr(), {gateway: null})
    await waitForDhcpState(net.id, dhcpReady(true), 120_000)
    const r = await diagSettled(net.id)
    expect(failing(r.json)).toEqual([])
    for (const id of ['api.network', 'api.subnet-isolated', 'api.dhcp-agents', 'api.dhcp-port']) expect(find(r.json, id)).toMatchObject({status: 'pass'})
    expect(find(r.json, 'api.dhcp-agents').summary).toMatch(/hosted by the live DHCP agent on qm-ci-host/)
    // the real metadata agent's config: its socket is where haproxy forwards; its secret
    // (scripts/harness/openstack/up.sh: METADATA_SECRET) appears neither in diagnose nor in a snapshot
    expect(find(r.json, 'metadata-agent.config')).toMatchObject({status: 'pass'})
    expect(find(r.json, 'config.agent-restarted').summary).toMatch(
      new RegExp(`^neutron-dhcp-agent \\(pid \\d+\\) reads ${DHCP_AGENT_INI.replaceAll('.', '\\.')}`),
    )
    const snap = await cliAsync(['collect', net.id, '--config-file', DHCP_AGENT_INI, '--state-path', NEUTRON_STATE_PATH], {env: {...NO_OS, ...openstackEnv()}})
    expect(snap.status).toBe(0)
    expect(snap.stdout).toContain('metadata_proxy_shared_secret = <redacted>')
    for (const out of [r.stdout, r.stderr, snap.stdout, snap.stderr]) expect(out).not.toContain('qmmetadatasecret')
    // Without --config-file/--state-path the tool reads Debian's defaults (/etc/neutron,
    // /var/lib/neutron): on this machine those are the packages' untouched files, not the harness's
    // (it keeps its own paths so that it can never change a real node's). Finding the layout by
    // itself is covered where a node's /etc/neutron is private to it: the integration and fleet rigs.
  })

  it('two gateway-less subnets on one network: each gets its own route via its own DHCP address', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-diag-${tag}-m`)
    for (const range of [cidr(), cidr()]) await created.subnet(net.id, range, {gateway: null})
    await waitForDhcpState(net.id, dhcpReady(true), 120_000)
    // the agent rewrites opts as each subnet arrives: wait for both 121 lines
    const opts = join(NEUTRON_STATE_PATH, 'dhcp', net.id, 'opts')
    const routes = () =>
      existsSync(opts)
        ? readFileSync(opts, 'utf8')
            .split('\n')
            .filter((l) => l.includes('classless-static-route,')).length
        : 0
    for (const t0 = Date.now(); routes() < 2 && Date.now() - t0 < 60_000; ) await new Promise((r) => setTimeout(r, 200))
    const r = await diagSettled(net.id)
    expect(failing(r.json)).toEqual([])
    expect(r.status).toBe(0)
    const f = find(r.json, 'opts.metadata-route')
    expect(f).toMatchObject({status: 'pass'})
    expect(f.summary).toMatch(/^169\.254\.169\.254\/32 on each of 2 subnets: via 10\.\d+\.\d+\.\d+ on tag subnet-.*; 10\.\d+\.\d+\.\d+ on tag subnet-/)
  })

  it('a router interface holding the gateway: api.subnet-isolated fails (the router serves metadata)', async (ctx) => {
    if (!up) return ctx.skip()
    const net = await created.network(`qm-diag-${tag}-b`)
    const range = cidr()
    const gw = range.replace(/0\/24$/, '1')
    const s = await created.subnet(net.id, range, {gateway: gw})
    const router = await created.router(`qm-diag-${tag}-r`)
    await created.routerInterface(router.id, s.id)
    await waitForDhcpState(net.id, (st) => st.namespace && st.dnsmasq !== null, 120_000)
    // the agent rewrites opts once it sees the router port: the route then goes via the gateway
    const opts = join(NEUTRON_STATE_PATH, 'dhcp', net.id, 'opts')
    const viaGateway = () => existsSync(opts) && readFileSync(opts, 'utf8').includes(`169.254.169.254/32,${gw}`)
    // ...and drops the network's haproxy and its pid file right after
    const proxyGone = () => !existsSync(join(NEUTRON_STATE_PATH, 'external', 'pids', `${net.id}.pid.haproxy`))
    for (const t0 = Date.now(); !(viaGateway() && proxyGone()) && Date.now() - t0 < 60_000; ) await new Promise((r) => setTimeout(r, 200))
    const r = await diag(net.id)
    expect(r.status).toBe(1)
    const f = find(r.json, 'api.subnet-isolated')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/a router holds the gateway of every DHCP subnet/)
    // the node-side reading agrees, and does not call the opts stale
    expect(find(r.json, 'opts.metadata-route').summary).toMatch(new RegExp(`goes via the subnet gateway ${gw.replaceAll('.', '\\.')}: a router holds it`))
    // and the proxy the agent dropped is no second broken link
    expect(find(r.json, 'proxy.running')).toMatchObject({status: 'skip'})
    expect(find(r.json, 'proxy.running').summary).toMatch(/^no metadata proxy, as expected/)
  })
})
