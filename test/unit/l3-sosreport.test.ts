// diagnose --sosreport on an L3 agent node: a routed network whose router namespace sos kept is judged
// by the router's chain (ChainModule.fromRecorded), and what sos did not keep is not judged (exit 3),
// never failed. No sosreport of a real L3 node exists here: the harness's agents read
// /etc/qm-openstack and /var/lib/qm-openstack, which sos's openstack_neutron plugin does not copy. So
// the report is derived: the real sos 4.0 report test/fixtures/sosreport/healthy/ (a DHCP node) with,
// added under sos 4.0's own file names, the verbatim artifacts of the real Zed L3 agent in
// test/fixtures/router/ (SOURCES.md there): `ip address show` and `iptables-save` of qrouter-R,
// its haproxy's pid file, config and ps line, l3_agent.ini, and the DHCP agent's opts of the routed
// network (option:router on the gateway the qr- device holds). test/fixtures/sosreport/SOURCES.md
// records this.
import {mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {runChecks} from '../../src/chains/run.js'
import {reportsExitCode} from '../../src/diagnose/exit.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {NET as DHCP_NET, copy, read} from '../helpers/sosreport-copies.js'

const fx = (f: string) => readFileSync(new URL(`../fixtures/router/${f}`, import.meta.url), 'utf8')
const NET = '0336ad3e-f396-4d62-b4e3-df4b4820a7f0'
const ROUTER = '7f81dddf-f7cf-4161-bbae-551f6b32b521'
const NS = `qrouter-${ROUTER}`
const CMDS = 'sos_commands/networking'

/** the healthy DHCP node's sosreport plus the recorded router, as sos 4.0 would have laid it out */
function routedReport(): string {
  const dir = copy()
  const w = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), {recursive: true})
    writeFileSync(join(dir, rel), text)
  }
  appendFileSync(join(dir, CMDS, 'ip_netns'), `${NS} (id: 7)\n`)
  w(`${CMDS}/ip_netns_exec_${NS}_ip_address_show`, fx('qrouter-ip-4-addr.txt'))
  w(`${CMDS}/ip_netns_exec_${NS}_iptables-save`, fx('iptables-save-c.txt'))
  w('etc/neutron/l3_agent.ini', fx('l3_agent.ini.active-lines'))
  w(`var/lib/neutron/dhcp/${NET}/opts`, fx('opts-routed'))
  w(`var/lib/neutron/external/pids/${ROUTER}.pid.haproxy`, fx('haproxy.pid'))
  w(`var/lib/neutron/ns-metadata-proxy/${ROUTER}.conf`, fx('haproxy.conf'))
  // the haproxy and the L3 agent as ps auxwww shows them (ps-haproxy.txt's command)
  const haproxy = fx('ps-haproxy.txt').split('\n')[1].split(' 2026 ')[1].trim()
  appendFileSync(
    join(dir, 'sos_commands/process/ps_auxwww'),
    `neutron     ${fx('haproxy.pid').trim()}  0.0  0.1  12000  6000 ?        Ss   05:11   0:00 ${haproxy}\n` +
      'root        1323  0.5  2.0 300000 90000 ?        Ss   05:10   0:09 /usr/bin/python3 /usr/bin/neutron-l3-agent --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/l3_agent.ini\n',
  )
  return dir
}

const routedEvidence = async (dir: string) => {
  const {snapshot} = await read(dir)
  return {dhcp: snapshot.networks.find((e) => e.network === DHCP_NET)!, routed: snapshot.networks.find((e) => e.network === NET)!}
}
const status = (fs: {id: string; status: string}[]) => Object.fromEntries(fs.map((f) => [f.id, f.status]))

describe('diagnose --sosreport on an L3 agent node (router namespaces sos kept)', () => {
  it('the routed network is judged by the router chain, every link sos kept passing; the isolated network stays the DHCP chain', async () => {
    const {dhcp, routed} = await routedEvidence(routedReport())
    expect(dhcp.backend ?? 'dhcp-agent').toBe('dhcp-agent')
    expect(routed.backend).toBe('l3-agent')
    expect(routed.namespace).toBe(NS)
    const r = diagnoseEvidence(routed, {probe: false})
    expect(r.findings.filter((f) => f.status === 'fail')).toEqual([])
    expect(status(r.findings)).toMatchObject({
      'l3.accept': 'pass',
      'l3.config': 'pass',
      'l3.gateway-device': 'pass',
      'l3.namespace': 'pass',
      'l3.proxy': 'pass',
      'l3.proxy-config': 'pass',
      'l3.redirect': 'pass',
      'l3.router': 'pass',
      'l3.upstream': 'pass',
    })
    expect(r.findings.find((f) => f.id === 'l3.redirect')?.evidence.join('\n')).toContain(`ip netns exec ${NS} iptables-save`)
  })

  it("the router's rules not in the sosreport: l3.redirect (and what needs it) not judged, exit 3, nothing failed", async () => {
    const dir = routedReport()
    rmSync(join(dir, CMDS, `ip_netns_exec_${NS}_iptables-save`))
    const {routed} = await routedEvidence(dir)
    const r = diagnoseEvidence(routed, {probe: false})
    expect(r.findings.filter((f) => f.status === 'fail')).toEqual([])
    const redirect = r.findings.find((f) => f.id === 'l3.redirect')!
    expect(redirect).toMatchObject({status: 'skip', unjudged: true})
    expect(r.unjudged).toContain('l3.redirect')
    expect(redirect.summary).toMatch(/not in the sosreport \(no iptables-save of qrouter-/)
    expect(reportsExitCode([r])).toBe(3)
  })

  it('the proxy dead in the sosreport (its pid file left, no such process in ps): l3.proxy fails, exit 1', async () => {
    const dir = routedReport()
    writeFileSync(join(dir, `var/lib/neutron/external/pids/${ROUTER}.pid.haproxy`), '99999\n')
    const {routed} = await routedEvidence(dir)
    const r = diagnoseEvidence(routed, {probe: false})
    const first = runChecks(routed, {probe: false}).find((f) => f.status === 'fail')
    expect(first?.id).toBe('l3.proxy')
    expect(reportsExitCode([r])).toBe(1)
  })
})
