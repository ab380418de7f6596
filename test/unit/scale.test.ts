// diagnose --all at the size of a real network node: the per-network cost must not grow with the node.
// A live run gives every network the same `ip netns list` record; before, each network parsed the
// whole list again with an O(n) `includes` per line (cubic: 1000 namespaces took 53 s in the checks).
import {randomUUID} from 'node:crypto'
import {createServer} from 'node:net'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {CommandRecord, NetworkEvidence} from '../../src/evidence/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {readProcTable} from '../../src/node/procfs.js'
import {parseNetnsList} from '../../src/parse/netns.js'

function node(n: number): NetworkEvidence[] {
  const ids = Array.from({length: n}, () => randomUUID())
  const namespaces: CommandRecord = {argv: ['ip', 'netns', 'list'], exitCode: 0, stderr: '', stdout: ids.map((id, i) => `qdhcp-${id} (id: ${i})\n`).join('')}
  const state = '/var/lib/neutron'
  return ids.map((network) => ({
    config: {content: '[DEFAULT]\nenable_isolated_metadata = True\n', path: '/etc/neutron/dhcp_agent.ini', state: 'present'},
    dnsmasqPidFile: {path: `${state}/dhcp/${network}/pid`, state: 'missing'},
    haproxyConfig: {path: `${state}/ns-metadata-proxy/${network}.conf`, state: 'missing'},
    haproxyPidFile: {path: `${state}/external/pids/${network}.pid.haproxy`, state: 'missing'},
    layout: 'neutron',
    namespace: `qdhcp-${network}`,
    namespaces, // one record shared by every network, as collectMany makes it
    network,
    opts: {path: `${state}/dhcp/${network}/opts`, state: 'missing'},
    processes: [],
    proxyPidFile: {path: `${state}/external/pids/${network}.pid`, state: 'missing'},
    statePath: state,
    upstreamSocket: {path: `${state}/metadata_proxy`, state: 'missing'},
  }))
}

// How the cost per network grows with the node is measured by `npm run bench -- --scale-only` (ratios
// in one run), not here: these tests hold what an operator would see at that size.
describe('diagnose --all on a large node', () => {
  it('3000 networks sharing one ip netns list: each is found in it', () => {
    const evs = node(3000)
    const reports = evs.map((ev) => diagnoseEvidence(ev, {probe: false}))
    expect(reports.every((r) => r.findings.find((f) => f.id === 'namespace.exists')?.status === 'pass')).toBe(true)
    expect(reports[7].findings.find((f) => f.id === 'namespace.exists')?.evidence).toEqual([`ip netns list: qdhcp-${evs[7].network} (id: 7)`])
  }, 60_000)

  it('parseNetnsList keeps the first of repeated names, over 100,000 lines', () => {
    const names = Array.from({length: 50_000}, (_, i) => `qdhcp-${i}`)
    expect(parseNetnsList([...names, ...names].join('\n'))).toEqual(names)
  })
})

describe('readProcTable: one kernel walk, the whole table', () => {
  // the root namespace's table is shared with every other process of the machine, so the test checks
  // its own listeners and the shape, not byte equality with a second read (connections come and go)
  it('a TCP table larger than one page (60 listeners on 127.0.0.1) is read to its end', async () => {
    const servers = await Promise.all(
      Array.from(
        {length: 60},
        () =>
          new Promise<ReturnType<typeof createServer>>((resolve) => {
            const s = createServer()
            s.listen(0, '127.0.0.1', () => resolve(s))
          }),
      ),
    )
    try {
      const text = (await readProcTable('/proc/self/net/tcp'))!
      expect(text.length).toBeGreaterThan(4096)
      expect(text.startsWith('  sl  local_address')).toBe(true)
      expect(text.endsWith('\n')).toBe(true)
      const listening = new Set(
        text
          .split('\n')
          .filter((l) => / 0A /.test(l))
          .map((l) => parseInt(l.trim().split(/\s+/)[1].split(':')[1], 16)),
      )
      for (const s of servers) expect(listening.has((s.address() as {port: number}).port)).toBe(true)
      const lines = text.split('\n').length
      const again = readFileSync('/proc/self/net/tcp', 'utf8').split('\n').length
      expect(Math.abs(lines - again)).toBeLessThan(Math.max(10, again / 10))
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
    }
  })

  it('undefined for a file that is not there', async () => {
    expect(await readProcTable('/proc/self/net/no-such-table')).toBeUndefined()
  })
})
