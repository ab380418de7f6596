// The pure checks on evidence made of verbatim outputs of real nodes:
// - the Grizzly seed (examples/grizzly-seed.snapshot.json, built from test/fixtures/node/grizzly-seed/),
// - the Neutron Zed node (test/fixtures/node/zed/basic-isolated/, see test/fixtures/node/SOURCES.md).
// Faults are made by changing one piece of that evidence the way the fault changes a node.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {DHCP_AGENT_CHECKS as CHECKS} from '../../src/chains/dhcp-agent/chain.js'
import {runChecks} from '../../src/chains/run.js'
import type {Check, Finding} from '../../src/chains/types.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {ZED_NET, zed, zedFile} from '../helpers/zed-evidence.js'
import {fixAlternative, fixCommand, fixText} from '../helpers/fix.js'

const seed = (): NetworkEvidence =>
  (JSON.parse(readFileSync(new URL('../../examples/grizzly-seed.snapshot.json', import.meta.url), 'utf8')) as Snapshot).networks[0]

const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const apiFixture = (f: string) => readFileSync(new URL(`../fixtures/api/${f}`, import.meta.url), 'utf8')

/** The Zed node's API answers (test/fixtures/api/SOURCES.md), as diagnose records them. */
function withApi(ev: NetworkEvidence, over: Record<string, {status: number; body: string}> = {}): NetworkEvidence {
  const subnet = JSON.parse(apiFixture('zed-basic-subnet-create-201.json')).subnet
  const rec = (path: string, status: number, body: string) => ({body: over[path]?.body ?? body, method: 'GET', path, status: over[path]?.status ?? status})
  ev.api = {
    host: 'lab-host',
    hostFrom: '--agent-host',
    records: [
      rec(`/networks/${ev.network}`, 200, JSON.stringify({network: {admin_state_up: true, id: ev.network, name: 'qm-isolated', status: 'ACTIVE'}})),
      rec(`/subnets?network_id=${ev.network}`, 200, JSON.stringify({subnets: [subnet]})),
      rec(`/ports?network_id=${ev.network}`, 200, apiFixture('zed-basic-dhcp-port.json')),
      rec(`/networks/${ev.network}/dhcp-agents`, 200, apiFixture('zed-basic-dhcp-agents.json')),
    ],
  }
  return ev
}
/**
 * What these recorded snapshots predate: metadata_agent.ini (not judged), and the DHCP agent's processes
 * (config.agent-restarted only ever warns, so it is "not told", which holds no verdict back).
 */
const NOT_RECORDED = ['metadata-agent.config']
const statuses = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [f.id, f.status]))
// evidence without API answers is judged as `--no-api` judges it: the node's own links
const diagnose = (ev: NetworkEvidence, probe = false) => diagnoseEvidence(ev, {noApi: ev.api === undefined, probe})

describe('the registry', () => {
  it('lists the public check ids in chain order, each with a title', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([
      'config.metadata-enabled',
      'config.agent-restarted',
      'api.network',
      'api.subnet-isolated',
      'api.dhcp-agents',
      'namespace.exists',
      'namespace.dhcp-address',
      'namespace.metadata-address',
      'dnsmasq.running',
      'opts.metadata-route',
      'api.dhcp-port',
      'proxy.running',
      'proxy.listening',
      'proxy.upstream',
      'metadata-agent.config',
      'namespace.metadata-v6',
      'metadata-agent.log',
      'probe.http',
      'probe.http6',
      'nova.config',
      'nova.reach',
      'nova.answer',
    ])
    for (const c of CHECKS) expect(c.title).toBeTruthy()
  })

  it('a crashing check becomes one failing finding; what needs it is skipped', () => {
    const boom: Check = {
      id: 'x.boom',
      needs: [],
      title: 'boom',
      run: () => {
        throw new Error('kaput')
      },
    }
    const after: Check = {id: 'x.after', needs: ['x.boom'], title: 'after', run: () => ({evidence: [], status: 'pass', summary: 'never'})}
    const fs = runChecks(seed(), {probe: false}, undefined, [boom, after])
    expect(fs[0]).toMatchObject({id: 'x.boom', status: 'fail', summary: 'check crashed: kaput'})
    expect(fs[1]).toMatchObject({id: 'x.after', status: 'skip', summary: 'skipped: x.boom failed'})
  })
})

describe('the real Grizzly node (seed transcript)', () => {
  it('every link the transcript shows passes; what it did not record is not judged (exit 3), never "healthy"', () => {
    const r = diagnose(seed())
    expect(r).toMatchObject({healthy: false, layout: 'quantum', network: '01cce415-8e2b-4096-92b5-7acc67163d79', verdict: 'not-judged'})
    expect(r.unjudged).toEqual(['proxy.upstream', 'metadata-agent.config'])
    expect(r.findings.find((f) => f.id === 'config.agent-restarted')).toMatchObject({skipped: 'warn-only', status: 'skip'})
    expect(r.findings.filter((f) => f.skipped === 'not-asked').map((f) => f.id)).toEqual([
      'api.network',
      'api.subnet-isolated',
      'api.dhcp-agents',
      'api.dhcp-port',
      'probe.http',
      'nova.config',
      'nova.reach',
      'nova.answer',
    ])
    // `ip -4 a` shows no IPv6: the IPv6 link is said to be not told (and the probe over it with it), holding no verdict back
    expect(r.findings.filter((f) => f.skipped === 'not-told').map((f) => f.id)).toEqual(['namespace.metadata-v6', 'probe.http6'])
    expect(statuses(r.findings)).toEqual({
      'api.dhcp-agents': 'skip',
      'api.dhcp-port': 'skip',
      'api.network': 'skip',
      'api.subnet-isolated': 'skip',
      'config.agent-restarted': 'skip', // a transcript shows no agent process
      'metadata-agent.config': 'skip', // nor metadata_agent.ini
      'metadata-agent.log': 'skip', // nor a log (warns only: no verdict waits on it)
      'config.metadata-enabled': 'pass',
      'dnsmasq.running': 'pass',
      'namespace.dhcp-address': 'pass',
      'namespace.exists': 'pass',
      'namespace.metadata-address': 'pass',
      'namespace.metadata-v6': 'skip',
      'opts.metadata-route': 'pass',
      'nova.answer': 'skip',
      'nova.config': 'skip',
      'nova.reach': 'skip',
      'probe.http': 'skip',
      'probe.http6': 'skip',
      'proxy.listening': 'pass',
      'proxy.running': 'pass',
      'proxy.upstream': 'skip',
    })
    expect(byId(r.findings, 'opts.metadata-route').summary).toBe('169.254.169.254/32 via 172.17.17.1 on tag tag0')
    expect(byId(r.findings, 'namespace.metadata-address').summary).toBe('169.254.169.254/16 is on tapc2ac4ed4-f3')
    expect(byId(r.findings, 'proxy.listening').evidence[0]).toMatch(/0\.0\.0\.0:80 LISTEN 27409\/python/)
  })

  it('a wrong next hop in opts is named, with the restart and an in-place edit of that line', () => {
    const ev = seed()
    ev.opts.content = 'tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.254'
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/via 172\.17\.17\.254, but the DHCP port here is 172\.17\.17\.1/)
    expect(fixCommand(f)).toMatch(/^service quantum-dhcp-agent restart$|^systemctl restart quantum-dhcp-agent$/)
    expect(fixAlternative(f)).toContain(
      "sed -i -e 's/^tag:tag0,option:classless-static-route,169\\.254\\.169\\.254\\/32,172\\.17\\.17\\.254$/tag:tag0,option:classless-static-route,169.254.169.254\\/32,172.17.17.1/'",
    )
    expect(fixAlternative(f)).toMatch(/ && kill -HUP 27348$/)
    // instances keep their lease: the fix says when the new route reaches them
    expect(f.fix!.why).toMatch(/running instances get the route when they renew their lease \(dhcp_lease_duration: 120 s by default in Grizzly\) or reboot$/)
  })

  it('a route on a tag dnsmasq does not serve reaches no client', () => {
    const ev = seed()
    ev.opts.content = 'tag:tag1,option:classless-static-route,169.254.169.254/32,172.17.17.1'
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f).toMatchObject({status: 'fail'})
    expect(f.summary).toMatch(/on tag tag1, but dnsmasq sets tag0/)
  })

  it('a subnet with a gateway (Grizzly writes only option:router) has no route, and the fix is a gateway-less subnet', () => {
    const ev = seed()
    ev.opts.content = 'tag:tag0,option:router,172.17.17.254'
    const r = diagnose(ev)
    expect(r.healthy).toBe(false)
    const f = byId(r.findings, 'opts.metadata-route')
    expect(f.summary).toMatch(/every subnet has a gateway \(172\.17\.17\.254\), and this release serves isolated metadata only on subnets without one/)
    expect(fixCommand(f)).toBe(`openstack subnet list --network ${ev.network}`)
    expect(f.fix!.why).toContain('quantum-meta subnet create')
  })

  it('no route line and no gateway either (the agent wrote opts before the address was up): paste the route', () => {
    const ev = seed()
    ev.opts.content = 'tag:tag0,option:router'
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f.summary).toMatch(/no classless-static-route \(121\) line/)
    expect(fixAlternative(f)).toContain("'tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1'")
  })

  it('config off: the first broken link is the config, with the enable command as fix', () => {
    const ev = seed()
    ev.config.content = ev.config.content!.replace('enable_isolated_metadata = True', 'enable_isolated_metadata = False')
    const r = diagnose(ev)
    expect(r.findings.find((f) => f.status === 'fail')).toMatchObject({id: 'config.metadata-enabled'})
    expect(fixCommand(byId(r.findings, 'config.metadata-enabled'))).toBe('quantum-meta enable --config-file /etc/quantum/dhcp_agent.ini --restart')
  })

  it('namespace missing: everything inside it is skipped, naming the cause', () => {
    const ev = seed()
    ev.namespaces.stdout = ''
    const r = diagnose(ev)
    expect(byId(r.findings, 'namespace.exists').status).toBe('fail')
    for (const id of ['namespace.dhcp-address', 'namespace.metadata-address', 'opts.metadata-route', 'proxy.listening']) {
      expect(byId(r.findings, id).summary).toMatch(/^skipped: (namespace\.exists|namespace\.dhcp-address|proxy\.running) (failed|was skipped)$/)
    }
  })

  it('an ML2/OVN node (ovnmeta-NET instead of qdhcp-NET) is named as such', () => {
    const ev = seed()
    ev.namespaces.stdout = `ovnmeta-${ev.network} (id: 3)\n`
    const f = byId(diagnose(ev).findings, 'namespace.exists')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(
      /this is ML2\/OVN, where neutron-ovn-metadata-agent \(2025\.2 on: neutron-ovn-agent with the metadata extension\) serves metadata/,
    )
  })

  it('metadata address removed: namespace.metadata-address fails with the ip command to paste', () => {
    const ev = seed()
    ev.addresses!.stdout = ev.addresses!.stdout.replace(/inet 169\.254\.169\.254.*\n/, '')
    const f = byId(diagnose(ev).findings, 'namespace.metadata-address')
    expect(f.status).toBe('fail')
    expect(fixAlternative(f)).toMatch(/ip addr add 169\.254\.169\.254\/16 dev tapc2ac4ed4-f3$/)
  })

  it('proxy not listening: proxy.listening fails', () => {
    const ev = seed()
    ev.sockets!.stdout = ev.sockets!.stdout.replace(/.*:80 .*\n/, '')
    expect(byId(diagnose(ev).findings, 'proxy.listening').status).toBe('fail')
  })
})

describe('the real Neutron Zed node', () => {
  it('is healthy with the 249 twin present; haproxy listens on 169.254.169.254:80', () => {
    const r = diagnose(zed())
    expect(r.unjudged).toEqual(NOT_RECORDED)
    expect(r.verdict).toBe('not-judged') // no link broken
    const route = byId(r.findings, 'opts.metadata-route')
    expect(route.status).toBe('pass')
    expect(route.summary).toMatch(/^169\.254\.169\.254\/32 via 198\.51\.100\.\d+ on tag subnet-/)
    expect(byId(r.findings, 'namespace.metadata-address').summary).toMatch(/169\.254\.169\.254\/32 is on ns-/)
    expect(byId(r.findings, 'proxy.listening').summary).toMatch(/listens on 169\.254\.169\.254:80/)
    expect(byId(r.findings, 'dnsmasq.running').status).toBe('pass')
  })

  it("reads `ss -ltnp` as well as netstat in a hand-made snapshot (the Zed node's own ss output)", () => {
    const ev = zed()
    ev.sockets = {argv: ['ip', 'netns', 'exec', ev.namespace, 'ss', '-ltnp'], exitCode: 0, stderr: '', stdout: zedFile('ss-ltnp.txt')}
    const f = byId(diagnose(ev).findings, 'proxy.listening')
    expect(f.status).toBe('pass')
    expect(f.summary).toMatch(/listens on 169\.254\.169\.254:80/)
  })

  it('warns when the 249 line is missing on a Neutron layout', () => {
    const ev = zed()
    ev.opts.content = ev.opts
      .content!.split('\n')
      .filter((l) => !/,249,/.test(l))
      .join('\n')
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/option 249 twin is missing/)
  })

  it('a missing upstream socket means 503 for instances: proxy.upstream fails', () => {
    const ev = zed()
    ev.upstreamSocket = {path: '/var/lib/neutron/metadata_proxy', state: 'missing'}
    const r = diagnose(ev)
    expect(r.healthy).toBe(false)
    expect(byId(r.findings, 'proxy.upstream').summary).toMatch(/does not exist: instances get 503 from haproxy/)
  })

  it('a socket whose listener keeps its accept queue full (EAGAIN) is a busy or hung agent: a warning, not "nothing listens"', () => {
    const ev = zed()
    ev.upstreamSocket = {busyMs: 1004, connect: 'EAGAIN', path: '/var/lib/neutron/metadata_proxy', state: 'present', type: 'socket'}
    const r = diagnose(ev)
    const f = byId(r.findings, 'proxy.upstream')
    expect(f.status).toBe('warn')
    expect(f.summary).toBe(
      'something listens on /var/lib/neutron/metadata_proxy but left its accept queue full for 1004 ms (EAGAIN): the metadata agent is overloaded or hung, and instances wait or get 503 from haproxy',
    )
    expect(r.unjudged).toEqual(NOT_RECORDED)
    expect(r.verdict).toBe('not-judged') // no link broken
    // refused is the one that means nobody listens
    ev.upstreamSocket = {connect: 'ECONNREFUSED', path: '/var/lib/neutron/metadata_proxy', state: 'present', type: 'socket'}
    expect(byId(diagnose(ev).findings, 'proxy.upstream')).toMatchObject({
      status: 'fail',
      summary: 'nothing accepts connections on /var/lib/neutron/metadata_proxy (ECONNREFUSED): instances get 503 from haproxy',
    })
    // accepted after a wait: healthy, and the wait is in the evidence
    ev.upstreamSocket = {busyMs: 200, connect: 'ok', path: '/var/lib/neutron/metadata_proxy', state: 'present', type: 'socket'}
    expect(byId(diagnose(ev).findings, 'proxy.upstream')).toMatchObject({
      evidence: ['/var/lib/neutron/metadata_proxy: socket, connect: ok after 200 ms of EAGAIN (accept queue full)'],
      status: 'pass',
    })
  })

  it('with the real API answers: hosted here, isolated, and the DHCP port is the opts next hop', () => {
    const r = diagnose(withApi(zed()))
    expect(r.unjudged).toEqual(NOT_RECORDED)
    expect(r.verdict).toBe('not-judged') // no link broken
    expect(byId(r.findings, 'api.network')).toMatchObject({status: 'pass', summary: 'network qm-isolated exists and is up'})
    expect(byId(r.findings, 'api.subnet-isolated')).toMatchObject({status: 'pass', summary: '198.51.100.0/24 is isolated (no router port on the gateway)'})
    expect(byId(r.findings, 'api.dhcp-agents')).toMatchObject({status: 'pass', summary: 'hosted by the live DHCP agent on lab-host'})
    expect(byId(r.findings, 'api.dhcp-port').summary).toBe("the opts next hop 198.51.100.1 is this host's DHCP port")
  })

  it('another host: api.dhcp-agents fails naming where the network lives', () => {
    const ev = withApi(zed())
    ev.api!.host = 'netnode-2'
    const f = byId(diagnose(ev).findings, 'api.dhcp-agents')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/not hosted by the DHCP agent on netnode-2.*it is on lab-host/)
    expect(f.fix).toEqual({command: `quantum-meta diagnose ${ZED_NET}`, why: 'on lab-host, which hosts the network'})
  })

  it('a router interface holding the gateway makes the subnet routed (Juno+ rule); Grizzly looks at gateway_ip only', () => {
    const subnet = {...JSON.parse(apiFixture('zed-basic-subnet-create-201.json')).subnet, gateway_ip: '198.51.100.254'}
    const routerPort = {device_owner: 'network:router_interface', fixed_ips: [{ip_address: '198.51.100.254', subnet_id: subnet.id}], id: 'r1'}
    const ports = JSON.parse(apiFixture('zed-basic-dhcp-port.json'))
    const ev = withApi(zed(), {
      [`/ports?network_id=${ZED_NET}`]: {body: JSON.stringify({ports: [...ports.ports, routerPort]}), status: 200},
      [`/subnets?network_id=${ZED_NET}`]: {body: JSON.stringify({subnets: [subnet]}), status: 200},
    })
    const f = byId(diagnose(ev).findings, 'api.subnet-isolated')
    expect(f.status).toBe('fail')
    expect(f.evidence[0]).toMatch(/gateway_ip 198\.51\.100\.254, held by a router interface/)
    // without the router port the same subnet, gateway and all, is isolated since Juno
    const noRouter = withApi(zed(), {[`/subnets?network_id=${ZED_NET}`]: {body: JSON.stringify({subnets: [subnet]}), status: 200}})
    expect(byId(diagnose(noRouter).findings, 'api.subnet-isolated').status).toBe('pass')
    // and force_metadata serves it anyway
    ev.config.content += 'force_metadata = True\n'
    expect(byId(diagnose(ev).findings, 'api.subnet-isolated').summary).toMatch(/force_metadata = True serves metadata anyway/)
  })

  it('a stale opts next hop disagrees with the DHCP port in the API', () => {
    const ev = withApi(zed())
    const ports = JSON.parse(apiFixture('zed-basic-dhcp-port.json'))
    ports.ports[0].fixed_ips[0].ip_address = '198.51.100.7'
    ev.api!.records[2].body = JSON.stringify(ports)
    const f = byId(diagnose(ev).findings, 'api.dhcp-port')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/points at 198\.51\.100\.1, but the DHCP port here has 198\.51\.100\.7: stale opts/)
  })

  it('an API that cannot be asked is a warning and its links not judged, not a broken chain', () => {
    const ev = zed()
    ev.api = {error: 'authentication failed at http://k/v3/auth/tokens: HTTP 401', host: 'h', hostFrom: 'x', records: []}
    const r = diagnose(ev)
    expect(byId(r.findings, 'api.network').status).toBe('warn')
    expect(r.unjudged).toEqual(['api.subnet-isolated', 'api.dhcp-agents', 'api.dhcp-port', 'metadata-agent.config'])
    expect(r.verdict).toBe('not-judged') // the API links were not judged: exit 3, not 1, and not "healthy"
  })

  it('probe answers are explained: 503, refused, 403', () => {
    for (const [probe, re] of [
      [{status: 503}, /503: no body recorded: either haproxy has no server/], // whose 503: test/unit/verdicts.test.ts
      [{error: 'refused'}, /refused: nothing listens on port 80/],
      [{status: 403}, /403: .*shared_secret/],
    ] as const) {
      const ev = zed()
      ev.probe = {argv: ['ip', 'netns', 'exec', ev.namespace, 'GET', 'http://169.254.169.254/'], url: 'http://169.254.169.254/', ...probe}
      const f = byId(diagnose(ev, true).findings, 'probe.http')
      expect(f.status).toBe('fail')
      expect(f.summary).toMatch(re)
    }
  })
})

// A real Neutron 21.0.0 node with three IPv4 subnets on one network (two gateway-less, one with a
// gateway and no router), taken with `quantum-meta collect` on the project's harness node
// (then scripts/openstack-up.sh, now scripts/harness/openstack/up.sh); see test/fixtures/node/SOURCES.md section 4.
describe("the project's real Neutron harness node (test/fixtures/node/harness)", () => {
  const MULTI_NET = '7f9a59b3-6a7f-43f8-89c3-dd006fdbb49a'
  const multi = (): NetworkEvidence =>
    (JSON.parse(readFileSync(new URL('../fixtures/node/harness/multi-subnet.snapshot.json', import.meta.url), 'utf8')) as Snapshot).networks[0]
  /** the opts file without the 121 and 249 lines of one subnet, as the agent writes it when that subnet's address was not on the device */
  const dropRoutesOf = (ev: NetworkEvidence, subnet: string) => {
    ev.opts.content = ev.opts
      .content!.split('\n')
      .filter((l) => !(l.startsWith(`tag:subnet-${subnet}`) && /classless-static-route|,249,/.test(l)))
      .join('\n')
    return ev
  }

  it("is healthy, and the route of every subnet goes via that subnet's own DHCP address", () => {
    const ev = multi()
    expect(ev.network).toBe(MULTI_NET)
    const r = diagnose(ev)
    expect(r.unjudged).toEqual(NOT_RECORDED)
    expect(r.verdict).toBe('not-judged') // no link broken
    const f = byId(r.findings, 'opts.metadata-route')
    expect(f.status).toBe('pass')
    expect(f.summary).toMatch(/^169\.254\.169\.254\/32 on each of 3 subnets: /)
    for (const hop of ['198.51.100.1', '203.0.113.1', '172.17.17.2']) expect(f.summary).toContain(hop)
  })

  it("one gateway-less subnet without its route fails, naming that subnet and its address (another subnet's route does not help it)", () => {
    const r = diagnose(dropRoutesOf(multi(), '272f3433-9497-406a-bbe1-791202b56b35'))
    expect(r.healthy).toBe(false)
    const f = byId(r.findings, 'opts.metadata-route')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(
      /^203\.0\.113\.0\/24 \(tag subnet-272f3433-9497-406a-bbe1-791202b56b35\) has no 169\.254\.169\.254 route, though its DHCP address 203\.0\.113\.1 is on ns-/,
    )
    expect(fixCommand(f)).toBe('systemctl restart neutron-dhcp-agent')
    expect(fixAlternative(f)).toContain("'tag:subnet-272f3433-9497-406a-bbe1-791202b56b35,option:classless-static-route,169.254.169.254/32,203.0.113.1'")
  })

  it('the subnet with a gateway loses its route too: on the subnet-<uuid> layout that is the same silent omission', () => {
    const f = byId(diagnose(dropRoutesOf(multi(), 'f53be717-e136-4a19-a680-0ccb68f72686')).findings, 'opts.metadata-route')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/^172\.17\.17\.0\/24 .* its DHCP address 172\.17\.17\.2 /)
  })

  it('a subnet whose route goes via its gateway (a router serves it) passes, with that noted', () => {
    const ev = multi()
    ev.opts.content = ev.opts.content!.replaceAll('169.254.169.254/32,172.17.17.2', '169.254.169.254/32,172.17.17.1')
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f.status).toBe('pass')
    expect(f.summary).toMatch(/on each of 2 subnets/)
    expect(f.evidence.join('\n')).toMatch(
      /tag subnet-f53be717-e136-4a19-a680-0ccb68f72686: 169\.254\.169\.254 via 172\.17\.17\.1 \(not this DHCP port: a router serves/,
    )
  })

  it('a network whose router holds the gateway (real node, no API): the route goes via the router, not a stale opts', () => {
    const ev = (JSON.parse(readFileSync(new URL('../fixtures/node/harness/routed.snapshot.json', import.meta.url), 'utf8')) as Snapshot).networks[0]
    expect(ev.network).toBe('4132cf98-3ed2-4dd2-96da-4c3cfb4adc9c')
    const r = diagnose(ev)
    // a routed network is no broken DHCP link: no isolated-metadata route is expected there (force_metadata off)
    expect(r.unjudged).toEqual(NOT_RECORDED)
    expect(r.verdict).toBe('not-judged') // no link broken
    const f = byId(r.findings, 'opts.metadata-route')
    expect(f.status).toBe('skip')
    expect(f.summary).toMatch(/^169\.254\.169\.254 goes via the subnet gateway 10\.31\.0\.1: a router holds it, so the subnet is not isolated/)
    expect(f.summary).toContain(`quantum-meta diagnose ${ev.network} --backend l3-agent`)
    // with force_metadata on, every network's route must go via the DHCP port: the gateway route is stale
    const forced = structuredClone(ev)
    forced.config.content = forced.config.content!.replace('force_metadata = False', 'force_metadata = True')
    const ff = byId(diagnose(forced).findings, 'opts.metadata-route')
    expect(ff.status).toBe('fail')
    expect(ff.summary).toMatch(/though force_metadata is on/)
    expect(fixText(ff)).not.toContain('printf') // pointing its instances at this DHCP port would take their metadata away
    expect(fixCommand(ff)).toBe('systemctl restart neutron-dhcp-agent')
    expect(fixAlternative(ff)).toBe(`quantum-meta diagnose ${ev.network} --backend l3-agent`)
    // the agent ran no proxy for it, as it should: that is no second broken link, and a probe
    // from the qdhcp namespace (refused) says nothing about the router's proxy
    expect(byId(r.findings, 'proxy.running')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/^no metadata proxy, as expected: opts routes 169\.254\.169\.254 via the subnet gateway/),
    })
    expect(byId(r.findings, 'proxy.listening').status).toBe('skip')
    expect(r.findings.filter((x) => x.status === 'fail').map((x) => x.id)).toEqual([])
    ev.probe = {argv: ['ip', 'netns', 'exec', ev.namespace, 'GET', 'http://169.254.169.254/'], error: 'refused', ms: 3, url: 'http://169.254.169.254/'}
    expect(byId(diagnose(ev, true).findings, 'probe.http')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/\(refused\), as expected: the router serves metadata/),
    })
    // the same network with its route pointing at the DHCP port (isolated): a missing proxy is a failure again
    ev.opts.content = ev.opts.content!.replaceAll('169.254.169.254/32,10.31.0.1', '169.254.169.254/32,10.31.0.2')
    expect(byId(diagnose(ev).findings, 'proxy.running').status).toBe('fail')
  })

  it('the 249 twin missing on one subnet only: a warning naming that tag', () => {
    const ev = multi()
    ev.opts.content = ev.opts
      .content!.split('\n')
      .filter((l) => !l.startsWith('tag:subnet-c6fbbcce-aee8-42b1-9543-dc01b74f837e,249,'))
      .join('\n')
    const f = byId(diagnose(ev).findings, 'opts.metadata-route')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/249 twin is missing on tag subnet-c6fbbcce-aee8-42b1-9543-dc01b74f837e \(/)
  })
})

// config.agent-restarted on the harness node's real agent process (test/fixtures/node/harness/proc-*,
// /proc/4904/cmdline of neutron-dhcp-agent, which oslo rewrote into one title; see SOURCES.md)
describe('config.agent-restarted', () => {
  const harness = (f: string) => readFileSync(new URL(`../fixtures/node/harness/${f}`, import.meta.url), 'utf8')
  const AGENT = {cmdline: harness('proc-neutron-dhcp-agent-cmdline'), pid: 4904, startedAt: '2026-11-23T21:33:43.850Z'}
  const withAgents = (agents: NetworkEvidence['agents'], mtime = '2026-11-23T20:56:13.265Z', path = '/etc/neutron/dhcp_agent.ini') => {
    const ev = zed()
    ev.agents = agents
    ev.config = {...ev.config, mtime, path}
    return ev
  }
  const check = (ev: NetworkEvidence) => byId(diagnose(ev).findings, 'config.agent-restarted')

  it('passes when the running agent reads the file and started after its last change', () => {
    expect(check(withAgents([AGENT]))).toMatchObject({
      status: 'pass',
      summary: 'neutron-dhcp-agent (pid 4904) reads /etc/neutron/dhcp_agent.ini and started after its last change',
    })
  })

  it('warns, with the restart to paste, when the file changed after the agent started', () => {
    const r = diagnose(withAgents([AGENT], '2026-11-23T22:00:00.000Z'))
    expect(r.unjudged).toEqual(['metadata-agent.config'])
    expect(r.verdict).toBe('not-judged') // no link broken // a warning: the links below say whether the running state is wrong
    const f = byId(r.findings, 'config.agent-restarted')
    expect(f.status).toBe('warn')
    expect(f.summary).toBe(
      '/etc/neutron/dhcp_agent.ini changed at 2026-11-23T22:00:00.000Z, after the DHCP agent (pid 4904) started at 2026-11-23T21:33:43.850Z: the running agent has not read that change',
    )
    expect(fixCommand(f)).toBe('systemctl restart neutron-dhcp-agent')
  })

  it('warns when no running agent reads the judged file, naming the file it does read', () => {
    const f = check(withAgents([AGENT], undefined, '/root/dhcp_agent.ini'))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      /^no running DHCP agent reads \/root\/dhcp_agent\.ini \(pid 4904 reads \/etc\/neutron\/neutron\.conf, \/etc\/neutron\/dhcp_agent\.ini\)/,
    )
    expect(fixCommand(f)).toBe(`quantum-meta diagnose ${ZED_NET} --config-file /etc/neutron/dhcp_agent.ini`)
  })

  it('an agent in a container (another mount namespace) names paths inside it: skipped, not a false warning', () => {
    const f = check(withAgents([{...AGENT, sameMountNamespace: false}], undefined, '/etc/kolla/neutron-dhcp-agent/dhcp_agent.ini'))
    expect(f.status).toBe('skip')
    expect(f.summary).toMatch(/^the DHCP agent \(pid 4904\) runs in a container \(another mount namespace\)/)
  })

  it('a symlinked config counts through its target', () => {
    const ev = withAgents([AGENT], undefined, '/srv/conf/dhcp.ini')
    ev.config.realpath = '/etc/neutron/dhcp_agent.ini'
    expect(check(ev).status).toBe('pass')
  })

  it('warns when no agent runs at all, and skips when processes were not collected', () => {
    expect(check(withAgents([]))).toMatchObject({fix: {command: 'systemctl start neutron-dhcp-agent'}, status: 'warn'})
    expect(check(withAgents(undefined)).status).toBe('skip')
  })
})

// metadata-agent.config on the harness node's real metadata_agent.ini (its secret redacted by the
// same redactIniSecrets that collect applies; test/fixtures/node/harness/, see SOURCES.md)
describe('metadata-agent.config', () => {
  const MD_INI = readFileSync(new URL('../fixtures/node/harness/metadata_agent.ini', import.meta.url), 'utf8')
  const withMd = (content: string, layout: 'neutron' | 'quantum' = 'neutron') => {
    const ev = layout === 'neutron' ? zed() : seed()
    ev.metadataAgentConfig = {content, path: `/etc/${layout}/metadata_agent.ini`, state: 'present'}
    return ev
  }
  const check = (ev: NetworkEvidence) => byId(diagnose(ev).findings, 'metadata-agent.config')

  it('passes on the real file: default socket under the state path, nova_metadata_host, a secret whose value is not there', () => {
    expect(MD_INI).toContain('metadata_proxy_shared_secret = <redacted>')
    const f = check(withMd(MD_INI))
    expect(f.status).toBe('pass')
    expect(f.summary).toBe(
      'the metadata agent listens on /var/lib/neutron/metadata_proxy (where the proxy forwards), asks Nova at 127.0.0.1:8775, signs with a shared secret',
    )
  })

  it('a socket path that differs from where the proxy forwards fails: 503 for instances', () => {
    const f = check(withMd(MD_INI.replace('[DEFAULT]\n', '[DEFAULT]\nmetadata_proxy_socket = /run/neutron/metadata_proxy\n')))
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(
      /^the metadata agent listens on \/run\/neutron\/metadata_proxy, but the proxy forwards to \/var\/lib\/neutron\/metadata_proxy: instances get 503/,
    )
    expect(f.fix).toEqual({
      file: '/etc/neutron/metadata_agent.ini',
      section: 'DEFAULT',
      set: 'metadata_proxy_socket = /var/lib/neutron/metadata_proxy',
      why: 'where the proxy forwards; then systemctl restart neutron-metadata-agent',
    })
  })

  it('a state_path of its own moves the default socket too ($state_path is interpolated)', () => {
    const f = check(withMd(MD_INI.replace('[DEFAULT]\n', '[DEFAULT]\nstate_path = /var/lib/neutron-md\n')))
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/listens on \/var\/lib\/neutron-md\/metadata_proxy/)
  })

  it('a leftover nova_metadata_ip without nova_metadata_host warns on Neutron (ignored since Queens: 500)', () => {
    const f = check(withMd(MD_INI.replace('nova_metadata_host = 127.0.0.1', 'nova_metadata_ip = 192.0.2.10')))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/^nova_metadata_ip = 192\.0\.2\.10 is ignored since Queens/)
    expect(fixCommand(f)).toBe('in /etc/neutron/metadata_agent.ini [DEFAULT]: nova_metadata_host = 192.0.2.10')
  })

  it('synthetic Grizzly file: nova_metadata_ip is right there, and an empty secret warns', () => {
    const grizzly =
      '[DEFAULT]\nauth_url = http://localhost:35357/v2.0\nadmin_password = <redacted>\nnova_metadata_ip = 10.0.0.5\nmetadata_proxy_shared_secret =\n'
    const f = check(withMd(grizzly, 'quantum'))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/^no metadata_proxy_shared_secret: Nova must have an empty one too \(else 403\)/)
    expect(f.evidence).toContain('/etc/quantum/metadata_agent.ini:4: nova_metadata_ip = 10.0.0.5')
    expect(check(withMd(grizzly.replace('shared_secret =', 'shared_secret = <redacted>'), 'quantum')).status).toBe('pass')
  })

  it('no metadata_agent.ini beside the DHCP agent config: skipped, saying so', () => {
    const ev = zed()
    ev.metadataAgentConfig = {path: '/etc/neutron/metadata_agent.ini', state: 'missing'}
    expect(check(ev)).toMatchObject({status: 'skip', summary: expect.stringMatching(/^no \/etc\/neutron\/metadata_agent\.ini \(no such file\)/)})
  })
})

// oslo.config merges every file the running agent reads; a switch outside dhcp_agent.ini counts
describe('config.metadata-enabled with the files the running agent reads', () => {
  const AGENT_CMD = readFileSync(new URL('../fixtures/node/harness/proc-neutron-dhcp-agent-cmdline', import.meta.url), 'utf8')
  const OFF = '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = False\n'
  const withConfigs = (own: string, configs: {path: string; content: string}[], cmdline = AGENT_CMD) => {
    const ev = zed()
    ev.config = {content: own, path: '/etc/neutron/dhcp_agent.ini', state: 'present'}
    ev.agents = [
      {cmdline, configs: configs.map((c) => ({...c, state: 'present' as const})), pid: 4904, sameMountNamespace: true, startedAt: '2026-11-23T21:33:43.850Z'},
    ]
    return ev
  }
  const check = (ev: NetworkEvidence) => byId(diagnose(ev).findings, 'config.metadata-enabled')

  it('force_metadata = True in neutron.conf (read first) serves metadata although dhcp_agent.ini says False', () => {
    const f = check(
      withConfigs(OFF, [
        {content: '[DEFAULT]\n\n\nforce_metadata = True\n', path: '/etc/neutron/neutron.conf'},
        {content: OFF, path: '/etc/neutron/dhcp_agent.ini'},
      ]),
    )
    expect(f.status).toBe('pass')
    expect(f.summary).toBe(
      'force_metadata = True (/etc/neutron/neutron.conf:4): every network gets a metadata proxy (the agent reads /etc/neutron/neutron.conf, /etc/neutron/dhcp_agent.ini; later files win)',
    )
  })

  it('synthetic RDO-style --config-dir: a conf.d file read after dhcp_agent.ini turns it off, and the fix names that file', () => {
    const cmd = [
      '/usr/bin/python3',
      '/usr/bin/neutron-dhcp-agent',
      '--config-file',
      '/etc/neutron/neutron.conf',
      '--config-file',
      '/etc/neutron/dhcp_agent.ini',
      '--config-dir',
      '/etc/neutron/conf.d/neutron-dhcp-agent',
      '',
    ].join('\0')
    const on = '[DEFAULT]\nenable_isolated_metadata = True\n'
    const f = check(
      withConfigs(
        on,
        [
          {content: '[DEFAULT]\n', path: '/etc/neutron/neutron.conf'},
          {content: on, path: '/etc/neutron/dhcp_agent.ini'},
          {content: '[DEFAULT]\nenable_isolated_metadata = false\n', path: '/etc/neutron/conf.d/neutron-dhcp-agent/90-override.conf'},
        ],
        cmd,
      ),
    )
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(
      /^enable_isolated_metadata = false \(\/etc\/neutron\/conf\.d\/neutron-dhcp-agent\/90-override\.conf:2\) and force_metadata is off/,
    )
    expect(f.fix).toEqual({
      file: '/etc/neutron/conf.d/neutron-dhcp-agent/90-override.conf',
      section: 'DEFAULT',
      set: 'enable_isolated_metadata = True',
      why: 'it overrides /etc/neutron/dhcp_agent.ini; then systemctl restart neutron-dhcp-agent',
    })
  })

  it('other files that set nothing leave the verdict to dhcp_agent.ini, worded as before', () => {
    const f = check(
      withConfigs(OFF, [
        {content: '[DEFAULT]\n', path: '/etc/neutron/neutron.conf'},
        {content: OFF, path: '/etc/neutron/dhcp_agent.ini'},
      ]),
    )
    expect(f.status).toBe('fail')
    expect(fixCommand(f)).toBe('quantum-meta enable --config-file /etc/neutron/dhcp_agent.ini --restart')
  })
})
