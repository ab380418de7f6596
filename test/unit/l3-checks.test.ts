import {describe, expect, it} from 'vitest'

import {L3_AGENT_CHECKS} from '../../src/chains/l3-agent/chain.js'
import {l3CrossFindings} from '../../src/chains/l3-agent/cross.js'
import {haRole, keepalivedAddresses, l3Settings} from '../../src/chains/l3-agent/facts.js'
import {restartL3Agent} from '../../src/chains/l3-agent/restart.js'
import type {Finding} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {NetworkEvidence} from '../../src/evidence/evidence.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {nodeBackend, routerChainInstead} from '../../src/diagnose/live.js'
import {chainFor} from '../../src/chains/registry.js'
import {zed} from '../helpers/zed-evidence.js'
import {fixCommand} from '../helpers/fix.js'

import {cmd, fx, HA_NS, HA_ROUTER, ha, healthy, NET, NS, ROUTER, STATE} from '../helpers/l3-evidence.js'

const judge = (ev: NetworkEvidence, probe = false) => diagnoseEvidence(ev, {probe})
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const firstBroken = (fs: Finding[]) => fs.find((f) => f.status === 'fail')
const RESTART = 'systemctl restart neutron-l3-agent'

describe('the L3 agent chain on a real router (router-chain.md)', () => {
  it('healthy: every link passes (the probe is not asked for), in chain order; the evidence reads back through the snapshot schema', () => {
    const r = judge(healthy())
    expect(r.backend).toBe('l3-agent')
    expect(r.healthy).toBe(true)
    expect(r.findings.map((f) => f.id)).toEqual(L3_AGENT_CHECKS.map((c) => c.id))
    expect(r.findings.filter((f) => f.status !== 'pass').map((f) => `${f.id} ${f.status}`)).toEqual([
      'l3.metadata-log skip',
      'l3.probe skip',
      'nova.config skip',
      'nova.reach skip',
      'nova.answer skip',
    ])
    expect(byId(r.findings, 'l3.router').summary).toBe(`router ${ROUTER} serves this network here (found by its namespace; no API answer in the evidence)`)
    expect(byId(r.findings, 'l3.gateway-device').summary).toBe('qr-eab24fb2-dd holds the gateway 198.18.77.1/24')
    expect(byId(r.findings, 'l3.redirect')).toMatchObject({
      evidence: [
        `ip netns exec ${NS} iptables-save -c:80: -A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697`,
        `${STATE}/ns-metadata-proxy/${ROUTER}.conf: bind :::9697`,
      ],
      summary: 'nat neutron-l3-agent-PREROUTING sends 169.254.169.254:80 to port 9697 (REDIRECT), where the proxy listens',
    })
    expect(byId(r.findings, 'l3.accept').summary).toBe(
      'filter INPUT accepts the redirected request to port 9697 by the neutron-l3-agent-INPUT rule on line 59 (mark 0x1/0xffff)',
    )
    expect(byId(r.findings, 'l3.proxy').summary).toBe(`haproxy pid 2661 runs for router ${ROUTER}`)
    expect(byId(r.findings, 'l3.proxy-config').summary).toBe(
      `the proxy binds port 9697, sends X-Neutron-Router-ID ${ROUTER} and forwards to ${STATE}/metadata_proxy`,
    )
    expect(byId(r.findings, 'l3.listener').summary).toBe(`the proxy (pid 2661) listens on *:9697 in ${NS}`)
    expect(byId(r.findings, 'l3.ha').summary).toMatch(/is not an HA router here/)
    const doc = checkSnapshot({format: 'quantum-meta-snapshot/1', host: 'lab-host', networks: [healthy()], takenAt: '2026-12-07T05:12:29Z', tool: 't'})
    expect(doc.ok).toBe(true)
  })

  it("the snapshot schema: the router part is required for the l3-agent backend, its namespace is the router's, its id a UUID", () => {
    const check = (edit: (ev: NetworkEvidence & Record<string, unknown>) => void) => {
      const ev = healthy() as NetworkEvidence & Record<string, unknown>
      edit(ev)
      return checkSnapshot({format: 'quantum-meta-snapshot/1', host: 'h', networks: [ev], takenAt: 't', tool: 't'})
    }
    expect(check((ev) => delete ev.router)).toEqual({field: 'networks[0].router', ok: false, problem: 'required for the l3-agent backend'})
    expect(check((ev) => (ev.namespace = `qdhcp-${NET}`))).toMatchObject({field: 'networks[0].namespace', ok: false})
    expect(check((ev) => (ev.router!.id = '../../etc'))).toMatchObject({field: 'networks[0].router.id', ok: false})
    // no router found: no namespace
    expect(check((ev) => Object.assign(ev, {namespace: '', router: {...ev.router, id: undefined}}))).toMatchObject({ok: true})
    expect(check((ev) => Object.assign(ev, {backend: 'dhcp-agent', namespace: ''}))).toMatchObject({field: 'networks[0].namespace', ok: false})
  })

  it('the same rules read from nft (iptables-save showed nothing: rules only in nf_tables) judge the same', () => {
    const ev = healthy()
    ev.router!.rules = [
      cmd(['ip', 'netns', 'exec', NS, 'iptables-legacy-save'], fx('iptables-legacy-save.txt')),
      cmd(['ip', 'netns', 'exec', NS, 'nft', 'list', 'ruleset'], fx('nft-list-ruleset.txt')),
    ]
    const r = judge(ev)
    expect(r.healthy).toBe(true)
    expect(byId(r.findings, 'l3.redirect').evidence[0]).toMatch(
      /^ip netns exec \S+ nft list ruleset:\d+: iifname "qr-\*" ip daddr 169\.254\.169\.254 tcp dport 80 redirect to :9697$/,
    )
    expect(byId(r.findings, 'l3.accept').status).toBe('pass')
  })

  it('a: the proxy killed: l3.proxy fails naming the dead pid, with the agent restart; the probe is refused', () => {
    const ev = healthy()
    ev.processes = [{alive: false, from: ev.haproxyPidFile.path, pid: 2661, role: 'proxy'}]
    ev.sockets = cmd(['ip', 'netns', 'exec', NS, 'ss', '-ltnp'], 'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n')
    ev.probe = {argv: ['ip', 'netns', 'exec', NS, 'GET', 'http://127.0.0.1:9697/'], error: 'refused', ms: 0, url: 'http://127.0.0.1:9697/'}
    const r = judge(ev, true)
    expect(firstBroken(r.findings)).toMatchObject({id: 'l3.proxy', summary: expect.stringMatching(/pid 2661 .* is not running: it died/)})
    expect(fixCommand(byId(r.findings, 'l3.proxy'))).toBe(RESTART)
    expect(byId(r.findings, 'l3.probe')).toMatchObject({status: 'fail', summary: expect.stringMatching(/refused: nothing listens on the proxy port/)})
  })

  it('b: the REDIRECT deleted: l3.redirect fails, says the agent does not re-add it by itself, fix the agent restart', () => {
    for (const rules of [
      cmd(['ip', 'netns', 'exec', NS, 'iptables-save'], fx('replay-nft-redirect-deleted-iptables-save.txt')),
      cmd(['ip', 'netns', 'exec', NS, 'nft', 'list', 'ruleset'], fx('replay-nft-redirect-deleted-nft-ruleset.txt')),
    ]) {
      const ev = healthy()
      ev.router!.rules = [rules]
      const f = firstBroken(judge(ev).findings)!
      expect(f.id).toBe('l3.redirect')
      expect(f.summary).toMatch(/^no nat PREROUTING rule in qrouter-\S+ sends 169\.254\.169\.254:80 to the proxy/)
      expect(f.fix).toEqual({command: RESTART, why: 'its full sync re-applies the rule'})
    }
  })

  it('c: enable_metadata_proxy = False (agent restarted): l3.config fails with the config line; the rule links after it are skipped', () => {
    const ev = healthy()
    const off = fx('l3_agent.ini.active-lines').replace('enable_metadata_proxy = True', 'enable_metadata_proxy = False')
    ev.router!.configs[1] = {...ev.router!.configs[1], content: off}
    ev.config = ev.router!.configs[1]
    ev.router!.rules = [cmd(['ip', 'netns', 'exec', NS, 'iptables-save'], fx('fault-c-iptables-save.txt'))]
    const r = judge(ev)
    const f = firstBroken(r.findings)!
    expect(f.id).toBe('l3.config')
    expect(f.evidence[0]).toBe('enable_metadata_proxy = False (/etc/neutron/l3_agent.ini:6)')
    expect(f.fix).toEqual({
      file: '/etc/neutron/l3_agent.ini',
      section: 'DEFAULT',
      set: 'enable_metadata_proxy = True',
      why: `then ${RESTART}: its full sync adds the redirect and starts the proxy`,
    })
    expect(byId(r.findings, 'l3.redirect')).toMatchObject({status: 'skip', summary: 'skipped: l3.config failed'})
  })

  it('d: the namespace deleted, found through the API: l3.namespace fails with the restart that re-creates it', () => {
    const ev = withApi(healthy())
    ev.router!.id = undefined
    ev.router!.foundBy = undefined
    ev.namespace = ''
    ev.namespaces = cmd(['ip', 'netns'], fx('ip-netns.txt').replace(/^qrouter-.*\n/m, ''))
    ev.addresses = undefined
    ev.router!.rules = undefined
    ev.processes = []
    const r = judge(ev)
    expect(byId(r.findings, 'l3.router').status).toBe('pass')
    expect(firstBroken(r.findings)).toMatchObject({id: 'l3.namespace', summary: `no namespace ${NS} on this node: the router is not set up here`})
    expect(byId(r.findings, 'l3.namespace').fix).toEqual({command: RESTART, why: 'its full sync re-creates the namespace'})
  })

  it('d without API credentials: the DHCP side routes via the router but no namespace here holds it: a warning, not a pass', () => {
    const ev = healthy()
    Object.assign(ev, {addresses: undefined, namespace: '', namespaces: cmd(['ip', 'netns'], fx('ip-netns.txt').replace(/^qrouter-.*\n/m, ''))})
    Object.assign(ev.router!, {found: ['no qrouter namespace here has 198.18.77.1 (0 looked at)'], foundBy: undefined, id: undefined, rules: undefined})
    const f = byId(judge(ev).findings, 'l3.router')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/routes 169\.254\.169\.254 via the gateway 198\.18\.77\.1 \(a router holds it\), but no qrouter namespace on this node has it/)
  })

  it("e: the metadata agent stopped (its socket left behind): l3.upstream fails; the probe reads haproxy's 503", () => {
    const ev = healthy()
    ev.upstreamSocket = {connect: 'ECONNREFUSED', path: `${STATE}/metadata_proxy`, state: 'present', type: 'socket'}
    const answer = fx('fault-e-probe-503.txt')
    ev.probe = {
      argv: ['ip', 'netns', 'exec', NS, 'GET', 'http://127.0.0.1:9697/'],
      body: answer.slice(answer.indexOf('<html>')),
      status: 503,
      url: 'http://127.0.0.1:9697/',
    }
    const r = judge(ev, true)
    expect(firstBroken(r.findings)).toMatchObject({
      fix: {
        command: 'systemctl restart neutron-metadata-agent',
        why: expect.stringContaining('the L3 and metadata agents must agree on metadata_proxy_socket'),
      },
      id: 'l3.upstream',
      summary: `nothing accepts connections on ${STATE}/metadata_proxy (ECONNREFUSED): instances get 503 from haproxy`,
    })
    expect(byId(r.findings, 'l3.probe').summary).toMatch(/503: haproxy has no server/)
    expect(byId(r.findings, 'l3.probe').fix).toMatchObject({
      command: 'systemctl restart neutron-metadata-agent',
      why: expect.stringContaining('and see l3.upstream: '),
    })
  })

  it('f: the L3 agent stopped (haproxy still serves): a warning only, exit-0 healthy as the instance still gets 200', () => {
    const ev = healthy()
    ev.router!.agents = []
    const r = judge(ev)
    expect(r.healthy).toBe(true)
    expect(byId(r.findings, 'l3.agent')).toMatchObject({fix: {command: 'systemctl start neutron-l3-agent'}, status: 'warn'})
  })

  it('the agent started before its config changed: l3.agent warns with the restart', () => {
    const ev = healthy()
    ev.router!.configs[1].mtime = '2026-12-07T05:13:00.000Z'
    expect(byId(judge(ev).findings, 'l3.agent')).toMatchObject({fix: {command: RESTART}, status: 'warn'})
  })

  it('g: the router interface removed: no router serves the network, skipped toward the DHCP chain', () => {
    const ev = healthy()
    ev.opts.content = fx('opts-isolated-after-remove')
    Object.assign(ev, {addresses: undefined, namespace: ''})
    Object.assign(ev.router!, {found: ['no qrouter namespace here has 198.18.77.1 (1 looked at)'], foundBy: undefined, id: undefined})
    const r = judge(ev)
    // without the API, whether another L3 agent host serves it cannot be told: not judged (exit 3), not healthy
    expect(r.verdict).toBe('not-judged')
    expect(byId(r.findings, 'l3.router')).toMatchObject({status: 'skip', summary: expect.stringContaining(`quantum-meta diagnose ${NET} --backend dhcp-agent`)})
    // and with the API: no router interface holds the gateway any more
    const api = withApi(healthy())
    api.api!.records = api.api!.records.map((x) => (x.path.startsWith('/ports?') ? {...x, body: '{"ports": []}'} : x))
    const notRouted = judge(api)
    expect(byId(notRouted.findings, 'l3.router').summary).toMatch(/^no router interface holds the gateway 198\.18\.77\.1: the network is not routed/)
    // the API says no router serves it: not this chain's network, so nothing is held back as unjudged by it
    expect(byId(notRouted.findings, 'l3.router').skipped).toBe('not-here')
  })

  it('the redirect to another port than the proxy binds: l3.redirect names both', () => {
    const ev = healthy()
    ev.router!.rules = [cmd(['ip', 'netns', 'exec', NS, 'iptables-save'], fx('iptables-save-c.txt').replace('--to-ports 9697', '--to-ports 9698'))]
    expect(firstBroken(judge(ev).findings)).toMatchObject({id: 'l3.redirect', summary: expect.stringMatching(/to port 9698, but the proxy listens on 9697/)})
  })

  it('the mangle mark gone: the filter drop of 9697 catches the redirected request (l3.accept)', () => {
    const ev = healthy()
    const rules = fx('iptables-save-c.txt')
      .split('\n')
      .filter((l) => !l.includes('MARK --set-xmark 0x1/0xffff'))
      .join('\n')
    ev.router!.rules = [cmd(['ip', 'netns', 'exec', NS, 'iptables-save'], rules)]
    const f = firstBroken(judge(ev).findings)!
    expect(f.id).toBe('l3.accept')
    expect(f.summary).toMatch(/drops the redirected request to port 9697: nothing marks it/)
  })

  it("a proxy config naming another router, or a DHCP agent's network header: l3.proxy-config fails", () => {
    const ev = healthy()
    ev.haproxyConfig.content = fx('haproxy.conf').replace(`X-Neutron-Router-ID ${ROUTER}`, 'X-Neutron-Router-ID 11111111-2222-4333-8444-555555555555')
    expect(firstBroken(judge(ev).findings)).toMatchObject({
      id: 'l3.proxy-config',
      summary: expect.stringContaining(`it sends X-Neutron-Router-ID 11111111-2222-4333-8444-555555555555, not ${ROUTER}`),
    })
  })

  it('a proxy left running in a deleted namespace (d0): l3.proxy fails and names both namespaces', () => {
    const ev = healthy()
    ev.namespaceInode = 'net:[4026532999]'
    expect(firstBroken(judge(ev).findings)).toMatchObject({id: 'l3.proxy', summary: expect.stringMatching(/runs outside qrouter-\S+ \(net:\[4026532517\]/)})
  })

  it('the API finds the router (its interface port on the gateway) and the agents hosting it', () => {
    const r = judge(withApi(healthy()))
    expect(r.healthy).toBe(true)
    expect(byId(r.findings, 'l3.router')).toMatchObject({
      evidence: expect.arrayContaining([
        `GET /v2.0/ports?network_id=${NET}: port eab24fb2-dd4c-452d-b4f5-014bcf514434 network:router_interface of router ${ROUTER} holds 198.18.77.1 (host lab-host)`,
      ]),
      summary: `router ${ROUTER} serves this network (its interface holds the gateway 198.18.77.1)`,
    })
  })

  it('the router hosted by another L3 agent host: l3.namespace skips, naming it', () => {
    const ev = withApi(healthy())
    Object.assign(ev, {namespace: '', namespaces: cmd(['ip', 'netns'], fx('ip-netns.txt').replace(/^qrouter-.*\n/m, ''))})
    Object.assign(ev.router!, {foundBy: undefined, id: undefined})
    ev.api!.host = 'lab-host2'
    expect(byId(judge(ev).findings, 'l3.namespace')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/hosted by the L3 agent on lab-host, not this node \(lab-host2\)/),
    })
  })
})

describe('HA routers (router-chain.md, two real L3 agents)', () => {
  it('the master serves: l3.ha passes and its qr- device holds the gateway', () => {
    const r = judge(ha('primary'))
    expect(byId(r.findings, 'l3.ha').summary).toBe(`keepalived made this node the master of router ${HA_ROUTER}: it serves the network's metadata`)
    expect(byId(r.findings, 'l3.gateway-device').summary).toBe('qr-c26e9e4b-97 holds the gateway 198.18.78.1/24')
    expect(byId(r.findings, 'l3.listener').status).toBe('pass')
    expect(r.healthy).toBe(true)
  })

  it('a backup: "served by the master, not here", and the links it does not hold (no gateway address, no proxy) are skipped, not failed', () => {
    const r = judge(ha('backup'))
    expect(byId(r.findings, 'l3.ha')).toMatchObject({
      status: 'skip',
      summary: expect.stringMatching(/backup of HA router .*: the master serves the network's metadata, not here/),
    })
    expect(r.findings.filter((f) => f.status === 'fail')).toEqual([])
    expect(byId(r.findings, 'l3.proxy')).toMatchObject({status: 'skip', summary: 'skipped: l3.ha was skipped'})
    expect(r.healthy).toBe(true)
  })

  // The failover's old master on the harness's two hosts (test/openstack/l3-ha.test.ts): its ha- link
  // down, keepalived in FAULT, and Zed's state file says backup all the same
  const haDown = () => {
    const ev = ha('backup')
    ev.addresses = cmd(['nsenter', `--net=/run/netns/${HA_NS}`, 'ip', '-j', 'addr', 'show'], fx('ha-backup-ha-down-ip-j-addr.json'))
    ev.router!.haState!.content = fx('ha-backup-ha-down-state')
    return ev
  }

  it('a backup whose ha- device is down fails l3.ha: it cannot take over, though its state file says backup', () => {
    const r = judge(haDown())
    const f = byId(r.findings, 'l3.ha')
    expect(f).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(
        new RegExp(
          `^this node is a backup of HA router ${HA_ROUTER}, but its HA device ha-[0-9a-f-]{11} is down: keepalived here hears no master and cannot take over`,
        ),
      ),
    })
    expect(f.evidence).toContainEqual(expect.stringMatching(/: ha-[0-9a-f-]{11} <BROADCAST,MULTICAST>$/))
    expect(fixCommand(f)).toMatch(new RegExp(`^ip netns exec qrouter-${HA_ROUTER} ip link set ha-[0-9a-f-]{11} up$`))
    expect(byId(r.findings, 'l3.gateway-device')).toMatchObject({status: 'skip', summary: 'skipped: l3.ha failed'})
    expect(r.healthy).toBe(false)
  })

  it('the same backup with its ha- device up is "served by the master, not here" again', () => {
    const ev = haDown()
    const devices = JSON.parse(ev.addresses!.stdout) as {ifname: string; flags: string[]}[]
    for (const d of devices) if (d.ifname.startsWith('ha-')) d.flags = ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']
    ev.addresses!.stdout = JSON.stringify(devices)
    const r = judge(ev)
    expect(byId(r.findings, 'l3.ha')).toMatchObject({status: 'skip', summary: expect.stringMatching(/backup of HA router .*: the master serves/)})
    expect(r.healthy).toBe(true)
  })

  it('across hosts: exactly one master passes; two masters, or none, fail', () => {
    const hosts = (a: string, b: string) => {
      const x = ha('primary')
      const y = ha('backup')
      x.router!.haState!.content = a
      y.router!.haState!.content = b
      return [
        {ev: x, host: 'lab-host'},
        {ev: y, host: 'lab-host2'},
      ]
    }
    expect(l3CrossFindings(hosts('primary', 'backup'))).toMatchObject([
      {id: 'cross.l3-ha-master', status: 'pass', summary: `lab-host is the one master of HA router ${HA_ROUTER}`},
    ])
    expect(l3CrossFindings(hosts('primary', 'master'))[0]).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/^lab-host and lab-host2 are all master/),
    })
    expect(l3CrossFindings(hosts('backup', 'backup'))[0]).toMatchObject({status: 'fail', summary: expect.stringMatching(/^no host is the master/)})
    // a router without keepalived state is no HA router: nothing to compare
    expect(l3CrossFindings([{ev: healthy(), host: 'lab-host'}])).toEqual([])
  })
})

describe('the L3 chain facts', () => {
  it("keepalived.conf: the gateway the master holds on qr- (a backup's way to its router)", () => {
    expect(keepalivedAddresses(fx('ha-keepalived.conf'))).toEqual([
      {address: '169.254.0.37', dev: 'ha-fb7b0970-6d', prefixlen: 24},
      {address: '198.18.78.1', dev: 'qr-c26e9e4b-97', prefixlen: 24},
      {address: 'fe80::f816:3eff:fee5:cfd5', dev: 'qr-c26e9e4b-97', prefixlen: 64},
    ])
  })

  it('the state file: primary (Xena on) and master are the master; backup; anything else unknown', () => {
    expect([fx('ha-state-primary'), 'master\n', fx('ha-state-backup'), 'fault', 'x'].map(haRole)).toEqual(['master', 'master', 'backup', 'fault', 'unknown'])
  })

  it("the agent's settings: Debian's l3_agent.ini over neutron.conf, defaults where unset, $state_path expanded", () => {
    const s = l3Settings(healthy().router!.configs, 'neutron')
    expect(s).toMatchObject({
      enableMetadataProxy: {line: 6, path: '/etc/neutron/l3_agent.ini', value: true},
      haConfsPath: {value: '/var/lib/neutron/ha_confs'},
      metadataPort: {line: 7, value: 9697},
      socket: {value: '/var/lib/neutron/metadata_proxy'},
      statePath: {line: 4, path: '/etc/neutron/neutron.conf', value: '/var/lib/neutron'},
    })
    expect(l3Settings([], 'quantum').statePath.value).toBe('/var/lib/quantum')
    expect(restartL3Agent({layout: 'quantum'})).toBe('systemctl restart quantum-l3-agent')
  })
})

/** The healthy evidence with the API's answers: the router's port (api-ports-device_id.json, the network's other ports left out), its subnet's gateway (router-chain.md's header), the router and its agents. */
function withApi(ev: NetworkEvidence): NetworkEvidence {
  const subnets = JSON.stringify({
    subnets: [{cidr: '198.18.77.0/24', enable_dhcp: true, gateway_ip: '198.18.77.1', id: '16eb271c-258b-450b-ba0a-9e964019b73f', ip_version: 4}],
  })
  return {
    ...ev,
    api: {
      host: 'lab-host',
      hostFrom: 'host in /etc/neutron/neutron.conf',
      records: [
        {body: subnets, method: 'GET', path: `/subnets?network_id=${NET}`, status: 200},
        {body: fx('api-ports-device_id.json'), method: 'GET', path: `/ports?network_id=${NET}`, status: 200},
        {body: fx('api-router.json'), method: 'GET', path: `/routers/${ROUTER}`, status: 200},
        {body: fx('api-router-l3-agents.json'), method: 'GET', path: `/routers/${ROUTER}/l3-agents`, status: 200},
      ],
    },
    router: {...ev.router!, found: [`GET /v2.0/ports?network_id=${NET}: port eab24fb2-dd4c-452d-b4f5-014bcf514434 of router ${ROUTER}`], foundBy: 'api'},
  }
}

describe('which chain a node gets (nodeBackend)', () => {
  const on =
    (...files: string[]) =>
    (p: string) =>
      files.includes(p)
  const never = (patterns: readonly RegExp[]) => patterns.map(() => false)
  it('l3-agent: asked for, an l3_agent.ini given, or the only agent config on the node', () => {
    expect(nodeBackend({backend: 'l3-agent'}, on(), never)).toBe('l3-agent')
    expect(nodeBackend({given: {configFile: '/etc/kolla/neutron-l3-agent/l3_agent.ini'}}, on(), never)).toBe('l3-agent')
    expect(nodeBackend({network: NET}, on('/etc/neutron/l3_agent.ini'), never)).toBe('l3-agent')
  })
  it('a node with a DHCP agent as well keeps the DHCP chain unless asked (and a network with its qdhcp namespace always)', () => {
    expect(nodeBackend({network: NET}, on('/etc/neutron/l3_agent.ini', '/etc/neutron/dhcp_agent.ini'), never)).toBe('dhcp-agent')
    expect(nodeBackend({network: NET}, on('/etc/neutron/l3_agent.ini', `/run/netns/qdhcp-${NET}`), never)).toBe('dhcp-agent')
    expect(nodeBackend({given: {configFile: '/etc/neutron/dhcp_agent.ini'}}, on('/etc/neutron/l3_agent.ini'), never)).toBe('dhcp-agent')
  })
})

describe('a routed network on a node with a DHCP agent and an L3 agent (routerChainInstead)', () => {
  const TAG = 'tag:subnet-366aea06-40b3-4962-8342-b8b7c326e34d'
  const routed = () => {
    const ev = zed()
    ev.opts.content = `${TAG},option:classless-static-route,169.254.169.254/32,198.51.100.254,0.0.0.0/0,198.51.100.254\n${TAG},option:router,198.51.100.254\n`
    return ev
  }
  const none = (patterns: readonly RegExp[]) => patterns.map(() => false)
  const l3Runs = (patterns: readonly RegExp[]) => patterns.map((p) => p.test('/usr/bin/python3\0/usr/bin/neutron-l3-agent\0--config-file\0x'))
  const dhcp = chainFor('dhcp-agent')!
  it("the DHCP chain's evidence says its router serves it: the L3 agent's chain, when installed or running here", () => {
    expect(routerChainInstead(dhcp, routed(), (p) => p === '/etc/neutron/l3_agent.ini', none)?.backend).toBe('l3-agent')
    expect(routerChainInstead(dhcp, routed(), () => false, l3Runs)?.backend).toBe('l3-agent')
  })
  it('no L3 agent here, an isolated network, or force_metadata on: the DHCP chain stays', () => {
    expect(routerChainInstead(dhcp, routed(), () => false, none)).toBeUndefined()
    expect(routerChainInstead(dhcp, zed(), () => true, l3Runs)).toBeUndefined()
    const forced = routed()
    forced.config.content = `${forced.config.content}\n[DEFAULT]\nforce_metadata = True\nenable_isolated_metadata = True\n`
    expect(routerChainInstead(dhcp, forced, () => true, l3Runs)).toBeUndefined()
  })
})
