// The ML2/OVN chain's collector is written against a NodeView (src/sources/view.ts). Replayed here: a
// view that answers from a snapshot `quantum-meta collect` took on the repository's real OVN chassis
// (test/fixtures/ovn/snapshots/SOURCES.md) must make the collector ask for the same commands, files,
// processes and socket, and rebuild the same evidence.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {collectOvnNetworks} from '../../src/chains/ovn/collect.js'
import {redactEvidence} from '../../src/config/secrets.js'
import type {CommandRecord, FileRecord, NetworkEvidence, ProcessRecord, Snapshot} from '../../src/evidence/evidence.js'
import type {CommandKey, NodeView, PathStat, ProcessDetails, ProcessList} from '../../src/sources/view.js'

const snap = (name: string): Snapshot => JSON.parse(readFileSync(new URL(`../fixtures/ovn/snapshots/${name}.json`, import.meta.url), 'utf8'))
const clone = <T>(x: T): T => structuredClone(x)

/** A view answering from one network's recorded evidence; what the collector asked for is logged. */
function replay(ev: NetworkEvidence): {view: NodeView; asked: string[]} {
  const ovn = ev.ovn!
  const asked: string[] = []
  const files = new Map<string, FileRecord>()
  for (const f of [...ovn.configs, ovn.serverConfig, ev.haproxyPidFile, ev.haproxyConfig]) if (f) files.set(f.path, f)
  const proxy = ev.processes[0]
  const view: NodeView = {
    command: async (key: CommandKey, argv: string[]): Promise<CommandRecord | undefined> => {
      asked.push(`${key} ${argv.join(' ')}`)
      if (key === 'netns-addresses') return clone(ev.addresses)
      const rec = {'ovn-nbctl': ovn.nb, 'ovn-sbctl': ovn.sb, 'ovs-vsctl': ovn.ovs}[argv[0]]
      expect(argv, argv[0]).toEqual(rec?.argv)
      return clone(rec)
    },
    connect: async (path) => {
      asked.push(`connect ${path}`)
      return clone(ev.upstreamSocket)
    },
    kind: 'live',
    list: async () => [],
    namespaceInode: async () => ev.namespaceInode,
    process: async (pid, role, from): Promise<ProcessRecord> => {
      asked.push(`process ${pid} ${role} ${from}`)
      return clone(proxy)
    },
    processDetails: async (pid): Promise<ProcessDetails> => {
      const a = ovn.agents.find((x) => x.pid === pid)
      return {ppid: 1, sameMountNamespace: a?.sameMountNamespace, startedAt: a?.startedAt}
    },
    processes: async (): Promise<ProcessList> => ({
      entries: [...ovn.agents, ...ovn.controllers, {cmdline: proxy.cmdline!, pid: proxy.pid}].map((p) => ({cmdline: p.cmdline!, pid: p.pid})),
    }),
    readFile: async (path) => {
      asked.push(`read ${path}`)
      return clone(files.get(path) ?? {path, state: 'missing'})
    },
    stat: async (path): Promise<PathStat | undefined> => (files.has(path) ? {type: 'file'} : undefined),
  }
  return {asked, view}
}

describe('the OVN collector on a view replaying a real chassis', () => {
  it('healthy: the same OVSDB commands, files, pid and socket are asked for, and the same evidence comes back', async () => {
    const recorded = snap('healthy').networks[0]
    const {asked, view} = replay(recorded)
    const [ev] = await collectOvnNetworks(view, recorded.network, {probe: false}, clone(recorded.namespaces))
    redactEvidence(ev)
    // the snapshot predates the IPv6 metadata evidence: the host's IPv6 switch is asked for, the release looked for
    const {ipv6Switch, neutronRelease, ...rest} = JSON.parse(JSON.stringify(ev))
    expect(rest).toEqual(recorded)
    expect(asked).toContain('read /proc/sys/net/ipv6/conf/default/disable_ipv6')
    expect(ipv6Switch).toEqual({path: '/proc/sys/net/ipv6/conf/default/disable_ipv6', state: 'missing'})
    expect(neutronRelease.version).toBeUndefined()
    expect(asked).toContain(`process ${recorded.processes[0].pid} proxy ${recorded.haproxyPidFile.path}`)
    expect(asked).toContain('connect /var/lib/qm-ovn/metadata_proxy')
    expect(asked.filter((a) => a.startsWith('ovsdb '))).toHaveLength(3)
  })
})
