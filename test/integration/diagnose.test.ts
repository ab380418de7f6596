/**
 * diagnose against a network node built from real parts (test/integration/rig/): real namespaces,
 * real dnsmasq with the agent's arguments, the Grizzly proxy stand-in or real haproxy, and a VM
 * namespace whose real DHCP client (udhcpc -O staticroutes) gets its lease and route from that dnsmasq
 * and then fetches http://169.254.169.254/. The VM is the ground truth: for each fault, diagnose's
 * verdict (exit code and first failing check) must agree with what the VM experienced.
 * Needs root; scripts/install-test-deps.sh installs the packages.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {type Socket, connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {startTime} from '../helpers/proc.js'
import {procState, waitFor} from './rig/exec.js'
import {type FakeNode, type FaultKind, type Layout, buildNode} from './rig/node.js'

const isRoot = process.getuid?.() === 0

/** The link each fault breaks: the first failing check diagnose must name. */
const FIRST_BROKEN: Record<FaultKind, string> = {
  'config-off': 'config.metadata-enabled',
  'dnsmasq-down': 'dnsmasq.running',
  'metadata-address-removed': 'namespace.metadata-address',
  'namespace-missing': 'namespace.exists',
  'opts-route-missing': 'opts.metadata-route',
  'proxy-down': 'proxy.running',
  'upstream-socket-gone': 'proxy.upstream',
  'wrong-next-hop': 'opts.metadata-route',
}

let node: FakeNode | undefined
let agent: ChildProcess | undefined
afterEach(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const gone = new Promise((r) => agent!.once('exit', r))
    agent.kill('SIGKILL')
    await gone
  }
  agent = undefined
  await node?.cleanup()
  node = undefined
})

/**
 * A stand-in for the DHCP agent's own process: a program named like the agent, run by python3 with
 * the agent's --config-file arguments, as Debian's unit runs /usr/bin/neutron-dhcp-agent. The rig's
 * dnsmasq and proxy are started by the test, so this process only has to be found and dated.
 */
async function startAgentStandIn(n: FakeNode, extra: string[] = []): Promise<ChildProcess> {
  const program = join(n.root, 'bin', `${n.layout}-dhcp-agent`)
  mkdirSync(join(n.root, 'bin'), {recursive: true})
  writeFileSync(program, 'import time\ntime.sleep(600)\n')
  const child = spawn('/usr/bin/python3', [program, '--config-file', n.projectConfigFile, '--config-file', n.configFile, ...extra], {stdio: 'ignore'})
  await new Promise((r) => child.once('spawn', r))
  return child
}

/**
 * Wait (polling, at most 5 s) until a file written now gets an mtime more than `ms` after `pid`
 * started, as /proc dates a start: starttime ticks (USER_HZ 100, 10 ms each) on the boot clock, whose
 * instant is now minus /proc/uptime.
 */
async function waitWrittenAfterStart(dir: string, pid: number, ms: number): Promise<void> {
  const ticks = Number(startTime(pid))
  const probe = join(dir, 'mtime-probe')
  const after = await waitFor(() => {
    writeFileSync(probe, '')
    const boot = Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000
    return statSync(probe).mtimeMs - (boot + ticks * 10) > ms
  }, 5000)
  expect(after, `a file written now is not dated ${ms} ms after pid ${pid} started`).toBe(true)
}

function diagnose(n: FakeNode, extra: string[] = []) {
  return cli(['diagnose', n.netId, '--config-file', n.configFile, '--state-path', n.statePath, '--json', ...extra])
}

const firstFail = (json: {findings: {id: string; status: string}[]}) => json.findings.find((f) => f.status === 'fail')?.id

describe.skipIf(!isRoot).each(['quantum', 'neutron'] as Layout[])('diagnose on a real %s node', (layout) => {
  it('healthy: the VM gets its route and a 200, and diagnose says healthy (exit 0), --probe included', async () => {
    node = await buildNode({layout})
    agent = await startAgentStandIn(node)
    const vm = await node.vm()
    expect(vm.leased).toBe(true)
    expect(vm.http.status).toBe(200)
    const r = diagnose(node, ['--probe'])
    expect(r.stderr).toBe('')
    expect(r.json).toMatchObject({healthy: true, layout, network: node.netId})
    expect(r.status).toBe(0)
    // metadata-agent.log reads whatever metadata agent runs on this machine (the shared harness's, when up): not asserted here
    const statuses = Object.fromEntries(
      r.json.findings.filter((f: {id: string}) => f.id !== 'metadata-agent.log').map((f: {id: string; status: string}) => [f.id, f.status]),
    )
    expect(statuses).toEqual({
      'api.dhcp-agents': 'skip', // no API credentials here: the real-OpenStack suite covers these
      'api.dhcp-port': 'skip',
      'api.network': 'skip',
      'api.subnet-isolated': 'skip',
      'config.agent-restarted': 'pass',
      'config.metadata-enabled': 'pass',
      'dnsmasq.running': 'pass',
      'metadata-agent.config': 'pass',
      'namespace.dhcp-address': 'pass',
      'namespace.exists': 'pass',
      'namespace.metadata-address': 'pass',
      // Zed's node holds fe80::a9fe:a9fe and haproxy binds it; Quantum predates IPv6 metadata (not this node's)
      'namespace.metadata-v6': layout === 'neutron' ? 'pass' : 'skip',
      // past the agent: the stand-in agent asked as the VM (Zed's node: its lease picked; the Quantum rig's
      // leases are not where --probe looks, so it asks as no one: not asked), the stand-in Nova reached the
      // agent's way, and no Nova config on this machine to compare (not asked)
      'nova.answer': layout === 'neutron' ? 'pass' : 'skip',
      'nova.config': 'skip',
      'nova.reach': 'pass',
      'opts.metadata-route': 'pass',
      'probe.http': 'pass',
      'probe.http6': layout === 'neutron' ? 'pass' : 'skip',
      'proxy.listening': 'pass',
      'proxy.running': 'pass',
      'proxy.upstream': 'pass',
    })
    // opts verify agrees
    expect(cli(['opts', 'verify', node.netId, '--config-file', node.configFile, '--state-path', node.statePath]).status).toBe(0)
    // collect writes raw evidence; diagnose --snapshot elsewhere reaches the same verdict
    const snapFile = `${node.root}/snapshot.json`
    const c = cli(['collect', node.netId, '--config-file', node.configFile, '--state-path', node.statePath, '--output', snapFile])
    expect(c.status).toBe(0)
    const offline = cli(['diagnose', node.netId, '--snapshot', snapFile, '--json'])
    expect(offline.status).toBe(0)
    expect(offline.json.findings.map((f: {id: string; status: string}) => `${f.id}=${f.status}`)).toEqual(
      r.json.findings.map(
        (f: {id: string; status: string}) => `${f.id}=${f.id.startsWith('probe.http') || f.id === 'nova.reach' || f.id === 'nova.answer' ? 'skip' : f.status}`,
      ),
    )
  })

  it('the config edited after the agent started: a warning with the restart to paste, the chain still healthy', async () => {
    node = await buildNode({layout})
    agent = await startAgentStandIn(node)
    // well past config.agent-restarted's 50 ms tolerance for the two clocks (start ticks vs mtime)
    await waitWrittenAfterStart(node.root, agent.pid!, 100)
    writeFileSync(node.configFile, `${readFileSync(node.configFile, 'utf8')}# edited after the agent started\n`)
    const r = diagnose(node)
    expect(r.status).toBe(0)
    const f = r.json.findings.find((x: {id: string}) => x.id === 'config.agent-restarted')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      new RegExp(`changed at .*, after the DHCP agent \\(pid ${agent.pid}\\) started at .*: the running agent has not read that change`),
    )
    expect(f.fix.command).toBe(`systemctl restart ${layout}-dhcp-agent`)
    // no agent reading the file (the stand-in stopped): a warning naming what is missing
    const gone = new Promise((res) => agent!.once('exit', res))
    agent.kill('SIGKILL')
    await gone
    const after = diagnose(node, ['--check', 'config.agent-restarted'])
    expect(after.json.findings[0].status).toBe('warn')
    expect(after.json.findings[0].summary).toMatch(/^no (running DHCP agent reads|\S+-dhcp-agent process on this node)/)
  })

  it('a --config-dir file the running agent reads after dhcp_agent.ini turns isolated metadata off: config.metadata-enabled names it', async () => {
    node = await buildNode({layout})
    const confd = join(node.root, 'conf.d')
    mkdirSync(confd)
    writeFileSync(join(confd, '90-override.conf'), '[DEFAULT]\n# an override an operator forgot\nenable_isolated_metadata = False\n')
    agent = await startAgentStandIn(node, ['--config-dir', confd])
    const r = diagnose(node, ['--check', 'config.metadata-enabled'])
    expect(r.status).toBe(1)
    const f = r.json.findings[0]
    expect(f.summary).toMatch(new RegExp(`^enable_isolated_metadata = False \\(${confd}/90-override\\.conf:3\\) and force_metadata is off`))
    expect(f.fix).toMatchObject({file: `${confd}/90-override.conf`, section: 'DEFAULT', set: 'enable_isolated_metadata = True'})
  })

  it('--metadata-agent-config reads the metadata agent config given (e.g. Kolla keeps it in its own directory)', async () => {
    node = await buildNode({layout})
    const other = join(node.root, 'elsewhere', 'metadata_agent.ini')
    mkdirSync(join(node.root, 'elsewhere'))
    writeFileSync(other, '[DEFAULT]\nmetadata_proxy_socket = /run/elsewhere/metadata_proxy\nmetadata_proxy_shared_secret = x\n')
    const r = diagnose(node, ['--metadata-agent-config', other, '--check', 'metadata-agent.config'])
    expect(r.status).toBe(1)
    expect(r.json.findings[0].summary).toMatch(
      new RegExp(`^the metadata agent listens on /run/elsewhere/metadata_proxy, but the proxy forwards to ${node.statePath}/metadata_proxy`),
    )
    // without the flag, the file beside --config-file (the rig's, which agrees) is read
    expect(diagnose(node, ['--check', 'metadata-agent.config']).json.findings[0].status).toBe('pass')
  })

  it('--all finds the node among every qdhcp namespace of this host and reads its addresses through nsenter (no mount-namespace copy per namespace)', async () => {
    node = await buildNode({layout})
    const r = cli(['diagnose', '--all', '--json', '--config-file', node.configFile, '--state-path', node.statePath])
    const mine = r.json.networks.find((n: {network: string}) => n.network === node!.netId)
    // the failing findings themselves, so that a red run says which link it saw broken
    expect(mine.findings.filter((f: {status: string}) => f.status === 'fail').map((f: {id: string; summary: string}) => `${f.id}: ${f.summary}`)).toEqual([])
    expect(mine).toMatchObject({healthy: true, layout})
    const addr = mine.findings.find((f: {id: string}) => f.id === 'namespace.dhcp-address')
    expect(addr.evidence[0]).toMatch(new RegExp(`^nsenter --net=/run/netns/qdhcp-${node.netId} ip -j addr show: (tap|ns-)`))
    // with only this node on the host the whole run is healthy; other namespaces would add their own rows
    expect(r.status).toBe(r.json.healthy ? 0 : 1)
  })

  it('a metadata agent that stopped accepting (its accept queue full): proxy.upstream warns with EAGAIN, not "nothing listens", and the VM gets no 200', async () => {
    node = await buildNode({layout})
    const pid = node.metadataAgentPid!
    const held: Socket[] = []
    // hung, not dead: the stand-in keeps its listening socket but accepts nothing (SIGSTOP), and
    // connections it never takes fill its accept queue (Python's socketserver listens with backlog 5)
    process.kill(pid, 'SIGSTOP')
    try {
      const settled = new Set<Socket>()
      for (let i = 0; i < 8; i++) {
        const s = connect({path: node.metadataSocket})
        s.on('error', () => settled.add(s))
        s.on('connect', () => settled.add(s))
        held.push(s)
      }
      // each connection in the queue (connect) or refused at once because the queue is full (EAGAIN)
      expect(await waitFor(() => settled.size === held.length, 5000)).toBe(true)
      const vm = await node.vm()
      expect(vm.http.status).not.toBe(200)
      const r = diagnose(node, ['--check', 'proxy.upstream'])
      const f = r.json.findings[0]
      expect(f.status).toBe('warn')
      expect(f.summary).toMatch(new RegExp(`^something listens on ${node.metadataSocket} but left its accept queue full for \\d+ ms \\(EAGAIN\\)`))
      expect(f.fix.command).toMatch(/^systemctl restart (quantum|neutron)-metadata-agent$/)
    } finally {
      for (const s of held) s.destroy()
      process.kill(pid, 'SIGCONT')
    }
    // once it accepts again (and has drained the connections left in its queue), the same check passes
    let status = ''
    await waitFor(() => (status = diagnose(node!, ['--check', 'proxy.upstream']).json.findings[0].status) === 'pass', 10_000, 100)
    expect(status).toBe('pass')
  })

  for (const fault of Object.keys(FIRST_BROKEN) as FaultKind[]) {
    it(`${fault}: the VM fails to get metadata, and diagnose exits 1 naming ${FIRST_BROKEN[fault]}`, async () => {
      node = await buildNode({layout})
      await node.fault(fault)
      if (fault === 'config-off') {
        // what the agent does when it restarts with isolated metadata off: no proxy, no metadata
        // address, no route in opts (the rig's agent is not real, so the test applies the effects)
        await node.fault('proxy-down')
        await node.fault('metadata-address-removed')
        await node.fault('opts-route-missing')
      }
      const vm = await node.vm()
      expect(vm.http.status).not.toBe(200)
      const r = diagnose(node)
      expect(r.status).toBe(1)
      expect(r.json.healthy).toBe(false)
      expect(firstFail(r.json)).toBe(FIRST_BROKEN[fault])
      const finding = r.json.findings.find((f: {id: string}) => f.id === FIRST_BROKEN[fault])
      expect(finding.fix).toBeTruthy()
    })
  }
})

describe.skipIf(!isRoot)('a proxy that died but is not reaped yet', () => {
  it('a zombie behind the pid file is a dead proxy, not a stale pid file (seen on a real Zed node whose PID 1 reaps late)', async () => {
    const net = randomUUID()
    const ns = `qdhcp-${net}`
    const state = mkdtempSync(join(tmpdir(), 'qm-zombie-'))
    let parent: ChildProcess | undefined
    try {
      spawnSync('ip', ['netns', 'add', ns])
      // a parent that forks a child which exits at once, and never waits for it: the child stays a zombie
      parent = spawn('/usr/bin/python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(60)'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const zombie = await new Promise<number>((resolve) => parent!.stdout!.once('data', (d) => resolve(Number(String(d).trim()))))
      // the child has exited and nobody reaped it
      expect(await waitFor(() => procState(zombie) === 'Z', 5000)).toBe(true)
      mkdirSync(join(state, 'external', 'pids'), {recursive: true})
      writeFileSync(join(state, 'external', 'pids', `${net}.pid.haproxy`), `${zombie}\n`)
      const config = join(state, 'dhcp_agent.ini')
      writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
      const r = cli(['diagnose', net, '--config-file', config, '--state-path', state, '--check', 'proxy.running', '--json', '--no-api'])
      expect(r.status).toBe(1)
      expect(r.json.findings[0].summary).toMatch(new RegExp(`the metadata proxy pid ${zombie} \\(from .*\\) is not running: it died`))
    } finally {
      parent?.kill('SIGKILL')
      spawnSync('ip', ['netns', 'del', ns])
      rmSync(state, {force: true, recursive: true})
    }
  })
})
