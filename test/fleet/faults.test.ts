/**
 * Issue 11, section 5: "Break one host of three in each fault state: the table names that host and
 * link, the others stay healthy, the affected instance is named." Through the built binary
 * (`diagnose NET --host net1,net2,net3 --ssh-config ... --remote-command ...`, npm run build first)
 * against the fleet rig's three real sshd hosts (test/fleet/rig.ts).
 *
 * Every fault is made INSIDE one host (fleet.inHost: its mount, uts and pid namespaces, so its own
 * /run/netns, /etc/neutron, /var/lib/neutron and PIDs), the way it happens on a node: a process
 * killed, an address or a namespace deleted, a file edited. Each is undone afterwards (the daemon
 * started again with its own argv, the file written back), so the next case starts from three
 * healthy hosts; the next case breaks another host, so a restore that did not work shows there as a
 * second broken row. Deleting the namespace is last and not undone.
 *
 * The affected instance: before anything breaks, each host gets an instance of its own, a network
 * namespace (veth into that host's bridge, inside the host, as the rig's nodes plug theirs) running
 * busybox udhcpc against the network, so that host's dnsmasq itself writes the lease. The three
 * DHCP ports share one L2, so every dnsmasq sees the DISCOVER; which one answers is decided by
 * dnsmasq's own rule for a `static` dhcp-range (the agent's): it answers only a MAC in its hosts
 * file, and the instance's MAC is added to its own host's hosts file only (then SIGHUP, as the agent
 * does for a new port). The test checks that it worked that way: the lease is in that host's lease
 * file and in no other host's.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type Fleet, type FleetHost, fleetUp} from './rig.js'

const isRoot = process.getuid?.() === 0

/** What host-node.ts printed beyond FleetHost['node']'s declared fields (the FakeNode as JSON). */
interface NodeJson {
  dhcpDir: string
  optsFile: string
  hostsFile: string
  configFile: string
  device: string
  metadataCidr: string
  metadataSocket: string
  proxyConfigFile: string
  proxyPidFile: string
  dnsmasqArgv: string[]
  metadataAgentArgv: string[]
  metadataAgentPid: number
  namespace: string
  switchNamespace: string
  bridge: string
  dhcpIp: string
}

interface Instance {
  mac: string
  ip: string
  hostname: string
}

interface HostRow {
  host: string
  reachable: boolean
  healthy: boolean
  findings: {id: string; status: string; summary: string}[]
  affected?: {mac: string; ip: string; hostname?: string}[]
}

describe.skipIf(!isRoot)('one host of three broken in each fault state, through the built binary', () => {
  let fleet: Fleet
  let ssh: string[]
  const instances = new Map<string, Instance>()
  const node = (h: FleetHost) => h.node as unknown as NodeJson
  /** a shell script inside a host: argv after the script are $1.. */
  const sh = (h: FleetHost, script: string, ...args: string[]) => {
    const r = fleet.inHost(h, ['/bin/sh', '-c', script, 'sh', ...args])
    expect(r.status, `${h.name}: ${script}\n${r.stderr}${r.stdout}`).toBe(0)
    return r.stdout
  }
  const leases = (h: FleetHost) => sh(h, 'cat "$1"', `${node(h).dhcpDir}/leases`)

  beforeAll(async () => {
    fleet = await fleetUp()
    ssh = ['--ssh-config', fleet.sshConfig, '--remote-command', fleet.remoteCommand]
    for (const [i, h] of fleet.hosts.entries()) {
      const n = node(h)
      const inst: Instance = {hostname: `host-198-51-100-${21 + i}`, ip: `198.51.100.${21 + i}`, mac: `fa:16:3e:51:00:${(0x21 + i).toString(16)}`}
      // the instance namespace and its veth, inside the host (its /run/netns, its switch namespace)
      sh(
        h,
        [
          'set -e',
          'ip netns add "$1"',
          'ip -n "$2" link add qfi-inst type veth peer name eth0 netns "$1"',
          'ip -n "$2" link set qfi-inst addrgenmode none',
          'ip -n "$2" link set qfi-inst master "$3" up',
          'ip -n "$1" link set lo up',
          'ip -n "$1" link set eth0 address "$4" up',
        ].join('\n'),
        `qfi-${h.name}`,
        n.switchNamespace,
        n.bridge,
        inst.mac,
      )
      // the port's line in this host's hosts file, in the agent's format, and SIGHUP (dnsmasq re-reads it)
      sh(
        h,
        'printf "%s,%s.openstacklocal,%s\\n" "$2" "$3" "$4" >> "$1" && kill -HUP "$(cat "$5")"',
        n.hostsFile,
        inst.mac,
        inst.hostname,
        inst.ip,
        `${n.dhcpDir}/pid`,
      )
      // a real DHCP exchange: udhcpc in the instance, quits once leased (-q), gives up after 5 tries (-n)
      const got = fleet.inHost(h, ['ip', 'netns', 'exec', `qfi-${h.name}`, 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', '/bin/true'])
      expect(got.status, `${h.name}: udhcpc: ${got.stderr}${got.stdout}`).toBe(0)
      expect(got.stderr + got.stdout).toContain(`lease of ${inst.ip} obtained`)
      instances.set(h.name, inst)
    }
    // each lease is in its own host's lease file only: that host's dnsmasq answered, no other did
    for (const h of fleet.hosts) {
      const file = leases(h)
      for (const [name, inst] of instances) {
        if (name === h.name) expect(file).toMatch(new RegExp(`^\\d+ ${inst.mac} ${inst.ip.replaceAll('.', '\\.')} ${inst.hostname} `, 'm'))
        else expect(file).not.toContain(inst.mac)
      }
    }
  })
  afterAll(async () => {
    await fleet?.down()
  })

  async function diagnose(): Promise<{
    json: {healthy: boolean; hosts: HostRow[]; cross: {id: string; status: string; summary: string}[]}
    table: string
    status: number | null
  }> {
    const j = await cliAsync(['diagnose', fleet.netId, '--host', 'net1,net2,net3', ...ssh, '--json'])
    const t = await cliAsync(['diagnose', fleet.netId, '--host', 'net1,net2,net3', ...ssh])
    expect(j.stderr).toBe('')
    expect(t.status).toBe(j.status)
    return {json: j.json, status: j.status, table: t.stdout}
  }

  /** The broken host's row names `check` as its first broken link and its instance; the others are healthy and name none. */
  async function expectBroken(broken: FleetHost, check: string) {
    const r = await diagnose()
    expect(r.status, r.table).toBe(1)
    expect(r.json.healthy).toBe(false)
    expect(r.json.hosts.map((h) => h.host)).toEqual(['net1', 'net2', 'net3'])
    for (const h of r.json.hosts) {
      expect(h.reachable).toBe(true)
      if (h.host === broken.name) {
        expect(h.healthy).toBe(false)
        expect(h.findings.find((f) => f.status === 'fail')?.id, JSON.stringify(h.findings.filter((f) => f.status === 'fail'))).toBe(check)
        const inst = instances.get(h.host)!
        expect(h.affected).toContainEqual({hostname: inst.hostname, ip: inst.ip, mac: inst.mac})
        for (const [other, o] of instances) if (other !== h.host) expect(JSON.stringify(h.affected)).not.toContain(o.mac)
      } else {
        expect([h.host, h.healthy, h.findings.filter((f) => f.status === 'fail').map((f) => f.id)]).toEqual([h.host, true, []])
        expect(h.affected).toBeUndefined()
      }
    }
    const rows = r.table.split('\n')
    const row = (host: string) => rows.find((l) => l.startsWith(`│ ${host} `)) ?? ''
    for (const h of fleet.hosts) {
      if (h === broken) expect(row(h.name)).toMatch(new RegExp(`│ FAIL +│ ${check.replaceAll('.', '\\.')}:`))
      else expect(row(h.name)).toMatch(/│ (ok|WARN) +│ healthy/)
    }
    const inst = instances.get(broken.name)!
    expect(r.table).toMatch(/3 hosts, 1 broken/)
    expect(r.table).toContain(`      ${inst.mac} ${inst.ip} ${inst.hostname}\n`)
    for (const [other, o] of instances) if (other !== broken.name) expect(r.table).not.toContain(o.mac)
    return r
  }

  const host = (i: number) => fleet.hosts[i]

  it('baseline: three healthy hosts, exit 0, no instance listed (healthy hosts list none)', async () => {
    const r = await diagnose()
    expect(r.status, r.table).toBe(0)
    expect(r.json.hosts.map((h) => [h.host, h.healthy, h.affected])).toEqual([
      ['net1', true, undefined],
      ['net2', true, undefined],
      ['net3', true, undefined],
    ])
  })

  it('net1: haproxy killed (SIGKILL, its pid file stays) → proxy.running; started again with its config', async () => {
    const h = host(0)
    sh(h, 'kill -9 "$(cat "$1")"', node(h).proxyPidFile)
    await expectBroken(h, 'proxy.running')
    // haproxy's config says `daemon`: it forks, writes the pid file, the parent exits
    sh(h, 'ip netns exec "$1" haproxy -f "$2" </dev/null >/dev/null 2>&1', node(h).namespace, node(h).proxyConfigFile)
  })

  it("net2: dnsmasq killed → dnsmasq.running; started again with the agent's argv", async () => {
    const h = host(1)
    sh(h, 'kill -9 "$(cat "$1")"', `${node(h).dhcpDir}/pid`)
    await expectBroken(h, 'dnsmasq.running')
    // dnsmasq daemonises (the agent's argv has no --keep-in-foreground) and reads its lease file back
    sh(h, 'ns=$1; shift; ip netns exec "$ns" "$@" </dev/null >/dev/null 2>&1', node(h).namespace, ...node(h).dnsmasqArgv)
  })

  it('net3: 169.254.169.254 removed from the DHCP port → namespace.metadata-address; added back', async () => {
    const h = host(2)
    sh(h, 'ip -n "$1" addr del "$2" dev "$3"', node(h).namespace, node(h).metadataCidr, node(h).device)
    await expectBroken(h, 'namespace.metadata-address')
    sh(h, 'ip -n "$1" addr add "$2" brd 169.254.169.254 dev "$3"', node(h).namespace, node(h).metadataCidr, node(h).device)
  })

  it("net2: the opts file's option-121 route removed (and 249, its twin) → opts.metadata-route; written back", async () => {
    const h = host(1)
    const before = sh(h, 'cat "$1"', node(h).optsFile)
    sh(
      h,
      'grep -v -e ",option:classless-static-route," -e ",249," "$1" > "$1.qm" ; cat "$1.qm" > "$1"; rm -f "$1.qm"; kill -HUP "$(cat "$2")"',
      node(h).optsFile,
      `${node(h).dhcpDir}/pid`,
    )
    expect(sh(h, 'cat "$1"', node(h).optsFile)).not.toContain('169.254.169.254')
    await expectBroken(h, 'opts.metadata-route')
    sh(h, 'printf "%s" "$2" > "$1"; kill -HUP "$(cat "$3")"', node(h).optsFile, before, `${node(h).dhcpDir}/pid`)
  })

  it("net3: the opts route copied from another host (via net1's DHCP IP) → that host's own link, and cross.opts-own-port names both; written back", async () => {
    const h = host(2)
    const before = sh(h, 'cat "$1"', node(h).optsFile)
    const mine = node(h).dhcpIp
    const theirs = host(0).node.dhcpIp
    sh(
      h,
      'printf "%s" "$2" > "$1"; kill -HUP "$(cat "$3")"',
      node(h).optsFile,
      before.replaceAll(`169.254.169.254/32,${mine}`, `169.254.169.254/32,${theirs}`),
      `${node(h).dhcpDir}/pid`,
    )
    const r = await expectBroken(h, 'opts.metadata-route')
    const cross = r.json.cross.find((f) => f.id === 'cross.opts-own-port')
    expect(cross?.status).toBe('fail')
    expect(cross?.summary).toContain(`net3 routes 169.254.169.254 via ${theirs}, the DHCP port of net1`)
    // the line wraps at the output's width (80 on a pipe), indented under its first line
    expect(r.table).toMatch(/FAIL cross\.opts-own-port: net3 routes 169\.254\.169\.254 via 198\.51\.100\.1, the DHCP\s+port of net1/)
    sh(h, 'printf "%s" "$2" > "$1"; kill -HUP "$(cat "$3")"', node(h).optsFile, before, `${node(h).dhcpDir}/pid`)
  })

  it("net1: enable_isolated_metadata = False in that host's dhcp_agent.ini → config.metadata-enabled; written back", async () => {
    const h = host(0)
    const before = sh(h, 'cat "$1"', node(h).configFile)
    expect(before).toMatch(/^enable_isolated_metadata = True$/m)
    sh(h, 'printf "%s" "$2" > "$1"', node(h).configFile, before.replace(/^enable_isolated_metadata = True$/m, 'enable_isolated_metadata = False'))
    await expectBroken(h, 'config.metadata-enabled')
    sh(h, 'printf "%s" "$2" > "$1"', node(h).configFile, before)
  })

  it('net2: the metadata agent (stand-in) stopped, its socket gone → proxy.upstream; started again', async () => {
    const h = host(1)
    const n = node(h)
    // SIGTERM: the stand-in removes its socket and exits (its PID is the host's own)
    sh(h, 'kill "$1"; for i in $(seq 50); do [ -e "$2" ] || exit 0; sleep 0.1; done; exit 1', String(n.metadataAgentPid), n.metadataSocket)
    await expectBroken(h, 'proxy.upstream')
    // its own argv again, detached (the host's PID 1 reaps it); wait for the socket
    sh(
      h,
      'sock=$1; shift; setsid "$@" </dev/null >/dev/null 2>&1 & for i in $(seq 50); do [ -S "$sock" ] && exit 0; sleep 0.1; done; exit 1',
      n.metadataSocket,
      ...n.metadataAgentArgv,
    )
  })

  it('net3: the qdhcp namespace deleted → namespace.exists (last: not undone)', async () => {
    const h = host(2)
    sh(h, 'ip netns delete "$1"', node(h).namespace)
    await expectBroken(h, 'namespace.exists')
  })
})
