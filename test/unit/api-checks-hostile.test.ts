// The api.* checks read answers a server (or a snapshot) gave: null, wrong types, escapes, path-shaped
// ids and host names must give findings that are plain text, never "check crashed", and a fix that
// never carries a server's string that is not a plain host name.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'

const seed = (): NetworkEvidence =>
  (JSON.parse(readFileSync(new URL('../../examples/grizzly-seed.snapshot.json', import.meta.url), 'utf8')) as Snapshot).networks[0]

const ESC = '\u001b[2J\u001b]0;owned\u0007\r'

function withApi(bodies: {network?: string; subnets?: string; ports?: string; agents?: string}): NetworkEvidence {
  const ev = seed()
  const n = ev.network
  ev.api = {
    host: 'lab-host',
    hostFrom: '--agent-host',
    records: [
      {
        body: bodies.network ?? JSON.stringify({network: {admin_state_up: true, id: n, name: 'net1', status: 'ACTIVE'}}),
        method: 'GET',
        path: `/networks/${n}`,
        status: 200,
      },
      {body: bodies.subnets ?? JSON.stringify({subnets: []}), method: 'GET', path: `/subnets?network_id=${n}`, status: 200},
      {body: bodies.ports ?? JSON.stringify({ports: []}), method: 'GET', path: `/ports?network_id=${n}`, status: 200},
      {body: bodies.agents ?? JSON.stringify({agents: []}), method: 'GET', path: `/networks/${n}/dhcp-agents`, status: 200},
    ],
  }
  return ev
}

const apiFindings = (ev: NetworkEvidence): Finding[] => diagnoseEvidence(ev, {probe: false}).findings.filter((f) => f.id.startsWith('api.'))

const commandOf = (f: Finding) => (f.fix && 'command' in f.fix ? f.fix.command : '')
const fixText = (f: Finding) => (f.fix ? JSON.stringify(f.fix) : '')

function clean(fs: Finding[]) {
  for (const f of fs) {
    expect(f.summary).not.toMatch(/check crashed/)
    for (const line of [f.summary, fixText(f), ...f.evidence]) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    // nothing of the answers reaches a command unquoted (a command substitution of the fix's own is fine)
    expect(commandOf(f).replaceAll(/"\$\(openstack [^)]*\)"/g, '')).not.toMatch(/\.\.\/|;|\$\(|evil/)
  }
}

describe('api.* checks on hostile answers', () => {
  it.each([
    ['network null', {network: 'null'}],
    ['network not JSON', {network: '{"network": '}],
    ['network an array', {network: '[{"network": {}}]'}],
    ['subnets null', {subnets: '{"subnets": null}'}],
    ['subnets [null, 7]', {subnets: '{"subnets": [null, 7, "x"]}'}],
    ['ports a string', {ports: '{"ports": "x"}'}],
    ['ports [null] and fixed_ips null', {ports: '{"ports": [null, {"device_owner": "network:dhcp", "fixed_ips": null}]}'}],
    ['agents [null]', {agents: '{"agents": [null]}'}],
    ['agents null', {agents: 'null'}],
  ])('%s: no check crashes', (_name, bodies) => {
    clean(apiFindings(withApi(bodies)))
  })

  it('escapes in names, hosts and CIDRs are stripped; a path-shaped id is quoted; a hostile host never reaches the fix', () => {
    const ev = withApi({
      agents: JSON.stringify({agents: [{admin_state_up: true, alive: true, host: `evil;rm -rf /${ESC}`}]}),
      network: JSON.stringify({network: {admin_state_up: false, name: `net${ESC}1`, status: 'DOWN'}}),
      subnets: JSON.stringify({subnets: [{cidr: `10.0.0.0/24${ESC}`, enable_dhcp: true, gateway_ip: '10.0.0.1', id: '../../../etc', ip_version: 4}]}),
    })
    const fs = apiFindings(ev)
    clean(fs)
    const text = fs.map((f) => [f.summary, fixText(f), ...f.evidence].join('\n')).join('\n')
    expect(text).toContain('network net 1 is administratively down')
    ev.api!.records[0].body = JSON.stringify({network: {admin_state_up: true, name: 'n'}})
    const up = apiFindings(ev)
    clean(up)
    expect(up.find((f) => f.id === 'api.subnet-isolated')!.evidence.join('\n')).toContain('10.0.0.0/24 ("../../../etc"): gateway_ip 10.0.0.1')
    const agents = up.find((f) => f.id === 'api.dhcp-agents')!
    expect(agents.summary).toMatch(/it is on evil;rm -rf \/ ?$/)
    // the hostile host is no host name: the fix lists the hosts instead of naming it
    expect(agents.fix).toEqual({
      command: `openstack network agent list --network ${ev.network}`,
      why: expect.stringContaining('run quantum-meta diagnose there'),
    })
  })
})
