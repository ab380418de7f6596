/**
 * Issue 19, item 1: `diagnose --host … --agentless` on hosts with neither Node.js nor quantum-meta,
 * through the built binary (npm run build first) against the fleet rig's three real sshd hosts.
 *
 * Node is made unavailable on each host: inside the host's own (private) mount namespace, an empty
 * file without the exec bit is bind-mounted over the node binary, so `node` cannot run there by any
 * PATH (checked over ssh), while this machine's node runs the CLI. The fault matrix of faults.test.ts
 * is made inside one host at a time; in each state the agentless verdicts are compared with today's
 * remote `collect` (node shown again on the hosts for that one run): the same hosts, the same findings
 * (id and status, in order), the same cross-host findings, the same affected instances.
 */
import {chmodSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type Fleet, type FleetHost, fleetUp} from './rig.js'

const isRoot = process.getuid?.() === 0

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

interface HostRow {
  host: string
  reachable: boolean
  healthy?: boolean
  error?: string
  findings: {id: string; status: string; summary: string}[]
  affected?: {mac: string; ip: string; hostname?: string}[]
}

interface FleetJson {
  healthy: boolean
  hosts: HostRow[]
  cross: {id: string; status: string; summary: string}[]
}

describe.skipIf(!isRoot)('diagnose --host --agentless: hosts without node, the same verdicts as remote collect', () => {
  let fleet: Fleet
  let ssh: string[]
  let noNode: string
  /** each host's instance: the MAC that leased from that host's dnsmasq */
  const macs = new Map<string, string>()
  const node = (h: FleetHost) => h.node as unknown as NodeJson
  const sh = (h: FleetHost, script: string, ...args: string[]) => {
    const r = fleet.inHost(h, ['/bin/sh', '-c', script, 'sh', ...args])
    expect(r.status, `${h.name}: ${script}\n${r.stderr}${r.stdout}`).toBe(0)
    return r.stdout
  }
  /** node unavailable on every host (an empty, non-executable file over it, in each host's own mount namespace), or back */
  const hideNode = (hidden: boolean) => {
    for (const h of fleet.hosts) sh(h, hidden ? 'mount --bind "$1" "$2"' : 'umount "$2"', noNode, process.execPath)
  }

  beforeAll(async () => {
    fleet = await fleetUp()
    ssh = ['--ssh-config', fleet.sshConfig]
    noNode = join(fleet.dir, 'no-node')
    writeFileSync(noNode, '')
    chmodSync(noNode, 0o644)
    // an instance per host, leased from that host's dnsmasq (as faults.test.ts does): the affected list is compared too
    for (const [i, h] of fleet.hosts.entries()) {
      const n = node(h)
      const mac = `fa:16:3e:52:00:${(0x21 + i).toString(16)}`
      const ip = `198.51.100.${31 + i}`
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
        mac,
      )
      sh(h, 'printf "%s,%s.openstacklocal,%s\\n" "$2" "$3" "$4" >> "$1" && kill -HUP "$(cat "$5")"', n.hostsFile, mac, `host-${i}`, ip, `${n.dhcpDir}/pid`)
      macs.set(h.name, mac)
      const got = fleet.inHost(h, ['ip', 'netns', 'exec', `qfi-${h.name}`, 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', '/bin/true'])
      expect(got.status, `${h.name}: udhcpc: ${got.stderr}${got.stdout}`).toBe(0)
    }
    hideNode(true)
  })
  afterAll(async () => {
    await fleet?.down()
  })

  const hosts = ['--host', 'net1,net2,net3']
  const shape = (j: FleetJson, skip?: RegExp) => ({
    cross: j.cross.map((f) => [f.id, f.status]),
    healthy: skip ? undefined : j.healthy,
    hosts: j.hosts.map((h) => ({
      affected: h.affected,
      findings: h.findings.filter((f) => !skip?.test(f.id)).map((f) => [f.id, f.status]),
      healthy: h.healthy,
      host: h.host,
      reachable: h.reachable,
    })),
  })

  /** The agentless run (node hidden), then today's remote collect (node shown for it): the same verdicts. */
  async function both(extra: string[] = [], skip?: RegExp): Promise<{agentless: FleetJson; status: number | null; table: string}> {
    const a = await cliAsync(['diagnose', fleet.netId, ...hosts, ...ssh, ...extra, '--agentless', '--json'])
    const t = await cliAsync(['diagnose', fleet.netId, ...hosts, ...ssh, ...extra, '--agentless'])
    expect(a.stderr).toBe('')
    expect(t.status).toBe(a.status)
    hideNode(false)
    try {
      const r = await cliAsync(['diagnose', fleet.netId, ...hosts, ...ssh, ...extra, '--remote-command', fleet.remoteCommand, '--json'])
      expect(r.stderr).toBe('')
      if (!skip) expect(a.status).toBe(r.status)
      expect(shape(a.json, skip)).toEqual(shape(r.json, skip))
    } finally {
      hideNode(true)
    }
    return {agentless: a.json, status: a.status, table: t.stdout}
  }

  it('node is unavailable on the hosts: over ssh it cannot run, and the remote collect finds nothing to run', async () => {
    for (const h of fleet.hosts) {
      const r = fleet.inHost(h, ['/bin/sh', '-c', 'node --version; echo "exit $?"'])
      expect(r.stdout).toMatch(/exit 12[67]/)
    }
    const r = await cliAsync(['diagnose', fleet.netId, '--host', 'net1', ...ssh, '--remote-command', fleet.remoteCommand, '--json'])
    expect(r.status).toBe(3)
    expect(r.json.hosts[0].reachable).toBe(false)
  })

  it('three healthy hosts: exit 0, healthy rows, the IPv6 and opts cross-checks as with remote collect', async () => {
    const r = await both()
    expect(r.status, r.table).toBe(0)
    expect(r.agentless.hosts.map((h) => [h.host, h.reachable, h.healthy])).toEqual([
      ['net1', true, true],
      ['net2', true, true],
      ['net3', true, true],
    ])
    expect(r.agentless.cross.find((f) => f.id === 'cross.ipv6-metadata')?.status).toBe('pass')
    expect(r.table).toMatch(/3 hosts/)
  })

  it('--probe: the GET from inside each qdhcp namespace (python3 there); over IPv6 where fe80::a9fe:a9fe is usable (net1)', async () => {
    // today's remote collect over ssh sends no probe (its remote words carry no --probe): the other findings are compared
    const r = await both(['--probe'], /^probe\./)
    const probes = r.agentless.hosts.map((h) => [h.host, ...['probe.http', 'probe.http6'].map((id) => h.findings.find((f) => f.id === id)?.status)])
    expect(probes[0]).toEqual(['net1', 'pass', 'pass'])
    expect(probes.slice(1).map((p) => p.slice(0, 2))).toEqual([
      ['net2', 'pass'],
      ['net3', 'pass'],
    ])
  })

  const host = (i: number) => fleet.hosts[i]
  /** Break one host, judge (agentless and remote collect alike), then undo it whatever the judging said. */
  async function broken(h: FleetHost, check: string, undo?: () => void) {
    try {
      const r = await both()
      expect(r.status, r.table).toBe(1)
      const row = r.agentless.hosts.find((x) => x.host === h.name)!
      expect(row.findings.find((f) => f.status === 'fail')?.id).toBe(check)
      expect(row.affected?.map((a) => a.mac)).toContain(macs.get(h.name))
      for (const other of r.agentless.hosts.filter((x) => x.host !== h.name)) expect(other.healthy).toBe(true)
      return r
    } finally {
      undo?.()
    }
  }

  it('net1: haproxy killed → proxy.running', async () => {
    const h = host(0)
    sh(h, 'kill -9 "$(cat "$1")"', node(h).proxyPidFile)
    await broken(h, 'proxy.running', () => {
      sh(h, 'ip netns exec "$1" haproxy -f "$2" </dev/null >/dev/null 2>&1', node(h).namespace, node(h).proxyConfigFile)
    })
  })

  it('net2: dnsmasq killed → dnsmasq.running', async () => {
    const h = host(1)
    sh(h, 'kill -9 "$(cat "$1")"', `${node(h).dhcpDir}/pid`)
    await broken(h, 'dnsmasq.running', () => {
      sh(h, 'ns=$1; shift; ip netns exec "$ns" "$@" </dev/null >/dev/null 2>&1', node(h).namespace, ...node(h).dnsmasqArgv)
    })
  })

  it('net3: 169.254.169.254 removed → namespace.metadata-address', async () => {
    const h = host(2)
    sh(h, 'ip -n "$1" addr del "$2" dev "$3"', node(h).namespace, node(h).metadataCidr, node(h).device)
    await broken(h, 'namespace.metadata-address', () => {
      sh(h, 'ip -n "$1" addr add "$2" brd 169.254.169.254 dev "$3"', node(h).namespace, node(h).metadataCidr, node(h).device)
    })
  })

  it("net2: the opts file's metadata route removed → opts.metadata-route", async () => {
    const h = host(1)
    const before = sh(h, 'cat "$1"', node(h).optsFile)
    sh(
      h,
      'grep -v -e ",option:classless-static-route," -e ",249," "$1" > "$1.qm" ; cat "$1.qm" > "$1"; rm -f "$1.qm"; kill -HUP "$(cat "$2")"',
      node(h).optsFile,
      `${node(h).dhcpDir}/pid`,
    )
    await broken(h, 'opts.metadata-route', () => {
      sh(h, 'printf "%s" "$2" > "$1"; kill -HUP "$(cat "$3")"', node(h).optsFile, before, `${node(h).dhcpDir}/pid`)
    })
  })

  it("net3: the opts route via net1's DHCP IP → opts.metadata-route and cross.opts-own-port", async () => {
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
    const r = await broken(h, 'opts.metadata-route', () => {
      sh(h, 'printf "%s" "$2" > "$1"; kill -HUP "$(cat "$3")"', node(h).optsFile, before, `${node(h).dhcpDir}/pid`)
    })
    expect(r.agentless.cross.find((f) => f.id === 'cross.opts-own-port')?.status).toBe('fail')
  })

  it('net1: enable_isolated_metadata = False → config.metadata-enabled', async () => {
    const h = host(0)
    const before = sh(h, 'cat "$1"', node(h).configFile)
    sh(h, 'printf "%s" "$2" > "$1"', node(h).configFile, before.replace(/^enable_isolated_metadata = True$/m, 'enable_isolated_metadata = False'))
    await broken(h, 'config.metadata-enabled', () => {
      sh(h, 'printf "%s" "$2" > "$1"', node(h).configFile, before)
    })
  })

  it('net2: the metadata agent stopped, its socket gone → proxy.upstream', async () => {
    const h = host(1)
    const n = node(h)
    sh(h, 'kill "$1"; for i in $(seq 50); do [ -e "$2" ] || exit 0; sleep 0.1; done; exit 1', String(n.metadataAgentPid), n.metadataSocket)
    await broken(h, 'proxy.upstream', () => {
      sh(
        h,
        'sock=$1; shift; setsid "$@" </dev/null >/dev/null 2>&1 & for i in $(seq 50); do [ -S "$sock" ] && exit 0; sleep 0.1; done; exit 1',
        n.metadataSocket,
        ...n.metadataAgentArgv,
      )
    })
  })

  it('--all --host --agentless: every network of every host, as collect --all gives them', async () => {
    const a = await cliAsync(['diagnose', '--all', ...hosts, ...ssh, '--agentless', '--json'])
    hideNode(false)
    try {
      const r = await cliAsync(['diagnose', '--all', ...hosts, ...ssh, '--remote-command', fleet.remoteCommand, '--json'])
      expect(a.status).toBe(r.status)
      expect(a.json.hosts).toEqual(r.json.hosts)
      expect(a.json.networks.map((n: FleetJson) => shape(n))).toEqual(r.json.networks.map((n: FleetJson) => shape(n)))
    } finally {
      hideNode(true)
    }
    expect(a.status).toBe(0)
    expect(a.json.networks.map((n: {network: string}) => n.network)).toEqual([fleet.netId])
  })

  it('a login that is not root runs the script under sudo -n; one that may not sudo is one row with one line', async () => {
    const ok = await cliAsync(['diagnose', fleet.netId, '--host', 'net1-ops', ...ssh, '--agentless', '--json'])
    expect([ok.status, ok.json.hosts[0].reachable, ok.json.hosts[0].healthy]).toEqual([0, true, true])
    const no = await cliAsync(['diagnose', fleet.netId, '--host', 'net1-nosudo', ...ssh, '--agentless', '--json'])
    expect(no.status).toBe(3)
    expect(no.json.hosts[0].error).toMatch(/^sudo -n refused on net1-nosudo for qmnosudo: /)
  })

  it('net3: the qdhcp namespace deleted → namespace.exists (last: not undone)', async () => {
    const h = host(2)
    sh(h, 'ip netns delete "$1"', node(h).namespace)
    await broken(h, 'namespace.exists')
  })
})
