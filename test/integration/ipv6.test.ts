/**
 * IPv6 metadata on a real qdhcp-shaped node (test/integration/rig/, Neutron layout): fe80::a9fe:a9fe/64 on
 * the DHCP port's device and a real haproxy bound to [fe80::a9fe:a9fe]:80, judged through the built binary
 * (`diagnose --json --probe`) in the three states duplicate address detection leaves it in, each made real:
 *   - usable (the rig adds it nodad): namespace.metadata-v6 passes and the GET over IPv6 from inside the
 *     namespace answers (probe.http6);
 *   - tentative: DAD made long inside the namespace (dad_transmits 100 x retrans_time 10 s), then the
 *     address added again: a warning;
 *   - dadfailed: a rival namespace of this test, plugged into the node's bridge, holds the address when
 *     the DHCP device's copy is added again with DAD: a failure naming the device (exit 1).
 * Only link-local addresses, only in namespaces the rig and this file create; the root namespace gains
 * nothing (compared before and after). Needs root.
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {ip, ipn, netnsExists, type RootNetState, rootNetState, run, waitFor} from './rig/exec.js'
import {type FakeNode, buildNode} from './rig/node.js'

const isRoot = process.getuid?.() === 0
const V6 = 'fe80::a9fe:a9fe'

interface Finding {
  id: string
  status: string
  summary: string
  evidence: string[]
  fix?: {command: string; why: string}
}

describe.skipIf(!isRoot)('IPv6 metadata on a real qdhcp node', () => {
  let node: FakeNode
  let before: RootNetState
  const rival = `qmv6-rival-${randomBytes(4).toString('hex')}`
  const rivalPeer = `qmv6r${rival.slice(-6)}`

  beforeAll(async () => {
    before = await rootNetState()
    node = await buildNode({layout: 'neutron'})
  }, 60_000)

  afterAll(async () => {
    if (await netnsExists(rival)) await ip(['netns', 'del', rival])
    await node?.cleanup()
    expect(await rootNetState()).toEqual(before)
  }, 60_000)

  const diagnose = () => cli(['diagnose', node.netId, '--config-file', node.configFile, '--state-path', node.statePath, '--json', '--probe'])
  const finding = (r: ReturnType<typeof diagnose>, id: string): Finding => r.json.findings.find((f: Finding) => f.id === id)
  /** the DHCP device's copy of fe80::a9fe:a9fe as `ip -j` shows it */
  const copy = async () => {
    const out = await run('ip', ['-j', '-n', node.namespace, '-6', 'addr', 'show', 'dev', node.device])
    const info = (JSON.parse(out.stdout || '[]') as {addr_info: {local: string; tentative?: boolean; dadfailed?: boolean}[]}[])[0]?.addr_info ?? []
    return info.find((a) => a.local === V6)
  }
  /** delete the device's copy and add it again, with DAD */
  const readd = async () => {
    await ipn(node.namespace, ['-6', 'addr', 'del', `${V6}/64`, 'dev', node.device])
    await ipn(node.namespace, ['-6', 'addr', 'add', `${V6}/64`, 'dev', node.device])
  }

  it('usable, haproxy bound to it: namespace.metadata-v6 passes and a GET over IPv6 from inside the namespace answers', async () => {
    expect(await copy()).toEqual(expect.objectContaining({local: V6}))
    expect((await copy())?.tentative).toBeUndefined()
    const r = diagnose()
    expect(r.stderr).toBe('')
    const v6 = finding(r, 'namespace.metadata-v6')
    expect(v6.status, v6.summary).toBe('pass')
    expect(v6.summary).toBe(`${V6}/64 is usable on ${node.device} and haproxy listens on [${V6}]:80`)
    expect(v6.evidence.some((e) => e.includes(`bind ${V6}:80 interface ${node.device}`))).toBe(true)
    const probe = finding(r, 'probe.http6')
    expect(probe.status, probe.summary).toBe('pass')
    expect(probe.summary).toBe(`GET http://[${V6}%${node.device}]/ from inside ${node.namespace} answered 200: IPv6 metadata answers`)
    expect(r.json.findings.filter((f: Finding) => f.status === 'fail')).toEqual([])
  }, 60_000)

  it('tentative (DAD still running): a warning, and no GET over IPv6 is tried', async () => {
    await run('ip', ['netns', 'exec', node.namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${node.device}.dad_transmits=100`])
    await run('ip', ['netns', 'exec', node.namespace, 'sysctl', '-q', '-w', `net.ipv6.neigh.${node.device}.retrans_time_ms=10000`])
    await readd()
    expect(await copy()).toMatchObject({tentative: true})
    const r = diagnose()
    const v6 = finding(r, 'namespace.metadata-v6')
    expect(v6.status, v6.summary).toBe('warn')
    expect(v6.summary).toMatch(new RegExp(`^${V6} on ${node.device} is tentative: duplicate address detection is still running`))
    expect(finding(r, 'probe.http6').status).toBe('skip')
    expect(r.json.findings.filter((f: Finding) => f.status === 'fail')).toEqual([])
    // back to the kernel's DAD (1 probe, 1 s) for the next case
    await run('ip', ['netns', 'exec', node.namespace, 'sysctl', '-q', '-w', `net.ipv6.conf.${node.device}.dad_transmits=1`])
    await run('ip', ['netns', 'exec', node.namespace, 'sysctl', '-q', '-w', `net.ipv6.neigh.${node.device}.retrans_time_ms=1000`])
  }, 60_000)

  it('dadfailed (another port on the link holds it): a failure naming the device, exit 1, with a fix a shell takes', async () => {
    // the rival: a namespace of this test on the node's bridge, holding the address (nodad: it is first)
    await ip(['netns', 'add', rival])
    await ipn(node.switchNamespace, ['link', 'add', rivalPeer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', rival])
    await ipn(node.switchNamespace, ['link', 'set', rivalPeer, 'addrgenmode', 'none'])
    await ipn(node.switchNamespace, ['link', 'set', rivalPeer, 'master', node.bridge])
    await ipn(node.switchNamespace, ['link', 'set', rivalPeer, 'up'])
    await ipn(rival, ['link', 'set', 'eth0', 'up'])
    await ipn(rival, ['-6', 'addr', 'add', `${V6}/64`, 'dev', 'eth0', 'nodad'])
    // a new bridge port may not forward the first solicitation yet (DAD then "passes"): again until it fails, bounded
    let failed = false
    for (let attempt = 0; attempt < 5 && !failed; attempt++) {
      await readd()
      failed = await waitFor(async () => (await copy())?.dadfailed === true, 5000, 100)
    }
    expect(failed, 'DAD did not fail against the rival').toBe(true)
    const r = diagnose()
    expect(r.status).toBe(1)
    const v6 = finding(r, 'namespace.metadata-v6')
    expect(v6.status, v6.summary).toBe('fail')
    expect(v6.summary).toMatch(new RegExp(`^${V6} on ${node.device} is dadfailed: another host or port on the network`))
    expect(v6.evidence[0]).toMatch(new RegExp(`${node.device} inet6 ${V6}/64 scope link dadfailed tentative$`))
    expect(v6.fix?.command).toBe(`ip netns exec ${node.namespace} ip -6 addr del ${V6}/64 dev ${node.device}`)
    expect(spawnBashN(v6.fix!.command)).toBe(0)
    // the only broken link: IPv4 metadata still works
    expect(r.json.findings.filter((f: Finding) => f.status === 'fail').map((f: Finding) => f.id)).toEqual(['namespace.metadata-v6'])
    expect(finding(r, 'probe.http').status).toBe('pass')
    // the table names it too, for an operator reading it
    const text = cli(['diagnose', node.netId, '--config-file', node.configFile, '--state-path', node.statePath])
    expect(text.status).toBe(1)
    expect(text.stdout).toMatch(/namespace\.metadata-v6/)
    expect(text.stdout).toContain(`ip netns exec ${node.namespace} ip -6 addr del ${V6}/64 dev ${node.device}`)
  }, 90_000)
})

/** `bash -n` on a command: 0 when a shell accepts it. */
const spawnBashN = (command: string) => spawnSync('bash', ['-n', '-c', command]).status
