/**
 * The three ways the seed (../shared/seeds/004_*.txt) says Quantum/Neutron serves metadata, each on
 * the harness's real agents, each diagnosed through the built binary (bin/run.js, no --backend: the
 * chain is told from the node, as an operator on the node runs it):
 *
 *   routed            a network with a router: the L3 agent's qrouter namespace redirects
 *                     169.254.169.254:80 to the router's haproxy (the l3-agent chain)
 *   isolated          a network without a gateway: the DHCP agent's option 121 routes
 *                     169.254.169.254 to its port, whose haproxy answers (the dhcp-agent chain)
 *   metadata network  enable_metadata_network = True (dhcp_agent.ini), enable_metadata_proxy = False
 *                     (l3_agent.ini): a 169.254.0.0/16 network joined to the router; the router
 *                     routes 169.254.169.254 to it, where the DHCP agent's haproxy keyed by the
 *                     router (X-Neutron-Router-ID) answers in its qdhcp namespace
 *
 * The truth is the instance namespace's curl of 169.254.169.254 (from inside it only). Diagnose must
 * agree: exit 0 when the curl gets 200, exit 1 naming the broken link when it does not (the proxy
 * killed). The root namespace's addresses, routes, rules and listeners are the same before and after.
 * Every 169.254.* address lives inside the qdhcp/qrouter namespaces the agents make.
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh); skipped otherwise. The
 * metadata-network part changes dhcp_agent.ini and l3_agent.ini under /etc/qm-openstack and restarts
 * those two agents; afterAll puts both back and restarts them again.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {
  Created,
  DHCP_AGENT_HOST,
  DHCP_AGENT_INI,
  L3_AGENT_INI,
  NEUTRON_STATE_PATH,
  UP_SCRIPT,
  dhcpReady,
  neutron,
  openstackEnv,
  ready,
  waitForDhcpState,
} from './env.js'
import {type Instance, harnessUp, makeInstance, makeRoutedNetwork, rootNamespaceState, until, waitForTruth} from './l3.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('seed-modes test skipped: it needs root')
else if (!up) console.warn(`seed-modes test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

const LONG = 600_000

interface Finding {
  id: string
  status: 'pass' | 'warn' | 'fail' | 'skip' | 'not-judged'
  summary: string
  fix?: unknown
}
interface Report {
  network: string
  backend: string
  findings: Finding[]
}

/** the harness's paths are not Debian's: an operator on this node names its state path and the agents' host */
const NODE_FLAGS = ['--state-path', NEUTRON_STATE_PATH, '--agent-host', DHCP_AGENT_HOST]
const CAPTURE = process.env.QM_CAPTURE_SEED_SNAPSHOTS

/** bin/run.js diagnose NET --json (no --backend: the chain is told from the node), as root with the admin's credentials */
async function diagnose(network: string, ...flags: string[]): Promise<{status: number | null; report: Report}> {
  const r = await cliAsync(['diagnose', network, '--json', ...NODE_FLAGS, ...flags], {env: openstackEnv()})
  if (!r.json) throw new Error(`diagnose exited ${r.status} without JSON: ${r.stderr}${r.stdout.slice(0, 2000)}`)
  const report = r.json as Report
  console.info(
    `diagnose ${network} ${flags.join(' ')}: exit ${r.status}, backend ${report.backend}\n  ${
      report.findings
        .filter((f) => f.status !== 'pass')
        .map((f) => `${f.id} ${f.status}: ${f.summary}`)
        .join('\n  ') || 'every link passes'
    }`,
  )
  return {report, status: r.status}
}
const firstBroken = (r: Report) => r.findings.find((f) => f.status === 'fail')
const finding = (r: Report, id: string) => r.findings.find((f) => f.id === id)

/** with QM_CAPTURE_SEED_SNAPSHOTS=DIR: `collect NET -o DIR/NAME.json` (test/fixtures/seed-modes/, SOURCES.md) */
async function capture(network: string, name: string): Promise<void> {
  if (!CAPTURE) return
  const r = await cliAsync(['collect', network, '-o', `${CAPTURE}/${name}.json`, ...NODE_FLAGS], {env: openstackEnv()})
  if (r.status !== 0) throw new Error(`collect ${name}: exit ${r.status}: ${r.stderr}`)
}

const ini = (file: string, key: string, value: string) => execFileSync('crudini', ['--set', file, 'DEFAULT', key, value])
const iniGet = (file: string, key: string) => {
  try {
    return execFileSync('crudini', ['--get', file, 'DEFAULT', key], {encoding: 'utf8'}).trim()
  } catch {
    return undefined
  }
}
const livePid = (file: string): number | null => {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy' ? pid : null
  } catch {
    return null
  }
}
/** what up.sh writes the first time (it keeps what it finds later): the routed and isolated modes */
const HARNESS_DEFAULTS = {l3Proxy: 'True', mdnet: 'False'}
const proxyPidFile = (key: string) => `${NEUTRON_STATE_PATH}/external/pids/${key}.pid.haproxy`

describe.skipIf(!up)("the seed's three modes on the real agents, each diagnosed through the binary", () => {
  const suffix = randomBytes(3).toString('hex')
  let rootBefore = ''
  // each mode cleans up what it made before the next one starts: a router deleted while the L3 agent
  // runs with enable_metadata_proxy = False would leave its haproxy behind
  const made: Created[] = []
  const instances: Instance[] = []
  const cleanup = async () => {
    for (const vm of instances.splice(0)) await vm.remove().catch((error) => console.warn(`instance: ${error}`))
    for (const m of made.splice(0)) {
      const errors = await m.cleanup()
      if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
    }
  }

  beforeAll(async () => {
    rootBefore = await rootNamespaceState()
    // the routed and isolated modes on the harness's own settings (a failed run may have left others)
    const found = {l3Proxy: iniGet(L3_AGENT_INI, 'enable_metadata_proxy'), mdnet: iniGet(DHCP_AGENT_INI, 'enable_metadata_network')}
    if (found.l3Proxy !== HARNESS_DEFAULTS.l3Proxy || found.mdnet !== HARNESS_DEFAULTS.mdnet) {
      console.warn(`putting the harness's settings back first (found ${JSON.stringify(found)})`)
      ini(DHCP_AGENT_INI, 'enable_metadata_network', HARNESS_DEFAULTS.mdnet)
      ini(L3_AGENT_INI, 'enable_metadata_proxy', HARNESS_DEFAULTS.l3Proxy)
      await harnessUp()
    }
  }, LONG)

  afterAll(async () => {
    // resources first, while the DHCP agent still knows the metadata network's router-keyed proxy
    await cleanup()
    ini(DHCP_AGENT_INI, 'enable_metadata_network', HARNESS_DEFAULTS.mdnet)
    ini(L3_AGENT_INI, 'enable_metadata_proxy', HARNESS_DEFAULTS.l3Proxy)
    // up.sh restarts the agents whose config changed
    await harnessUp().catch((error) => console.warn(`up.sh after the seed-modes test: ${error}`))
    expect(await rootNamespaceState()).toBe(rootBefore)
  }, LONG)

  it(
    'routed (the L3 agent): the curl gets 200 through the router; diagnose picks the router chain and exits 0',
    async () => {
      const m = new Created()
      made.push(m)
      const net = await makeRoutedNetwork(m, `qm-seed-r-${suffix}`, '203.0.113.0/24')
      const vm = await makeInstance(net.network.id, `seed-r-${suffix}`)
      instances.push(vm)
      const t = await waitForTruth(vm, '200', 30_000)
      expect(t.word).toBe('200')
      expect(t.detail).toBe(vm.instanceId)
      const d = await diagnose(net.network.id)
      expect(d.report.backend).toBe('l3-agent')
      expect(finding(d.report, 'l3.router')?.summary).toContain(`router ${net.router.id} serves this network`)
      expect(firstBroken(d.report)).toBeUndefined()
      expect(d.status).toBe(0)
      await cleanup()
    },
    LONG,
  )

  it(
    'isolated (the DHCP agent, enable_isolated_metadata): the curl gets 200 through option 121; diagnose picks the DHCP chain and exits 0',
    async () => {
      const m = new Created()
      made.push(m)
      const network = await m.network(`qm-seed-i-${suffix}`)
      await m.subnet(network.id, '198.51.100.0/24', {gateway: null, name: `qm-seed-i-${suffix}-v4`})
      await waitForDhcpState(network.id, dhcpReady(true), 120_000)
      const vm = await makeInstance(network.id, `seed-i-${suffix}`)
      instances.push(vm)
      const t = await waitForTruth(vm, '200', 30_000)
      expect(t.word).toBe('200')
      expect(t.detail).toBe(vm.instanceId)
      const d = await diagnose(network.id)
      expect(d.report.backend).toBe('dhcp-agent')
      expect(firstBroken(d.report)).toBeUndefined()
      expect(d.status).toBe(0)
      await cleanup()
    },
    LONG,
  )

  it(
    "metadata network (enable_metadata_network): the curl gets 200 from the router-keyed proxy in the metadata network's qdhcp; diagnose exits 0, and names l3.proxy (fix: the DHCP agent) when that proxy dies",
    async () => {
      ini(DHCP_AGENT_INI, 'enable_metadata_network', 'True')
      ini(L3_AGENT_INI, 'enable_metadata_proxy', 'False')
      // up.sh restarts both agents (their config changed)
      await harnessUp()
      const m = new Created()
      made.push(m)
      // the metadata network: its subnet inside 169.254.0.0/16, DHCP off until the router's port is on
      // it (so that the DHCP agent starts the router-keyed proxy only, not a network-keyed one first:
      // both would bind 169.254.169.254:80)
      const md = await m.network(`qm-seed-md-${suffix}`)
      const {subnet: mdSubnet} = await neutron<{subnet: {id: string}}>('POST', '/subnets', {
        subnet: {cidr: '169.254.0.0/16', enable_dhcp: false, gateway_ip: '169.254.0.1', ip_version: 4, name: `qm-seed-md-${suffix}-v4`, network_id: md.id},
      })
      m.subnets.push(mdSubnet.id)
      const tenant = await m.network(`qm-seed-t-${suffix}`)
      const tenantSubnet = await m.subnet(tenant.id, '172.17.17.0/24', {gateway: '172.17.17.1', name: `qm-seed-t-${suffix}-v4`})
      const router = await m.router(`qm-seed-md-${suffix}-router`)
      await m.routerInterface(router.id, mdSubnet.id)
      await m.routerInterface(router.id, tenantSubnet.id)
      await neutron('PUT', `/subnets/${mdSubnet.id}`, {subnet: {enable_dhcp: true}})
      const proxy = await until(`the router-keyed haproxy ${proxyPidFile(router.id)}`, () => livePid(proxyPidFile(router.id)), 300_000)
      const ns = execFileSync('ip', ['netns', 'identify', String(proxy)], {encoding: 'utf8'}).trim()
      console.info(`metadata network ${md.id}: router-keyed haproxy pid ${proxy} in ${ns}; network-keyed: ${livePid(proxyPidFile(md.id))}`)
      expect(ns).toBe(`qdhcp-${md.id}`)
      expect(livePid(proxyPidFile(md.id))).toBeNull()
      await waitForDhcpState(tenant.id, dhcpReady(false), 120_000)
      const vm = await makeInstance(tenant.id, `seed-md-${suffix}`)
      instances.push(vm)
      const t = await waitForTruth(vm, '200', 60_000)
      console.info(`metadata network curl: ${t.word} ${t.detail}`)
      expect(t.word).toBe('200')
      expect(t.detail).toBe(vm.instanceId)
      // no redirect in the router: the request was routed to the metadata network
      const nat = execFileSync('ip', ['netns', 'exec', `qrouter-${router.id}`, 'iptables-save', '-t', 'nat'], {encoding: 'utf8'})
      expect(nat).not.toContain('169.254.169.254')
      for (const net of [tenant.id, md.id]) {
        const d = await diagnose(net)
        expect(d.report.backend).toBe('l3-agent')
        expect(finding(d.report, 'l3.config')?.status).toBe('pass')
        expect(finding(d.report, 'l3.config')?.summary).toMatch(
          /^enable_metadata_proxy is off, as a metadata network wants: the router routes 169\.254\.169\.254 over qr-\S+ \(169\.254\.0\.1\/16\)/,
        )
        expect(finding(d.report, 'l3.proxy-config')?.summary).toContain(`binds port 80, sends X-Neutron-Router-ID ${router.id}`)
        expect(finding(d.report, 'l3.listener')?.summary).toContain("169.254.169.254:80 in the metadata network's qdhcp namespace")
        expect(firstBroken(d.report)).toBeUndefined()
        expect(d.status).toBe(0)
      }
      await capture(tenant.id, 'mdnet-healthy')
      // break it: the router-keyed proxy killed. The DHCP agent's ProcessMonitor respawns it every
      // check_child_processes_interval (60 s): a kill just before its tick is healed before diagnose
      // looks; then kill the new one, whose next tick is a minute away.
      const breakIt = async () => {
        const pid = livePid(proxyPidFile(router.id))
        if (pid === null) throw new Error(`no live haproxy in ${proxyPidFile(router.id)}`)
        process.kill(pid, 'SIGKILL')
        await until(`haproxy ${pid} to die`, () => !existsSync(`/proc/${pid}`), 10_000, 100)
        const broken = await vm.curl()
        console.info(`metadata network, proxy ${pid} killed: ${broken.word} ${broken.detail}`)
        await capture(tenant.id, 'mdnet-proxy-killed')
        return {broken, d: await diagnose(tenant.id), respawned: livePid(proxyPidFile(router.id)) !== null}
      }
      let {broken, d, respawned} = await breakIt()
      for (let i = 0; i < 2 && d.status === 0 && respawned; i++) {
        console.info('the DHCP agent respawned the proxy before diagnose ran: again')
        ;({broken, d, respawned} = await breakIt())
      }
      expect(broken.word).not.toBe('200')
      const first = firstBroken(d.report)
      expect(d.status).toBe(1)
      expect(first?.id).toBe('l3.proxy')
      expect(first?.summary).toMatch(/is not running: it died/)
      expect(JSON.stringify(first?.fix)).toMatch(/neutron-dhcp-agent.*enable_metadata_network = True/)
      const healed = await waitForTruth(vm, '200', 120_000)
      console.info(`metadata network, after the DHCP agent's respawn: ${healed.word}`)
      expect(healed.word).toBe('200')
      expect((await diagnose(tenant.id)).status).toBe(0)
      await cleanup()
    },
    LONG,
  )
})
