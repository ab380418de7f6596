/**
 * The router chain on the harness's real L3 agent, and what each fault does to an instance: the
 * truth the router chain's diagnose is checked against (issue 23, item 4).
 *
 * A routed network (203.0.113.0/24, gateway .1 held by a router with internal interfaces only),
 * an instance namespace whose default route is the router, and its curl of 169.254.169.254 from
 * inside it. Each fault (test/openstack/l3.ts FAULTS) must break that curl, and restoring it must
 * heal it. The root namespace's addresses, routes, iptables (nft and legacy), nft ruleset and
 * listeners beyond loopback are the same before the router existed, with it up, and after the
 * faults. With QM_CAPTURE_ROUTER_FIXTURES=DIR, the router's artifacts are recorded into DIR/<case>
 * by scripts/harness/openstack/capture-router-fixtures.sh at each state (test/fixtures/router/).
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh); skipped otherwise.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {Created, HARNESS_LOG, L3_AGENT_INI, NEUTRON_STATE_PATH, UP_SCRIPT, ports, ready} from './env.js'
import {
  FAULTS,
  type FaultName,
  type Instance,
  REDIRECT_RULE,
  type RoutedNetwork,
  type Truth,
  harnessUp,
  haproxyConfig,
  l3MetadataProxy,
  makeInstance,
  makeRoutedNetwork,
  rootNamespaceState,
  routerNamespace,
  routerReady,
  routerState,
  run,
  waitForRouter,
  waitForTruth,
} from './l3.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('L3 harness test skipped: it needs root')
else if (!up) console.warn(`L3 harness test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

/**
 * A router build or an L3 agent restart (until its full sync has rebuilt the router) takes 5-20 s
 * on a quiet 2-core machine and up to 3 min on one shared by a dozen jobs: the per-test limit.
 */
const LONG = 600_000
const CAPTURE = process.env.QM_CAPTURE_ROUTER_FIXTURES
const CAPTURE_SCRIPT = fileURLToPath(new URL('../../scripts/harness/openstack/capture-router-fixtures.sh', import.meta.url))

describe.skipIf(!up)('the router chain on the real L3 agent: each fault breaks the instance, restoring heals it', () => {
  const suffix = randomBytes(3).toString('hex')
  const made = new Created()
  let net: RoutedNetwork
  let vm: Instance
  let rootBefore = ''

  const capture = async (name: string) => {
    if (!CAPTURE) return
    const r = await run(CAPTURE_SCRIPT, [net.router.id, join(CAPTURE, name)], {timeoutMs: 120_000})
    if (r.status !== 0) throw new Error(`capture ${name}: ${r.stderr}`)
  }
  const note = (what: string, t: Truth) => console.info(`${what}: ${t.word} (${t.ms} ms) ${t.detail.slice(0, 200)}`)

  beforeAll(async () => {
    rootBefore = await rootNamespaceState()
    net = await makeRoutedNetwork(made, `qm-l3-${suffix}`, '203.0.113.0/24')
    console.info(`router ${net.router.id} on network ${net.network.id}: chain complete ${net.readyMs} ms after add_router_interface`)
    vm = await makeInstance(net.network.id, `l3-${suffix}`)
  }, LONG)

  afterAll(async () => {
    // a fault a failed test left behind is put back first, so the harness stays whole
    if (l3MetadataProxy() === 'False') {
      execFileSync('crudini', ['--set', L3_AGENT_INI, 'DEFAULT', 'enable_metadata_proxy', 'True'])
    }
    await harnessUp().catch((error) => console.warn(`up.sh after the L3 test: ${error}`))
    await vm?.remove().catch((error) => console.warn(`instance: ${error}`))
    const errors = await made.cleanup()
    if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
  }, LONG)

  it('healthy: the default route is the router, and the curl gets 200 with the instance id from the agent', async () => {
    const routes = await vm.routes()
    console.info(`${vm.ns} routes:\n${routes}`)
    expect(routes).toMatch(new RegExp(`^default via ${net.gateway.replaceAll('.', '\\.')} dev eth0`, 'm'))
    const t = await vm.curl()
    note('healthy', t)
    expect(t.word).toBe('200')
    expect(t.detail).toBe(vm.instanceId)
    // the chain as the agent built it: the qr- device holds the gateway, the redirect goes to the
    // proxy's port, haproxy forwards to the metadata agent's socket naming this router
    const s = await routerState(net.router.id)
    expect(routerReady(net.gateway)(s)).toBe(true)
    const conf = readFileSync(haproxyConfig(net.router.id), 'utf8')
    // `bind :::9697` where IPv6 is on (the lab's); the harness turns IPv6 off for new links
    // (net.ipv6.conf.default.disable_ipv6 = 1), and Zed's driver then binds IPv4 only
    expect(conf).toMatch(/^\s*bind (:::|0\.0\.0\.0:)9697$/m)
    expect(conf).toContain(`server metadata ${NEUTRON_STATE_PATH}/metadata_proxy`)
    expect(conf).toContain(`http-request set-header X-Neutron-Router-ID ${net.router.id}`)
    // the request went through the router, not a DHCP port: the network is not isolated
    const dhcp = await ports(net.network.id, 'network:dhcp')
    expect(dhcp).toHaveLength(1)
    const proxyLog = readFileSync(`${HARNESS_LOG}/fake-nova.console.log`, 'utf8')
    expect(proxyLog).toContain(`"instance": "${vm.instanceId}"`)
    await capture('healthy')
  })

  it('the root namespace gained no address, route, iptables or nft rule, nor a listener beyond loopback', async () => {
    expect(await rootNamespaceState()).toBe(rootBefore)
    // and the L3 agent's rules are in the router's namespace, with the nft backend
    const nat = execFileSync('ip', ['netns', 'exec', routerNamespace(net.router.id), 'iptables-save', '-t', 'nat'], {encoding: 'utf8'})
    expect(nat.split('\n')).toContain(`-A neutron-l3-agent-PREROUTING ${REDIRECT_RULE}`)
    expect(nat).toMatch(/^# Generated by iptables-save v[\d.]+ \(nf_tables\)/m)
    const legacy = execFileSync('ip', ['netns', 'exec', routerNamespace(net.router.id), 'iptables-legacy-save'], {encoding: 'utf8'})
    expect(legacy).not.toContain('neutron-l3-agent')
  })

  // the truth each fault gives, as ../shared/reference/router-chain.md recorded it on the lab's agent
  const cases: [FaultName, string][] = [
    ['proxy-killed', 'refused'],
    ['redirect-deleted', 'unreachable'],
    ['metadata-proxy-disabled', 'unreachable'],
    ['namespace-deleted', 'timeout'],
    ['metadata-agent-stopped', '503'],
  ]
  for (const [name, want] of cases) {
    it(
      `${name}: the instance's curl breaks (${want}); restoring heals it (200)`,
      async () => {
        const fault = await FAULTS[name](net)
        console.info(`${name}: ${fault.did}`)
        const broken = await vm.curl()
        note(`${name} broken`, broken)
        await capture(name)
        expect(broken.word).toBe(want)
        const how = await fault.restore()
        const healed = await waitForTruth(vm, '200', 60_000)
        note(`${name} restored (${how})`, healed)
        expect(healed.word).toBe('200')
        expect(healed.detail).toBe(vm.instanceId)
      },
      LONG,
    )
  }

  it(
    'interface-removed: the network becomes isolated; the curl breaks until the instance renews, then the DHCP agent serves it; adding the interface back heals the router path',
    async () => {
      const fault = await FAULTS['interface-removed'](net)
      console.info(`interface-removed: ${fault.did}`)
      await waitForRouter(net.router.id, (s) => s.qr.length === 0, 60_000)
      const broken = await waitForTruth(vm, 'timeout', 20_000)
      note('interface-removed, before the instance renews', broken)
      await capture('interface-removed')
      expect(broken.word).not.toBe('200')
      // the DHCP agent now routes 169.254.169.254 to its own port (option 121) and runs a proxy
      const lease = await vm.dhcp()
      console.info(`renewed lease: ${JSON.stringify(lease)}`)
      expect(lease?.staticroutes).toMatch(/^169\.254\.169\.254\/32 203\.0\.113\.\d+/)
      const viaDhcp = await waitForTruth(vm, '200', 60_000)
      note('interface-removed, after the renewal (DHCP agent)', viaDhcp)
      expect(viaDhcp.word).toBe('200')
      const how = await fault.restore()
      await vm.dhcp()
      const healed = await waitForTruth(vm, '200', 60_000)
      note(`interface-removed restored (${how})`, healed)
      expect(healed.word).toBe('200')
      expect(await vm.routes()).toMatch(new RegExp(`^default via ${net.gateway.replaceAll('.', '\\.')} dev eth0`, 'm'))
    },
    LONG,
  )

  it('after every fault and restore, the root namespace is still as it was before the router', async () => {
    expect(await rootNamespaceState()).toBe(rootBefore)
  })
})
