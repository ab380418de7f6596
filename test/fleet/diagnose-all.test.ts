/**
 * `quantum-meta diagnose --all --host ...` through the built binary (npm run build first) against the
 * fleet rig's three real sshd hosts: each host runs `collect --all` over ssh; every network any host
 * holds is judged across the hosts, one table per network; one host's haproxy killed names that host
 * and link (exit 1); an unreachable host is a row of every network's table.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type Fleet, fleetUp} from './rig.js'

const isRoot = process.getuid?.() === 0

describe.skipIf(!isRoot)('diagnose --all --host over ssh, through the built binary', () => {
  let fleet: Fleet
  let ssh: string[]
  beforeAll(async () => {
    fleet = await fleetUp()
    ssh = ['--ssh-config', fleet.sshConfig, '--remote-command', fleet.remoteCommand]
  })
  afterAll(async () => {
    await fleet?.down()
  })

  it('three healthy hosts: exit 0, one network, three rows; --json {healthy, networks, hosts}', async () => {
    const t0 = Date.now()
    const r = await cliAsync(['diagnose', '--all', '--host', 'net1,net2,net3', ...ssh])
    console.log(`diagnose --all --host net1,net2,net3 (healthy): ${Date.now() - t0} ms, exit ${r.status}\n${r.stdout}`)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`network ${fleet.netId} on 3 hosts`)
    expect(r.stdout.match(/^network /gm)).toHaveLength(1)
    const rows = r.stdout.split('\n')
    for (const h of ['net1', 'net2', 'net3']) expect(rows.find((l) => l.startsWith(`│ ${h} `)) ?? '').toMatch(/│ (ok|WARN) +│ healthy/)

    const j = await cliAsync(['diagnose', '--all', '--host', 'net1,net2,net3', ...ssh, '--json'])
    expect(j.status).toBe(0)
    expect(j.json.healthy).toBe(true)
    expect(j.json.networks.map((n: {network: string}) => n.network)).toEqual([fleet.netId])
    expect(j.json.networks[0].hosts.map((h: {host: string; reachable: boolean; healthy: boolean}) => [h.host, h.reachable, h.healthy])).toEqual([
      ['net1', true, true],
      ['net2', true, true],
      ['net3', true, true],
    ])
    expect(j.json.hosts).toEqual(['net1', 'net2', 'net3'].map((host) => ({host, networks: [fleet.netId], reachable: true})))
  })

  it("one host's haproxy killed inside that host: net2 and proxy.running named, exit 1; an unreachable host is a row of the network (exit stays 1)", async () => {
    const net2 = fleet.hosts[1]
    // the pid file holds the host's own pid: kill it inside the host, never from the root namespace
    const killed = fleet.inHost(net2, ['/bin/sh', '-c', 'kill -9 "$(cat "$1")"', 'sh', net2.node.proxyPidFile])
    expect(killed.status, killed.stderr).toBe(0)

    const t0 = Date.now()
    const r = await cliAsync(['diagnose', '--all', '--host', 'net1,net2,net3', ...ssh])
    console.log(`diagnose --all --host net1,net2,net3 (net2 haproxy killed): ${Date.now() - t0} ms, exit ${r.status}\n${r.stdout}`)
    expect(r.status).toBe(1)
    const rows = r.stdout.split('\n')
    const row = (host: string) => rows.find((l) => l.startsWith(`│ ${host} `)) ?? ''
    expect(row('net2')).toMatch(/FAIL.*proxy\.running/)
    expect(row('net1')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(row('net3')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(r.stdout).toMatch(/3 hosts, 1 broken/)

    const j = await cliAsync(['diagnose', '--all', '--host', 'net1,net2,net3,netclosed', ...ssh, '--json'])
    expect(j.status).toBe(1)
    expect(j.json.healthy).toBe(false)
    expect(j.json.networks).toHaveLength(1)
    const byHost = Object.fromEntries(j.json.networks[0].hosts.map((h: {host: string}) => [h.host, h]))
    expect(Object.keys(byHost)).toEqual(['net1', 'net2', 'net3', 'netclosed'])
    expect(byHost.net2.findings.find((f: {status: string}) => f.status === 'fail').id).toBe('proxy.running')
    expect([byHost.net1.healthy, byHost.net3.healthy]).toEqual([true, true])
    expect(byHost.netclosed).toMatchObject({error: `ssh: connect to host 127.0.0.1 port ${fleet.closedPort}: Connection refused`, reachable: false})
  })
})
