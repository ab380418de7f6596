// IPv6 metadata (fe80::a9fe:a9fe) on one node: namespace.metadata-v6 (qdhcp) and ovn.metadata-v6 (ovnmeta),
// judged on real outputs: the Zed node's `ip -4 a` + `ip -6 a` + `ss -ltnp` + haproxy.conf
// (test/fixtures/node/zed/basic-isolated/) and this machine's iproute2 6.1 in the three DAD states
// (test/fixtures/ipv6/, see its SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {namespaceMetadataV6} from '../../src/chains/dhcp-agent/ipv6.js'
import type {Finding} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {fixAlternative, fixCommand, fixText} from '../helpers/fix.js'
import {ZED_NET, zed, zedFile} from '../helpers/zed-evidence.js'

const v6File = (f: string) => readFileSync(new URL(`../fixtures/ipv6/${f}`, import.meta.url), 'utf8')
const NS = `qdhcp-${ZED_NET}`
const cmd = (argv: string[], stdout: string) => ({argv, exitCode: 0, stderr: '', stdout})
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const v6 = (ev: NetworkEvidence, opts: {probe?: boolean; peers?: NetworkEvidence[]} = {}) =>
  byId(diagnoseEvidence(ev, {probe: opts.probe ?? false, peers: opts.peers}).findings, 'namespace.metadata-v6')

/** The real Zed node with its IPv6 listing and its ss table: what `collect` records there, release and switch as Debian 12 has them. */
function zedV6(): NetworkEvidence {
  const ev = zed()
  ev.addresses = cmd(['ip', 'netns', 'exec', NS, 'ip', 'a'], zedFile('ip-4-a.txt') + zedFile('ip-6-a.txt'))
  ev.sockets = cmd(['ip', 'netns', 'exec', NS, 'ss', '-ltnp'], zedFile('ss-ltnp.txt'))
  ev.neutronRelease = {from: '/usr/lib/python3/dist-packages/neutron-21.0.0.egg-info', version: '21.0.0'}
  ev.ipv6Switch = {content: '0\n', path: '/proc/sys/net/ipv6/conf/default/disable_ipv6', state: 'present'}
  return ev
}

/** The same node with the DHCP device's addresses as `ip -j` printed them in one DAD state (device tapqmv6fx0). */
function inState(state: 'healthy' | 'tentative' | 'dadfailed'): NetworkEvidence {
  const ev = zedV6()
  ev.addresses = cmd(['ip', '-j', '-n', NS, 'addr', 'show'], v6File(`ip-j-${state}.json`))
  // haproxy as the agent writes it for this device
  ev.haproxyConfig.content = ev.haproxyConfig.content!.replace('interface ns-cdca02dc-a8', 'interface tapqmv6fx0')
  ev.sockets = cmd(['ip', 'netns', 'exec', NS, 'ss', '-ltnp'], zedFile('ss-ltnp.txt').replaceAll('%ns-cdca02dc-a8', '%tapqmv6fx0'))
  return ev
}

/** Without fe80::a9fe:a9fe on the device and without haproxy's IPv6 bind: the release's rule decides. */
function absent(release: string | undefined, ipv6Off = false): NetworkEvidence {
  const ev = zedV6()
  ev.addresses = cmd(['ip', 'netns', 'exec', NS, 'ip', 'a'], zedFile('ip-4-a.txt') + zedFile('ip-6-a.txt').replace(/ {4}inet6 fe80::a9fe:a9fe\/64.*\n.*\n/, ''))
  ev.haproxyConfig.content = ev.haproxyConfig.content!.replace(/^.*bind fe80::a9fe:a9fe.*\n/m, '')
  ev.neutronRelease = release === undefined ? {from: 'no neutron-*.egg-info or dist-info in /usr/lib/python3/dist-packages'} : {from: 'x', version: release}
  if (ipv6Off) ev.ipv6Switch = {content: '1\n', path: '/proc/sys/net/ipv6/conf/default/disable_ipv6', state: 'present'}
  return ev
}

describe('namespace.metadata-v6 (qdhcp)', () => {
  it('the real Zed node: usable on its DHCP device and haproxy listening there: a pass', () => {
    const f = v6(zedV6())
    expect(f).toMatchObject({status: 'pass', summary: 'fe80::a9fe:a9fe/64 is usable on ns-cdca02dc-a8 and haproxy listens on [fe80::a9fe:a9fe]:80'})
    expect(f.evidence).toContain(
      '/var/lib/neutron/ns-metadata-proxy/debe22fb-0d6c-4b70-9763-b422a9442bb1.conf: bind fe80::a9fe:a9fe:80 interface ns-cdca02dc-a8',
    )
    expect(diagnoseEvidence(zedV6(), {probe: false}).findings.filter((x) => x.status === 'fail')).toEqual([])
  })

  it('usable as iproute2 printed it after DAD passed: a pass', () => {
    expect(v6(inState('healthy')).status).toBe('pass')
  })

  it('dadfailed: a failure naming the device and another holder, with a fix a shell takes', () => {
    const f = v6(inState('dadfailed'))
    expect(f.status).toBe('fail')
    expect(f.summary).toBe(
      "fe80::a9fe:a9fe on tapqmv6fx0 is dadfailed: another host or port on the network (with several DHCP agents, another agent's DHCP port) already holds it, so the kernel will not use this copy and instances asking over IPv6 are not answered from here",
    )
    expect(f.evidence[0]).toBe(`ip -j -n ${NS} addr show: tapqmv6fx0 inet6 fe80::a9fe:a9fe/64 scope link dadfailed tentative`)
    expect(fixCommand(f)).toBe(`ip netns exec ${NS} ip -6 addr del fe80::a9fe:a9fe/64 dev tapqmv6fx0`)
    expect(fixAlternative(f)).toBe(`openstack network agent list --network ${ZED_NET}`)
    expect(fixText(f)).toMatch(/21\.1\.1\+ and 23\.0\.0\+ delete the loser's copy/)
  })

  it("dadfailed while another host judged with it holds a usable copy: a warning (the other DHCP agent won), the dead copy's removal", () => {
    const f = v6(inState('dadfailed'), {peers: [zedV6()]})
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/^fe80::a9fe:a9fe on tapqmv6fx0 is dadfailed: the DHCP port of another host judged here .* holds it/)
    expect(fixCommand(f)).toBe(`ip netns exec ${NS} ip -6 addr del fe80::a9fe:a9fe/64 dev tapqmv6fx0`)
    // a peer whose copy failed too is no holder: a failure again
    expect(v6(inState('dadfailed'), {peers: [inState('dadfailed')]}).status).toBe('fail')
  })

  it('tentative: a warning (DAD still running)', () => {
    const f = v6(inState('tentative'))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/^fe80::a9fe:a9fe on tapqmv6fx0 is tentative: duplicate address detection is still running/)
  })

  it('usable but haproxy bound on another device, or not bound, or not listening: failures', () => {
    const other = inState('healthy')
    other.haproxyConfig.content = other.haproxyConfig.content!.replace('interface tapqmv6fx0', 'interface tapother')
    expect(v6(other)).toMatchObject({status: 'fail', summary: 'haproxy binds fe80::a9fe:a9fe:80 on tapother, but the address is on tapqmv6fx0'})
    const unbound = inState('healthy')
    unbound.haproxyConfig.content = unbound.haproxyConfig.content!.replace(/^.*bind fe80::a9fe:a9fe.*\n/m, '')
    expect(v6(unbound).summary).toMatch(/binds no fe80::a9fe:a9fe:80: instances asking over IPv6 are refused$/)
    const deaf = inState('healthy')
    deaf.sockets = cmd(deaf.sockets!.argv, zedFile('ss-ltnp.txt').replace(/^.*\[fe80::a9fe:a9fe\]%ns-cdca02dc-a8:80 .*\n/m, ''))
    expect(v6(deaf).summary).toMatch(/but the proxy listens on no \[fe80::a9fe:a9fe\]:80/)
  })

  it("haproxy's config binds it but the device lacks it: a failure with the restart, adding it by hand the alternative", () => {
    const ev = absent('21.0.0')
    ev.haproxyConfig.content = zedFile('haproxy.conf')
    const f = v6(ev)
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/^haproxy's config binds fe80::a9fe:a9fe:80 on ns-cdca02dc-a8, but ns-cdca02dc-a8 does not hold the address/)
    expect(fixCommand(f)).toBe('systemctl restart neutron-dhcp-agent')
    expect(fixAlternative(f)).toBe(`ip netns exec ${NS} ip -6 addr add fe80::a9fe:a9fe/64 dev ns-cdca02dc-a8`)
  })

  it("absent: the release's rule (17.0.0 with IPv6 on; 26.0.0 only with an IPv6 subnet), or said not told", () => {
    expect(v6(absent('21.0.0'))).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/Neutron 21\.0\.0 adds fe80::a9fe:a9fe\/64 to ns-cdca02dc-a8 when isolated metadata is on and the host has IPv6/),
    })
    expect(v6(absent('21.0.0', true))).toMatchObject({skipped: 'not-here', status: 'skip', summary: expect.stringMatching(/the host has IPv6 disabled/)})
    expect(v6(absent('16.4.2'))).toMatchObject({
      skipped: 'not-here',
      summary: expect.stringMatching(/Neutron 16\.4\.2 predates IPv6 metadata \(the DHCP agent 17\.0\.0\+\)/),
    })
    const unknown = v6(absent(undefined))
    expect(unknown).toMatchObject({skipped: 'not-told', status: 'skip'})
    expect(unknown.summary).toMatch(/depends on the Neutron release, which the evidence does not tell/)
    expect(unknown.unjudged).toBeUndefined()
    // 26.0.0: only with an IPv6 subnet, which the API tells
    expect(v6(absent('26.0.0'))).toMatchObject({skipped: 'not-told', summary: expect.stringMatching(/only on a network with an IPv6 subnet/)})
    const withApi = (subnets: object[]) => {
      const ev = absent('26.0.0')
      ev.api = {host: 'h', hostFrom: 'x', records: [{body: JSON.stringify({subnets}), method: 'GET', path: `/subnets?network_id=${ZED_NET}`, status: 200}]}
      return ev
    }
    const v4 = {cidr: '198.51.100.0/24', enable_dhcp: true, gateway_ip: null, id: '366aea06-40b3-4962-8342-b8b7c326e34d', ip_version: 4}
    expect(v6(withApi([v4]))).toMatchObject({
      skipped: 'not-here',
      summary: expect.stringMatching(/no IPv6 subnet, and Neutron 26\.0\.0 serves IPv6 metadata only with one/),
    })
    const both = withApi([v4, {...v4, cidr: '2001:db8::/64', id: '6ee0d3ad-8a2e-4d2b-9d6c-5c3f0f1b2a10', ip_version: 6}])
    expect(v6(both)).toMatchObject({status: 'fail', summary: expect.stringMatching(/the network has an IPv6 subnet \(2001:db8::\/64, from the API\)/)})
  })

  it('a Quantum node and an IPv4-only listing: not served / not told, neither holding a verdict back', () => {
    // the check itself (diagnose tells the layout from the paths, which are Neutron's here)
    const ev = absent(undefined)
    ev.layout = 'quantum'
    expect(namespaceMetadataV6.run(ev, {probe: false})).toMatchObject({skipped: 'not-here', summary: expect.stringMatching(/Quantum predates IPv6 metadata/)})
    const old = zed() // `ip -4 a`, netstat -4: as hand-made snapshots and older collections have it
    expect(v6(old)).toMatchObject({skipped: 'not-told', summary: expect.stringMatching(/lists no IPv6 addresses .*not collected/)})
  })
})

describe('probe.http6 (--probe over IPv6)', () => {
  const probe6 = (status: number | undefined, error?: string) => {
    const ev = zedV6()
    ev.probe6 = {
      argv: ['ip', 'netns', 'exec', NS, 'GET', 'http://[fe80::a9fe:a9fe%ns-cdca02dc-a8]/'],
      url: 'http://[fe80::a9fe:a9fe%ns-cdca02dc-a8]/',
      ...(status === undefined ? {error} : {status}),
    }
    return byId(diagnoseEvidence(ev, {probe: true}).findings, 'probe.http6')
  }
  it('200 or 404 (the namespace is no instance) pass; refused fails; without --probe not asked', () => {
    expect(probe6(200)).toMatchObject({
      status: 'pass',
      summary: `GET http://[fe80::a9fe:a9fe%ns-cdca02dc-a8]/ from inside ${NS} answered 200: IPv6 metadata answers`,
    })
    expect(probe6(404).status).toBe('pass')
    expect(probe6(undefined, 'refused')).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/: refused: instances asking over IPv6 get no metadata$/),
    })
    expect(byId(diagnoseEvidence(zedV6(), {probe: false}).findings, 'probe.http6')).toMatchObject({skipped: 'not-asked', status: 'skip'})
  })
})

describe('ovn.metadata-v6 (ovnmeta)', () => {
  const ovn = (): NetworkEvidence =>
    (JSON.parse(readFileSync(new URL('../fixtures/ovn/snapshots/healthy.json', import.meta.url), 'utf8')) as Snapshot).networks[0]
  const judge = (ev: NetworkEvidence) => diagnoseEvidence(ev, {probe: false})

  it('the real chassis (Neutron 21, OVN 23.03) serves no IPv6 metadata: not told without the release, not served with it; healthy either way', () => {
    const r = judge(ovn())
    expect(byId(r.findings, 'ovn.metadata-v6')).toMatchObject({skipped: 'not-told', status: 'skip'})
    expect(r.verdict).toBe('healthy')
    const ev = ovn()
    ev.neutronRelease = {from: '/usr/lib/python3/dist-packages/neutron-21.0.0.egg-info', version: '21.0.0'}
    ev.ipv6Switch = {content: '0\n', path: '/proc/sys/net/ipv6/conf/default/disable_ipv6', state: 'present'}
    const f = byId(judge(ev).findings, 'ovn.metadata-v6')
    expect(f).toMatchObject({
      skipped: 'not-here',
      summary: expect.stringMatching(/Neutron 21\.0\.0 predates IPv6 metadata \(the OVN metadata agent 24\.0\.0\+\)/),
    })
    ev.neutronRelease.version = '24.0.0'
    expect(byId(judge(ev).findings, 'ovn.metadata-v6')).toMatchObject({status: 'fail', summary: expect.stringMatching(/though Neutron 24\.0\.0 adds/)})
  })

  it('the address dadfailed on the veth: a failure naming it', () => {
    const ev = ovn()
    const doc = JSON.parse(ev.addresses!.stdout) as {ifname: string; addr_info: object[]}[]
    const veth = doc.find((i) => i.ifname.startsWith('tap'))!
    veth.addr_info.push({dadfailed: true, family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link', tentative: true})
    ev.addresses!.stdout = JSON.stringify(doc)
    const f = byId(judge(ev).findings, 'ovn.metadata-v6')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(new RegExp(`^fe80::a9fe:a9fe on ${veth.ifname} is dadfailed: another port on the network already holds it`))
    expect(fixCommand(f)).toBe(`ip netns exec ${ev.namespace} ip -6 addr del fe80::a9fe:a9fe/64 dev ${veth.ifname}`)
  })
})

describe('snapshots', () => {
  const doc = (net: NetworkEvidence) => ({format: 'quantum-meta-snapshot/1', host: 'h', networks: [net], takenAt: '2026-12-07T19:00:00Z', tool: 'quantum-meta'})
  it('the new fields read back; an older snapshot without them still loads; a wrong type is named', () => {
    const ev = zedV6()
    ev.probe6 = {
      argv: ['ip', 'netns', 'exec', NS, 'GET', 'http://[fe80::a9fe:a9fe%ns-cdca02dc-a8]/'],
      status: 200,
      url: 'http://[fe80::a9fe:a9fe%ns-cdca02dc-a8]/',
    }
    const r = checkSnapshot(JSON.parse(JSON.stringify(doc(ev))))
    expect(r.ok).toBe(true)
    if (r.ok) {
      expect(r.snapshot.networks[0].neutronRelease).toEqual(ev.neutronRelease)
      expect(r.snapshot.networks[0].ipv6Switch).toEqual(ev.ipv6Switch)
      expect(r.snapshot.networks[0].probe6).toEqual(ev.probe6)
    }
    expect(checkSnapshot(JSON.parse(JSON.stringify(doc(zed())))).ok).toBe(true)
    const bad = JSON.parse(JSON.stringify(doc(ev)))
    bad.networks[0].neutronRelease = {version: 21}
    expect(checkSnapshot(bad)).toMatchObject({field: 'networks[0].neutronRelease.from', ok: false})
  })
})
