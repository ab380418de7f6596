// The router artifacts the project's own harness recorded from Debian 12's real neutron-l3-agent at each
// state of test/openstack/l3-harness.test.ts (test/fixtures/router/harness/, SOURCES.md): what the router
// chain's parsers read of them, the healthy router and each fault.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseHaproxyConfig} from '../../../src/parse/haproxy.js'
import {type FwRule, parseIptablesSave, ruleCount, rulesFrom, type Ruleset} from '../../../src/parse/iptables-save.js'
import {parseNftRuleset} from '../../../src/parse/nft.js'

const ROUTER = 'ccff5c4c-c2e1-45cd-804e-3536c2389d07'
const STATE = '/var/lib/qm-openstack/neutron'
const fx = (state: string, f: string) => readFileSync(new URL(`../../fixtures/router/harness/${state}/${f}`, import.meta.url), 'utf8')
const metadata = (r: FwRule) => r.destination?.replace(/\/32$/, '') === '169.254.169.254' && r.dport === 80

/** What the metadata chain reads of a ruleset, the same whichever tool printed it. */
function summary(rs: Ruleset) {
  return {
    accept: rulesFrom(rs, 'filter', 'INPUT')
      .filter((r) => ['ACCEPT', 'DROP', 'REJECT'].includes(r.target ?? ''))
      .map((r) => ({dport: r.dport, mark: r.markMatch, target: r.target})),
    mark: rulesFrom(rs, 'mangle', 'PREROUTING')
      .filter(metadata)
      .map((r) => ({setMark: r.setMark, target: r.target})),
    redirect: rulesFrom(rs, 'nat', 'PREROUTING')
      .filter(metadata)
      .map((r) => ({iface: r.inInterface?.replace(/\*$/, '+'), target: r.target, toPort: r.toPort})),
  }
}

const HEALTHY = {
  accept: [
    {dport: undefined, mark: {mask: 0xffff, negated: false, value: 1}, target: 'ACCEPT'},
    {dport: 9697, mark: undefined, target: 'DROP'},
  ],
  mark: [{setMark: {mask: 0xffff, value: 1}, target: 'MARK'}],
  redirect: [{iface: 'qr-+', target: 'REDIRECT', toPort: 9697}],
}

describe("the harness's real L3 agent, router ccff5c4c (test/fixtures/router/harness)", () => {
  it('healthy: iptables-save (nf_tables) and nft list ruleset read alike: the redirect to 9697, the mark, the accept before the drop', () => {
    const rs = parseIptablesSave(fx('healthy', 'iptables-save.txt'))
    expect(rs.backend).toBe('nf_tables')
    expect(rs.unknown).toBe(0)
    expect(summary(rs)).toEqual(HEALTHY)
    expect(summary(parseNftRuleset(fx('healthy', 'nft-list-ruleset.txt')))).toEqual(HEALTHY)
    // nothing in the legacy backend
    expect(ruleCount(parseIptablesSave(fx('healthy', 'iptables-legacy-save.txt')))).toBe(0)
  })

  it("healthy: the router's haproxy binds 0.0.0.0:9697 (IPv6 off for the harness's new links), names the router, forwards to the agent's socket", () => {
    const cfg = parseHaproxyConfig(fx('healthy', 'haproxy.conf'))
    expect(cfg.binds).toEqual([{address: '0.0.0.0', port: 9697}])
    expect(cfg.routerId).toBe(ROUTER)
    expect(cfg.servers).toEqual([{address: `${STATE}/metadata_proxy`, name: 'metadata'}])
    expect(fx('healthy', 'ss-ltnp.txt')).toContain(`users:(("haproxy",pid=${fx('healthy', 'haproxy.pid').trim()},fd=4))`)
  })

  it('redirect deleted: the nat redirect is gone, the mark and the filter rules stay', () => {
    expect(summary(parseIptablesSave(fx('redirect-deleted', 'iptables-save.txt')))).toEqual({...HEALTHY, redirect: []})
    expect(summary(parseNftRuleset(fx('redirect-deleted', 'nft-list-ruleset.txt')))).toEqual({...HEALTHY, redirect: []})
  })

  it('enable_metadata_proxy = False, agent restarted: its sync took the redirect and the filter rules away; the old haproxy still listens', () => {
    const s = summary(parseIptablesSave(fx('metadata-proxy-disabled', 'iptables-save.txt')))
    expect(s.redirect).toEqual([])
    expect(s.accept).toEqual([])
    expect(s.mark).toEqual(HEALTHY.mark)
    expect(fx('metadata-proxy-disabled', 'l3_agent.ini')).toMatch(/^enable_metadata_proxy = False$/m)
    expect(fx('metadata-proxy-disabled', 'ss-ltnp.txt')).toContain('0.0.0.0:9697')
  })

  it('proxy killed: the pid file names a pid nothing listens as; the rules are whole', () => {
    expect(fx('proxy-killed', 'ss-ltnp.txt').trim().split('\n')).toHaveLength(1)
    expect(fx('proxy-killed', 'haproxy.pid').trim()).toMatch(/^\d+$/)
    expect(summary(parseIptablesSave(fx('proxy-killed', 'iptables-save.txt')))).toEqual(HEALTHY)
  })

  it('namespace deleted: every command in it fails, the files under the state path are still there', () => {
    const commands = fx('namespace-deleted', 'commands.txt')
    expect(commands.match(/^exit 255$/gm)).toHaveLength(5)
    expect(fx('namespace-deleted', 'iptables-save.txt.stderr')).toContain(`Cannot open network namespace "qrouter-${ROUTER}"`)
    expect(parseHaproxyConfig(fx('namespace-deleted', 'haproxy.conf')).routerId).toBe(ROUTER)
  })

  it('interface removed: the namespace keeps only lo, the rules and the proxy stay', () => {
    const links = (JSON.parse(fx('interface-removed', 'ip-j-addr.json')) as {ifname: string}[]).map((i) => i.ifname)
    expect(links).toEqual(['lo'])
    expect(summary(parseIptablesSave(fx('interface-removed', 'iptables-save.txt')))).toEqual(HEALTHY)
  })

  it('metadata agent stopped: nothing in the router changed (the 503 comes from behind haproxy)', () => {
    expect(summary(parseIptablesSave(fx('metadata-agent-stopped', 'iptables-save.txt')))).toEqual(HEALTHY)
    expect(fx('metadata-agent-stopped', 'ss-ltnp.txt')).toContain('0.0.0.0:9697')
  })
})
