/**
 * `quantum-meta diagnose NET --host ...` through the built binary (npm run build first) against the
 * fleet rig's three real sshd hosts: the table names the one broken host and its link, the other
 * hosts stay healthy, an unreachable host is a row with ssh's own message.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type Fleet, fleetUp} from './rig.js'

const isRoot = process.getuid?.() === 0

describe.skipIf(!isRoot)('diagnose NET --host over ssh, through the built binary', () => {
  let fleet: Fleet
  let ssh: string[]
  beforeAll(async () => {
    fleet = await fleetUp()
    ssh = ['--ssh-config', fleet.sshConfig, '--remote-command', fleet.remoteCommand]
  })
  afterAll(async () => {
    await fleet?.down()
  })

  it('three healthy hosts: exit 0, one row each, --json in the shape issue 11 names', async () => {
    const t0 = Date.now()
    const r = await cliAsync(['diagnose', fleet.netId, '--host', 'net1', '--host', 'net2,net3', ...ssh, '--json'])
    console.log(`diagnose --host net1,net2,net3 (healthy): ${Date.now() - t0} ms, exit ${r.status}`)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.json.network).toBe(fleet.netId)
    expect(r.json.healthy).toBe(true)
    expect(
      r.json.hosts.map((h: {host: string; reachable: boolean; healthy: boolean; layout: string; backend: string}) => [
        h.host,
        h.reachable,
        h.healthy,
        h.layout,
        h.backend,
      ]),
    ).toEqual([
      ['net1', true, true, 'neutron', 'dhcp-agent'],
      ['net2', true, true, 'neutron', 'dhcp-agent'],
      ['net3', true, true, 'neutron', 'dhcp-agent'],
    ])
    // the rig's DHCP ports share one L2: net1 holds fe80::a9fe:a9fe, the others failed DAD (expected)
    const v6 = r.json.cross.find((f: {id: string}) => f.id === 'cross.ipv6-metadata')
    expect(v6).toMatchObject({status: 'pass'})
    expect(v6.summary).toMatch(/^net1 holds fe80::a9fe:a9fe; net2, net3 failed duplicate address detection/)
    expect(r.json.cross.find((f: {id: string}) => f.id === 'cross.opts-own-port')).toMatchObject({status: 'pass'})
  })

  it("one host's haproxy killed inside that host: the table names net2 and proxy.running, the others stay healthy (exit 1); an unreachable host is a row (exit stays 1)", async () => {
    const net2 = fleet.hosts[1]
    // the pid file holds the host's own pid: kill it inside the host, never from the root namespace
    const killed = fleet.inHost(net2, ['/bin/sh', '-c', 'kill -9 "$(cat "$1")"', 'sh', net2.node.proxyPidFile])
    expect(killed.status, killed.stderr).toBe(0)

    const r = await cliAsync(['diagnose', fleet.netId, '--host', 'net1,net2,net3', ...ssh])
    console.log(r.stdout)
    expect(r.status).toBe(1)
    const rows = r.stdout.split('\n')
    const row = (host: string) => rows.find((l) => l.startsWith(`│ ${host} `)) ?? ''
    expect(row('net2')).toMatch(/FAIL.*proxy\.running/)
    expect(row('net1')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(row('net3')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(r.stdout).toMatch(/3 hosts, 1 broken/)

    const j = await cliAsync(['diagnose', fleet.netId, '--host', 'net1,net2,net3,netclosed', ...ssh, '--json'])
    expect(j.status).toBe(1)
    const byHost = Object.fromEntries(j.json.hosts.map((h: {host: string}) => [h.host, h]))
    expect(byHost.net2.healthy).toBe(false)
    expect(byHost.net2.findings.find((f: {status: string}) => f.status === 'fail').id).toBe('proxy.running')
    expect([byHost.net1.healthy, byHost.net3.healthy]).toEqual([true, true])
    expect(byHost.netclosed).toMatchObject({error: `ssh: connect to host 127.0.0.1 port ${fleet.closedPort}: Connection refused`, reachable: false})
  })

  it('bad input is exit 2 with one line: a destination that is an ssh option, an ssh flag without --host, a network id with --all', async () => {
    const dash = await cliAsync(['diagnose', fleet.netId, '--host', 'net1,-oProxyCommand=touch /tmp/x', ...ssh])
    expect(dash.status).toBe(2)
    expect(dash.stderr).toMatch(/an ssh destination cannot start with "-"/)
    const lone = await cliAsync(['diagnose', fleet.netId, '--parallel', '4'])
    expect(lone.status).toBe(2)
    expect(lone.stderr).toMatch(/--parallel goes with --host/)
    const both = await cliAsync(['diagnose', fleet.netId, '--host', 'net1', '--snapshot', '/nonexistent.json'])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/give --host \(ask the hosts over ssh\) or --snapshot \(files\), not both/)
    const all = await cliAsync(['diagnose', '--all', fleet.netId, '--host', 'net1', ...ssh])
    expect(all.status).toBe(2)
    expect(all.stderr).toMatch(/give a network id or --all, not both/)
  })
})
