/**
 * The two agent hosts rig (test/openstack/agent-hosts.ts) against the real openstack harness: a
 * second real neutron-dhcp-agent (host qm-ci-host2, its own mount/uts/pid namespace) next to the
 * harness's (qm-ci-host), both reachable over ssh; one network served by both, diagnosed through
 * the built CLI over ssh (`diagnose NET --host qm-ci-host --host qm-ci-host2`).
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh, `dhcp_agents_per_network = 2`);
 * skipped otherwise.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type AgentHosts, HOST1, HOST2, agentHostsUp, agentsOn, host2DhcpState, scheduleOnHost2, waitForHost2Agents} from './agent-hosts.js'
import {
  Created,
  DHCP_AGENT_HOST,
  DHCP_AGENT_INI,
  HARNESS_LOG,
  NEUTRON_CONF,
  NEUTRON_STATE_PATH,
  type Port,
  UP_SCRIPT,
  dhcpAgents,
  dhcpGone,
  dhcpReady,
  dhcpState,
  neutron,
  openstackEnv,
  ports,
  ready,
  waitForDhcpState,
} from './env.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('agent hosts test skipped: it needs root')
else if (!up) console.warn(`agent hosts test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await sleep(250)
  }
}

interface DiagnoseFinding {
  id: string
  status: 'pass' | 'fail' | 'warn' | 'skip'
  summary: string
  [k: string]: unknown
}
interface DiagnoseHost {
  host: string
  reachable: boolean
  error?: string
  healthy?: boolean
  layout?: string
  backend?: string
  findings: DiagnoseFinding[]
}

describe.skipIf(!up)('two real DHCP agent hosts over ssh (qm-ci-host, qm-ci-host2)', () => {
  const suffix = randomBytes(3).toString('hex')
  const made = new Created()
  let rig: AgentHosts | undefined
  let net = ''
  let subnet = ''
  let upMs = 0

  beforeAll(async () => {
    const t0 = Date.now()
    rig = await agentHostsUp()
    upMs = Date.now() - t0
    const aliveMs = await waitForHost2Agents(rig)
    console.info(`agent hosts rig up in ${upMs} ms (${rig.dir}); ${HOST2}'s DHCP and metadata agents alive ${aliveMs} ms later`)
  })

  afterAll(async () => {
    try {
      let off = false
      if (net && rig)
        off = await dhcpOffAndGone(rig, net).then(
          () => true,
          (error) => (console.warn(`cleanup: ${error}`), false),
        )
      // Created.cleanup first waits (up to dhcpTimeoutMs) for the harness's dnsmasq to be there, which
      // with DHCP already off and gone it never is again
      const errors = await made.cleanup({dhcpTimeoutMs: off ? 1000 : 60_000})
      if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
    } finally {
      const t0 = Date.now()
      await rig?.down()
      console.info(`agent hosts rig down in ${Date.now() - t0} ms`)
    }
  })

  it('each host answers ssh with its own hostname and its own process table', () => {
    const ssh = (host: string, cmd: string) => spawnSync('ssh', ['-F', rig!.sshConfig, host, cmd], {encoding: 'utf8', timeout: 30_000})
    const h2 = ssh(HOST2, 'hostname; cat /proc/1/cmdline | tr "\\0" " "')
    expect(h2.stderr).toBe('')
    expect(h2.stdout.split('\n')[0]).toBe(HOST2)
    expect(h2.stdout.split('\n')[1]).toContain('agent-host-pid1.py')
    const h1 = ssh(HOST1, 'hostname')
    expect(h1.status, h1.stderr).toBe(0)
    // the root mount namespace: the machine's own hostname (the agents' `host` is a config value)
    expect(h1.stdout.trim()).toBe(execFileSync('hostname', {encoding: 'utf8'}).trim())
    // host2's agents have their own `host`; the harness's keep qm-ci-host
    const conf = rig!.inHost(HOST2, ['crudini', '--get', DHCP_AGENT_INI, 'DEFAULT', 'host'])
    expect(conf.stdout.trim()).toBe(HOST2)
    expect(execFileSync('crudini', ['--get', NEUTRON_CONF, 'DEFAULT', 'host'], {encoding: 'utf8'}).trim()).toBe(DHCP_AGENT_HOST)
  })

  it("the API lists host2's DHCP and metadata agents, alive, next to the harness's", async () => {
    const two = await agentsOn(HOST2)
    expect(two.map((a) => `${a.binary} ${a.alive}`).sort()).toEqual(['neutron-dhcp-agent true', 'neutron-metadata-agent true'])
    const one = await agentsOn(HOST1)
    expect(
      one
        .filter((a) => a.alive)
        .map((a) => a.binary)
        .sort(),
    ).toEqual(['neutron-dhcp-agent', 'neutron-l3-agent', 'neutron-linuxbridge-agent', 'neutron-metadata-agent'])
  })

  it('a gateway-less network: the scheduler puts it on qm-ci-host, the admin API adds qm-ci-host2; each host builds its qdhcp namespace, dnsmasq and metadata proxy', async () => {
    const n = await made.network(`qm-agent-hosts-${suffix}`)
    net = n.id
    subnet = (await made.subnet(net, '172.17.17.0/24', {gateway: null, name: `qm-agent-hosts-${suffix}-v4`})).id
    const t0 = Date.now()
    // the scheduler hosts it on qm-ci-host only: host2 has no L2 agent, so ML2 cannot bind a port there
    // and the scheduler's network-access filter leaves it out (dhcp_agents_per_network = 2 or not)
    const first = await until(
      'GET /networks/NET/dhcp-agents lists an alive agent',
      async () => {
        const a = (await dhcpAgents(net)).filter((x) => x.alive && x.binary === 'neutron-dhcp-agent')
        return a.length > 0 ? a : undefined
      },
      60_000,
    )
    expect(first.map((a) => a.host)).toEqual([HOST1])
    await scheduleOnHost2(net)
    const agents = await until(
      'GET /networks/NET/dhcp-agents lists both hosts alive',
      async () => {
        const a = await dhcpAgents(net)
        const hosts = a
          .filter((x) => x.alive && x.binary === 'neutron-dhcp-agent')
          .map((x) => x.host)
          .sort()
        return hosts.length === 2 ? hosts : undefined
      },
      90_000,
    )
    expect(agents).toEqual([HOST1, HOST2])
    const listedMs = Date.now() - t0
    await waitForDhcpState(net, dhcpReady(true), 90_000)
    const h1Ms = Date.now() - t0
    const s2 = await until(
      `${HOST2} has qdhcp-NET, dnsmasq, haproxy and the metadata proxy socket`,
      () => {
        const s = host2DhcpState(rig!, net)
        return s.namespace && s.dnsmasq !== null && s.haproxy !== null && s.metadataSocket ? s : undefined
      },
      90_000,
    )
    console.info(`network ${net}: both agents listed after ${listedMs} ms; ${HOST1} built after ${h1Ms} ms, ${HOST2} after ${Date.now() - t0} ms`)
    // host2's namespace is its own: the machine's /run/netns does not list it twice, and its dnsmasq is not the root's
    expect(s2.dnsmasq).not.toBe(dhcpState(net).dnsmasq)
  })

  it("host2's DHCP port is bound to qm-ci-host2 (binding_failed: no L2 agent there), yet its dnsmasq serves and its opts route names its own port", async () => {
    const dhcp = await until(
      'two DHCP ports',
      async () => {
        const p = await ports(net, 'network:dhcp')
        return p.length === 2 ? p : undefined
      },
      60_000,
    )
    const byHost = new Map(dhcp.map((p) => [p['binding:host_id'] as string, p]))
    expect([...byHost.keys()].sort()).toEqual([HOST1, HOST2])
    const p1 = byHost.get(HOST1)!
    const p2 = byHost.get(HOST2)!
    const describePort = (p: Port) =>
      `${p['binding:host_id']}: ${p.fixed_ips.map((f) => f.ip_address).join(',')} vif_type=${p['binding:vif_type']} status=${p.status}`
    console.info(`DHCP ports: ${describePort(p1)}; ${describePort(p2)}`)
    expect(p1['binding:vif_type']).toBe('bridge')
    // no linuxbridge agent on qm-ci-host2, so ML2 cannot bind the port there
    expect(p2['binding:vif_type']).toBe('binding_failed')
    const ip2 = p2.fixed_ips[0].ip_address
    const ip1 = p1.fixed_ips[0].ip_address
    // each agent's opts file routes 169.254.169.254 via its own port (isolated subnet)
    const opts2 = rig!.inHost(HOST2, ['cat', `${NEUTRON_STATE_PATH}/dhcp/${net}/opts`]).stdout
    expect(opts2).toContain(`169.254.169.254/32,${ip2}`)
    const opts1 = readFileSync(`${NEUTRON_STATE_PATH}/dhcp/${net}/opts`, 'utf8')
    expect(opts1).toContain(`169.254.169.254/32,${ip1}`)
    // host2's namespace holds its port IP and 169.254.169.254
    const addrs = rig!.inHost(HOST2, ['ip', '-n', `qdhcp-${net}`, '-o', 'addr', 'show']).stdout
    expect(addrs).toContain(`${ip2}/24`)
    expect(addrs).toContain('169.254.169.254/32')
  })

  it("host2's tap is in the root namespace, and the harness's linuxbridge agent leaves it alone (no bridge)", async () => {
    const taps = await rig!.host2Taps()
    const dhcp2 = (await ports(net, 'network:dhcp')).find((p) => p['binding:host_id'] === HOST2)!
    const tap2 = `tap${dhcp2.id.slice(0, 11)}`
    expect(taps).toContain(tap2)
    expect(existsSync(`/sys/class/net/${tap2}`)).toBe(true)
    // the harness's linuxbridge agent sees the tap (same network namespace), asks the server about
    // it as qm-ci-host, gets no details for a port bound to qm-ci-host2, logs so and leaves it unplugged
    const lbLog = `${HARNESS_LOG}/neutron-linuxbridge-agent.log`
    await until(
      `${lbLog} says ${tap2} is not defined on plugin`,
      () => (readFileSync(lbLog, 'utf8').includes(`Device ${tap2} not defined on plugin`) ? true : undefined),
      60_000,
    )
    expect(existsSync(`/sys/class/net/${tap2}/master`)).toBe(false)
    const dhcp1 = (await ports(net, 'network:dhcp')).find((p) => p['binding:host_id'] === HOST1)!
    expect(existsSync(`/sys/class/net/tap${dhcp1.id.slice(0, 11)}/master`)).toBe(true)
  })

  it('diagnose NET --host qm-ci-host --host qm-ci-host2 over ssh: both hosts reachable, one row each', async () => {
    const r = await cliAsync([
      'diagnose',
      net,
      '--host',
      HOST1,
      '--host',
      HOST2,
      '--ssh-config',
      rig!.sshConfig,
      '--remote-command',
      rig!.remoteCommand,
      '--json',
    ])
    expect(r.json, `${r.stdout}\n${r.stderr}`).toBeDefined()
    const report = r.json as {network: string; healthy: boolean; hosts: DiagnoseHost[]; cross: DiagnoseFinding[]}
    const summary = (f: DiagnoseFinding) => `${f.status.padEnd(4)} ${f.id}: ${f.summary}`
    for (const h of report.hosts) {
      console.info(
        `== ${h.host}: reachable=${h.reachable} healthy=${h.healthy} layout=${h.layout} backend=${h.backend}${h.error ? ` error=${h.error}` : ''}\n${h.findings.map(summary).join('\n')}`,
      )
    }
    console.info(`== cross (exit ${r.status})\n${report.cross.map(summary).join('\n')}`)
    console.info(`DIAGNOSE-JSON ${JSON.stringify(report)}`)
    expect(report.network).toBe(net)
    expect(report.hosts.map((h) => [h.host, h.reachable, h.error])).toEqual([
      [HOST1, true, undefined],
      [HOST2, true, undefined],
    ])
    for (const h of report.hosts) expect(h.backend).toBe('dhcp-agent')
    // what a healthy network on two agents looks like: every link of each host passes (the api.*
    // checks are skipped: the remote collect has no credentials), each host's opts route names its
    // own DHCP port, exit 0
    for (const h of report.hosts) {
      expect(h.healthy, h.host).toBe(true)
      expect(h.findings.filter((f) => f.status === 'fail').map(summary), h.host).toEqual([])
      const skipped = h.findings.filter((f) => f.status === 'skip').map((f) => f.id)
      expect(
        // IPv6 metadata: the harness's host has IPv6 off for new devices (conf/default/disable_ipv6 = 1), so the
        // agents serve none, and host2 (its own mount namespace) has no release to judge by: skipped, no verdict held
        skipped.filter(
          // nova.*: no --probe, no Nova config on these hosts (not asked)
          (id) =>
            !id.startsWith('api.') &&
            !id.startsWith('nova.') &&
            id !== 'probe.http' &&
            id !== 'namespace.metadata-v6' &&
            id !== 'probe.http6' &&
            id !== 'metadata-agent.log',
        ),
        h.host,
      ).toEqual([])
      expect(h.findings.find((f) => f.id === 'api.network')?.summary, h.host).toMatch(/the evidence holds no API answers/)
    }
    expect(report.cross.find((f) => f.id === 'cross.opts-own-port')?.status).toBe('pass')
    expect(report.healthy).toBe(true)
    expect(r.status).toBe(0)
  })

  it('with API credentials on the remotes (env in --remote-command): every api.* check passes on both hosts, and cross.agents-api too', async () => {
    // the remote collect reads OS_* from its environment; ssh passes none, so `env OS_...=... node run.js`
    const env = Object.entries(openstackEnv()).map(([k, v]) => `${k}=${v}`)
    const r = await cliAsync([
      'diagnose',
      net,
      '--host',
      `${HOST1},${HOST2}`,
      '--ssh-config',
      rig!.sshConfig,
      '--remote-command',
      ['env', ...env, rig!.remoteCommand].join(' '),
      '--json',
    ])
    expect(r.json, `${r.stdout}\n${r.stderr}`).toBeDefined()
    const report = r.json as {healthy: boolean; hosts: DiagnoseHost[]; cross: DiagnoseFinding[]}
    const summary = (f: DiagnoseFinding) => `${f.status.padEnd(4)} ${f.id}: ${f.summary}`
    for (const h of report.hosts)
      console.info(
        `== ${h.host} (credentials on the remote)\n${h.findings
          .filter((f) => f.id.startsWith('api.'))
          .map(summary)
          .join('\n')}`,
      )
    console.info(`== cross (exit ${r.status})\n${report.cross.map(summary).join('\n')}`)
    expect(report.hosts.map((h) => h.host)).toEqual([HOST1, HOST2])
    for (const h of report.hosts) {
      const api = h.findings.filter((f) => f.id.startsWith('api.'))
      expect(
        api.map((f) => `${f.id} ${f.status}`),
        h.host,
      ).toEqual(['api.network pass', 'api.subnet-isolated pass', 'api.dhcp-agents pass', 'api.dhcp-port pass'])
      // each host finds its own agent by the `host` of its own config, and names the other
      const other = h.host === HOST1 ? HOST2 : HOST1
      expect(h.findings.find((f) => f.id === 'api.dhcp-agents')?.summary, h.host).toMatch(new RegExp(`live DHCP agent on ${h.host};.*also hosted by ${other}`))
    }
    expect(report.cross.map((f) => `${f.id} ${f.status}`)).toEqual(['cross.opts-own-port pass', 'cross.agents-api pass', 'cross.ipv6-metadata pass'])
    expect(r.status).toBe(0)
  })

  it('diagnose NET --hosts-from-api: the API names both agent hosts, each asked over ssh; its answers run every api.* check on both and cross.agents-api, with no credentials on the remotes', async () => {
    // the operator's credentials only; the ssh config maps the agents' host names, as README shows
    const args = ['diagnose', net, '--hosts-from-api', '--ssh-config', rig!.sshConfig, '--remote-command', rig!.remoteCommand]
    const r = await cliAsync([...args, '--json'], {env: openstackEnv()})
    expect(r.json, `${r.stdout}\n${r.stderr}`).toBeDefined()
    const report = r.json as {healthy: boolean; hosts: (DiagnoseHost & {listed?: string[]})[]; cross: DiagnoseFinding[]}
    expect(report.hosts.map((h) => h.host).sort()).toEqual([HOST1, HOST2])
    for (const h of report.hosts) {
      expect(h.reachable, h.error).toBe(true)
      expect(h.listed, h.host).toEqual([expect.stringMatching(/^DHCP agent [0-9a-f-]{36} \(alive\)$/)])
      const api = h.findings.filter((f) => f.id.startsWith('api.'))
      expect(
        api.map((f) => `${f.id} ${f.status}`),
        h.host,
      ).toEqual(['api.network pass', 'api.subnet-isolated pass', 'api.dhcp-agents pass', 'api.dhcp-port pass'])
      expect(h.healthy, h.host).toBe(true)
    }
    expect(report.cross.map((f) => `${f.id} ${f.status}`)).toEqual(['cross.opts-own-port pass', 'cross.agents-api pass', 'cross.ipv6-metadata pass'])
    expect(r.status).toBe(0)
    const text = await cliAsync(args, {env: openstackEnv()})
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(new RegExp(`the API lists:\n  (${HOST1}|${HOST2}): DHCP agent [0-9a-f-]{36} \\(alive\\)\n  (${HOST1}|${HOST2}): DHCP agent`))
    // the API's hosts for every network: --all asks both agent hosts (and qm-ci-host's is the harness's own agent)
    const all = await cliAsync(['diagnose', '--all', '--hosts-from-api', '--ssh-config', rig!.sshConfig, '--remote-command', rig!.remoteCommand, '--json'], {
      env: openstackEnv(),
    })
    expect(all.json, `${all.stdout}\n${all.stderr}`).toBeDefined()
    expect(all.json.hosts.map((h: {host: string; reachable: boolean}) => [h.host, h.reachable]).sort()).toEqual([
      [HOST1, true],
      [HOST2, true],
    ])
    expect(all.json.networks.map((n: {network: string}) => n.network)).toContain(net)
  })

  it("host2's metadata agent stopped: host2 is broken at proxy.upstream, qm-ci-host stays healthy, exit 1", async () => {
    // the agent's PID as host2 numbers it (assets/agent-host-setup.sh records it), checked before the kill
    const line = readFileSync(join(rig!.host2.dir, 'agents'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('neutron-metadata-agent '))
    const pid = Number(line?.split(' ')[1])
    expect(Number.isInteger(pid) && pid > 1).toBe(true)
    const stop = rig!.inHost(HOST2, [
      '/bin/sh',
      '-c',
      'tr "\\0" " " </proc/$1/cmdline | grep -q "/usr/bin/neutron-metadata-agent --config-file" && kill -TERM $1 && while [ -d /proc/$1 ]; do sleep 0.1; done',
      'sh',
      String(pid),
    ])
    expect(stop.status, stop.stderr).toBe(0)
    const r = await cliAsync([
      'diagnose',
      net,
      '--host',
      HOST1,
      '--host',
      HOST2,
      '--ssh-config',
      rig!.sshConfig,
      '--remote-command',
      rig!.remoteCommand,
      '--json',
    ])
    const report = r.json as {healthy: boolean; hosts: DiagnoseHost[]; cross: DiagnoseFinding[]}
    expect(report, `${r.stdout}\n${r.stderr}`).toBeDefined()
    const fails = (h: DiagnoseHost) => h.findings.filter((f) => f.status === 'fail').map((f) => `${f.id}: ${f.summary}`)
    console.info(
      `metadata agent of ${HOST2} stopped (exit ${r.status}): ${report.hosts.map((h) => `${h.host} healthy=${h.healthy} ${JSON.stringify(fails(h))}`).join('; ')}`,
    )
    expect(report.hosts.map((h) => [h.host, h.healthy])).toEqual([
      [HOST1, true],
      [HOST2, false],
    ])
    expect(fails(report.hosts[1]).map((f) => f.split(':')[0])).toEqual(['proxy.upstream'])
    expect(r.status).toBe(1)
  })

  it('turning DHCP off takes both hosts down to nothing (then the network goes in cleanup)', async () => {
    await dhcpOffAndGone(rig!, net)
    expect(dhcpState(net).namespace).toBe(false)
    expect(host2DhcpState(rig!, net)).toMatchObject({dnsmasq: null, haproxy: null, namespace: false})
    expect(subnet).not.toBe('')
  })
})

/** PUT enable_dhcp=false on the network's subnets, then wait until neither host has its namespace, dnsmasq or haproxy */
async function dhcpOffAndGone(rig: AgentHosts, net: string): Promise<void> {
  const {subnets} = await neutron<{subnets: {id: string}[]}>('GET', `/subnets?network_id=${net}&enable_dhcp=true`)
  for (const s of subnets) await neutron('PUT', `/subnets/${s.id}`, {subnet: {enable_dhcp: false}})
  await waitForDhcpState(net, dhcpGone, 60_000)
  await until(
    `${HOST2} removed qdhcp-NET`,
    () => {
      const s = host2DhcpState(rig, net)
      return !s.namespace && s.dnsmasq === null && s.haproxy === null ? true : undefined
    },
    60_000,
  )
}
