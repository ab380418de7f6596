// --debug's lines on what a network's evidence yielded (src/diagnose/evidence-debug.ts): the namespace
// as parsed, each record's state in a few words, any chain's own part one level down, never a file's
// content or a secret-looking argument, and one line each however hostile the text.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {evidenceYield} from '../../src/diagnose/evidence-debug.js'
import type {Snapshot} from '../../src/evidence/evidence.js'
import {hostEvidence} from '../helpers/fleet-snapshots.js'

const MARK = 'QMYIELD5Z'

describe('evidenceYield (--debug)', () => {
  it("the DHCP agent's evidence: the namespace as parsed, then each record; no content, no secret", () => {
    const ev = hostEvidence({host: 'net1', ip: '198.51.100.1'})
    ev.config.content = `${ev.config.content}\nmetadata_proxy_shared_secret = ${MARK}\n`
    ev.metadataAgentConfig!.content += `\nmetadata_proxy_shared_secret = ${MARK}\n`
    ev.agents![0].cmdline += ` --os-password ${MARK}`
    ev.addresses!.argv = [...ev.addresses!.argv, '--password', MARK]
    const lines = evidenceYield(ev)
    expect(lines[0]).toBe(`namespace ${ev.namespace}: listed, 3 addresses on 2 interfaces, 4 listeners`)
    expect(lines).toContain(`config: /etc/neutron/dhcp_agent.ini: present, 5 lines`)
    expect(lines).toContain('processes: dnsmasq pid 12567 (from ps): alive; proxy pid 12693 (from ps): alive')
    expect(lines).toContain('agents: pid 4904 started 2026-11-23T21:33:43.850Z')
    expect(lines.find((l) => l.startsWith('addresses: '))).toMatch(/ip -4 a --password \*\*\*: exit 0, 8 lines$/)
    expect(lines.join('\n')).not.toContain(MARK)
  })

  it("a chain's own part (OVN's) one level down: its commands and files", () => {
    const snap = JSON.parse(readFileSync(new URL('../fixtures/ovn/snapshots/agent-stopped.json', import.meta.url), 'utf8')) as Snapshot
    const lines = evidenceYield(snap.networks[0])
    expect(lines).toContainEqual(expect.stringMatching(/^ovn\.sb: ovn-sbctl --db=tcp:127\.0\.0\.1:6652 .*: exit 0, \d+ lines?$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ovn\.configs: \/etc\/neutron\/neutron\.conf: present, \d+ lines; /))
    expect(lines.some((l) => /\bfields$/.test(l) && l.startsWith('ovn:'))).toBe(false)
  })

  it('hostile text stays one printable line; a record of an odd shape does not throw', () => {
    const ev = hostEvidence({host: 'net1', ip: '198.51.100.1'})
    ev.upstreamSocket.path = `/x\n\u001b[2J${'p'.repeat(5000)}`
    ;(ev as unknown as Record<string, unknown>).odd = [{argv: 'not an array', path: 3}, 5]
    const lines = evidenceYield(ev)
    const sock = lines.find((l) => l.startsWith('upstreamSocket: '))!
    expect(sock).not.toMatch(/[\n\u001b]/)
    expect(sock).toContain('\\x1b[2J')
    expect(sock.length).toBeLessThan(300)
    expect(lines).toContain('odd: 2 records')
  })
})
