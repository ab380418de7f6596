/**
 * Two real DHCP agent hosts of the openstack harness, each reachable over ssh (issue 11, section 5:
 * "make the API list two agents by running a second real neutron-dhcp-agent with another `host`
 * (in its own mount namespace) against your neutron-server").
 *
 * - `qm-ci-host`: the harness's own agents (scripts/harness/openstack/up.sh), in the machine's root mount
 *   namespace. The rig adds an OpenSSH sshd of its own on 127.0.0.1:2231 (`sshd -D`, our detached
 *   child, stopped by PID): its own config, host key and authorized key under the rig's dir,
 *   key-only root login, no forwarding, `PidFile none`, `UsePAM no`. sshd needs its privsep dir
 *   /run/sshd: made only when missing (recorded), removed at down only then and only when empty.
 * - `qm-ci-host2`: a private mount + uts + pid namespace (`unshare --fork`, PID 1
 *   assets/agent-host-pid1.py, as a fleet rig host) with its own /run (/run/netns, /run/sshd),
 *   /etc/qm-openstack (a copy of the harness's with `host = qm-ci-host2` in neutron.conf,
 *   dhcp_agent.ini and metadata_agent.ini), /var/lib/qm-openstack/neutron, /var/log/qm-openstack,
 *   /tmp, /etc/hosts (bind mounts at the harness's own paths), hostname qm-ci-host2, an sshd on
 *   127.0.0.1:2232, and Debian's real neutron-dhcp-agent and neutron-metadata-agent
 *   (assets/agent-host-setup.sh). Its agent makes its own qdhcp namespaces, dnsmasq and haproxy
 *   there; the metadata proxy's socket is its /var/lib/qm-openstack/neutron/metadata_proxy.
 *   It shares the machine's network namespace (RabbitMQ, neutron-server on 127.0.0.1), so the tap
 *   end of each of its DHCP ports appears in the root namespace, as the harness's agent's do.
 *
 * The scheduler does not put a network on host2 by itself, even with `dhcp_agents_per_network = 2`
 * (up.sh): it keeps only the hosts ML2 can bind a port on (Zed's
 * neutron/scheduler/dhcp_agent_scheduler.py `_filter_agents_with_network_access` ->
 * `filter_hosts_with_network_access`), and the linuxbridge mechanism driver needs a live L2 agent on
 * the host; host2 runs none (its own linuxbridge agent would share the root namespace's brq bridges
 * with the harness's). So `scheduleOnHost2(NET)` adds the network to host2's DHCP agent as an admin
 * does (POST /v2.0/agents/ID/dhcp-networks, which does not filter); the API then lists both agents
 * and host2's DHCP port is `binding_failed` (its agent serves all the same: dnsmasq, opts, haproxy).
 *
 * The client side: an ssh config file (`Host qm-ci-host` / `qm-ci-host2` → 127.0.0.1:2231/2232, the
 * rig's identity, HostKeyAlias, the rig's own known_hosts, BatchMode, StrictHostKeyChecking yes)
 * and `remoteCommand`: DIR/quantum-meta, a two-line script both hosts see (this filesystem) that runs
 * `<node> <repo>/bin/run.js ARGS --config-file /etc/qm-openstack/dhcp_agent.ini --state-path
 * /var/lib/qm-openstack/neutron`: the harness's agents keep their files at its own paths, not at
 * Debian's defaults, so the remote collect is told where (as an operator with such a node would).
 *
 * down(): record the tap links of host2's DHCP ports (the `ns-*` devices in its qdhcp namespaces,
 * and the API's DHCP ports bound to qm-ci-host2), SIGTERM host2's PID 1 (its command line checked
 * first: the kernel then kills its agents, dnsmasq, haproxy; its namespaces go with its mount
 * namespace, and each veth pair with its namespace), delete whichever recorded tap is still in the
 * root namespace (only those), stop our sshd by PID, delete qm-ci-host2's agents through the API
 * (so no dead agent stays listed) and any DHCP port still bound to qm-ci-host2 (a network that
 * outlives the rig keeps it otherwise), remove the rig's dir. A crashed earlier run's host and sshd
 * (owner pid gone) are swept the same way at the next agentHostsUp().
 */
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {type Agent, DHCP_AGENT_INI, NEUTRON_STATE_PATH, type Port, neutron} from './env.js'
import {alive, childrenOf, cmdline, portFree, startTime} from '../helpers/proc.js'
import {clientBlock, sshdConfig} from '../helpers/sshd.js'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const ASSETS = join(REPO, 'test', 'openstack', 'assets')
const PID1 = join(ASSETS, 'agent-host-pid1.py')
const SSHD = '/usr/sbin/sshd'
const RIG_PREFIX = '/var/tmp/qm-agent-hosts-'
/** how long qm-ci-host2's setup may take before the rig gives up (it took over 10 s at a load average of 11 on 2 cores) */
const SETUP_TIMEOUT_MS = 90_000

export const HOST1 = 'qm-ci-host'
export const HOST2 = 'qm-ci-host2'
export const HOST1_PORT = 2231
export const HOST2_PORT = 2232

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function must(argv: string[], what: string): string {
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', timeout: 60_000})
  if (r.status !== 0) throw new Error(`agent hosts rig: ${what} failed (exit ${r.status}): ${argv.join(' ')}\n${r.stderr}${r.stdout}`)
  return r.stdout
}

/**
 * The words of an sshd's command line: its listener retitles itself (setproctitle) to one string,
 * `sshd: /usr/sbin/sshd -D -f FILE ... [listener] 0 of 100-200 startups`, so split that back.
 */
function sshdWords(argv: string[] | undefined): string[] | undefined {
  if (argv === undefined) return undefined
  if (argv.length === 1 && argv[0].startsWith('sshd: ')) return argv[0].slice('sshd: '.length).split(' ')
  return argv
}
/** the rig dir of one of our root-namespace sshds (`sshd -D -f RIGDIR/qm-ci-host/sshd_config ...`), else undefined */
function sshdRig(argv: string[] | undefined): string | undefined {
  const w = sshdWords(argv)
  const tail = `/${HOST1}/sshd_config`
  if (w?.[0] !== SSHD || w[1] !== '-D' || w[2] !== '-f' || !w[3]?.startsWith(RIG_PREFIX) || !w[3].endsWith(tail)) return undefined
  return w[3].slice(0, -tail.length)
}
const isOurSshd = (argv: string[] | undefined, dir: string) => sshdRig(argv) === dir
/** host2's PID 1: `python3 agent-host-pid1.py DIR qm-ci-host2 PORT` */
const isOurPid1 = (argv: string[] | undefined, dir: string) => argv?.[1] === PID1 && argv[2] === dir && argv[3] === HOST2

/** names of links in the root network namespace */
function rootLinks(): Set<string> {
  return new Set(readdirSync('/sys/class/net'))
}

export interface AgentHost {
  name: string
  port: number
}

export interface AgentHost2 extends AgentHost {
  /** its PID 1, as the root PID namespace sees it */
  pid: number
  /** the unshare process that made it (the PID 1's parent) */
  unsharePid: number
  /** its files: run/, etc/ (its /etc/qm-openstack), state/ (its state path), logs/ (the agents' logs), *.console.log */
  dir: string
}

export interface AgentHosts {
  dir: string
  /** the harness's own agents, root mount namespace */
  host1: AgentHost & {sshdPid: number}
  host2: AgentHost2
  /** the client's ssh config (-F) */
  sshConfig: string
  /** `<node> <repo>/bin/run.js`: quantum-meta on both hosts (the same filesystem) */
  remoteCommand: string
  /** run a command inside qm-ci-host2 (its mount, uts and pid namespaces; nsenter) */
  inHost(host: typeof HOST2, argv: string[]): {status: number | null; stdout: string; stderr: string}
  /** the tap links (root namespace) of host2's DHCP ports seen so far (recorded in DIR/taps too) */
  host2Taps(): Promise<string[]>
  down(): Promise<void>
}

/** GET /v2.0/agents?host=HOST (admin token) */
export async function agentsOn(host: string): Promise<Agent[]> {
  return (await neutron<{agents: Agent[]}>('GET', `/agents?host=${encodeURIComponent(host)}`)).agents
}

/**
 * DELETE /v2.0/agents/ID for every agent of `host`, then again while a late state report (an RPC
 * still queued when the agent died) brings one back: answers the ids deleted.
 */
async function deleteAgentsOf(host: string): Promise<string[]> {
  const gone: string[] = []
  for (let round = 0; round < 10; round++) {
    const agents = await agentsOn(host)
    if (agents.length === 0 && round > 0) break
    for (const a of agents) {
      await neutron('DELETE', `/agents/${a.id}`).catch((error) => {
        if (!String(error).includes('404')) throw error
      })
      gone.push(a.id)
    }
    await sleep(agents.length === 0 ? 0 : 1000)
  }
  return gone
}

/** the tap names (root namespace) of host2's DHCP ports: from its qdhcp namespaces' ns-* devices and from the API */
async function tapsOfHost2(dir: string, pid: number | undefined): Promise<string[]> {
  const taps = new Set<string>()
  if (pid !== undefined && alive(pid)) {
    const r = spawnSync(
      'nsenter',
      ['-t', String(pid), '-m', '-u', '-p', '--', '/bin/sh', '-c', 'for n in $(ip netns list | awk "/^qdhcp-/{print \\$1}"); do ip -n "$n" -o link show; done'],
      {encoding: 'utf8', timeout: 30_000},
    )
    for (const m of (r.stdout ?? '').matchAll(/^\d+: (ns-[0-9a-f-]{11})[@:]/gm)) taps.add(`tap${m[1].slice(3)}`)
  }
  try {
    const {ports} = await neutron<{ports: Port[]}>('GET', `/ports?device_owner=network%3Adhcp&binding%3Ahost_id=${HOST2}`)
    for (const p of ports) taps.add(`tap${p.id.slice(0, 11)}`)
  } catch {
    // the API is down: the namespaces' names alone
  }
  const file = join(dir, 'taps')
  let known: string[] = []
  try {
    known = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {}
  const all = [...new Set([...known, ...taps])].filter((t) => /^tap[0-9a-f-]{11}$/.test(t)).sort()
  if (existsSync(dir)) writeFileSync(file, all.join('\n') + '\n')
  return all
}

/** stop one rig (ours, or a crashed run's): by PIDs whose command lines name `dir` */
async function stopRig(dir: string, pid1: number | undefined, sshdPid: number | undefined): Promise<string[]> {
  const notes: string[] = []
  const taps = existsSync(dir) ? await tapsOfHost2(dir, pid1) : []
  const waitFor: number[] = []
  if (pid1 !== undefined && isOurPid1(cmdline(pid1), dir)) {
    let unshare: number | undefined
    try {
      // field 4, the parent: the unshare that made the host, which exits with its PID 1
      unshare = Number(readFileSync(`/proc/${pid1}/stat`, 'utf8').split(') ')[1].split(' ')[1])
    } catch {}
    process.kill(pid1, 'SIGTERM')
    waitFor.push(pid1, ...(unshare ? [unshare] : []))
  }
  if (sshdPid !== undefined && isOurSshd(cmdline(sshdPid), dir)) {
    process.kill(sshdPid, 'SIGTERM')
    waitFor.push(sshdPid)
  }
  for (let i = 0; i < 200 && waitFor.some(alive); i++) await sleep(50)
  // each veth pair goes with its namespace, which goes (asynchronously) with the host's mount namespace
  for (let i = 0; i < 100 && taps.some((t) => rootLinks().has(t)); i++) await sleep(50)
  for (const t of taps) {
    if (!rootLinks().has(t)) continue
    const r = spawnSync('ip', ['link', 'delete', t], {encoding: 'utf8'})
    notes.push(r.status === 0 ? `deleted leftover ${t}` : `could not delete ${t}: ${r.stderr.trim()}`)
  }
  // /run/sshd: only when this rig made it, and it is empty
  if (existsSync(join(dir, 'made-run-sshd'))) {
    try {
      rmdirSync('/run/sshd')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') notes.push(`/run/sshd left: ${(error as Error).message}`)
    }
  }
  try {
    const ids = await deleteAgentsOf(HOST2)
    if (ids.length) notes.push(`deleted agents of ${HOST2}: ${ids.join(' ')}`)
    // a network that outlives the rig would keep host2's DHCP port (bound to qm-ci-host2, binding_failed)
    // after its agent is gone: only ports of that owner and host, which no one but this rig has
    const {ports} = await neutron<{ports: Port[]}>('GET', `/ports?device_owner=network%3Adhcp&binding%3Ahost_id=${HOST2}`)
    for (const p of ports) {
      await neutron('DELETE', `/ports/${p.id}`).catch((error) => {
        if (!String(error).includes('404')) throw error
      })
    }
    if (ports.length) notes.push(`deleted ${HOST2}'s DHCP ports ${ports.map((p) => `${p.id} (network ${p.network_id})`).join(', ')}`)
  } catch (error) {
    notes.push(`agents or DHCP ports of ${HOST2} not deleted (API: ${error})`)
  }
  rmSync(dir, {force: true, recursive: true})
  return notes
}

/** Rigs left by a run that crashed: a PID 1 or an sshd of ours whose rig dir's owner (pid, start time) is gone. */
async function sweepCrashed(): Promise<string[]> {
  const rigs = new Map<string, {pid1?: number; sshd?: number}>()
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    const argv = cmdline(Number(p))
    if (argv?.[1] === PID1 && argv[2]?.startsWith(RIG_PREFIX)) rigs.set(argv[2], {...rigs.get(argv[2]), pid1: Number(p)})
    const dir = sshdRig(argv)
    if (dir !== undefined) rigs.set(dir, {...rigs.get(dir), sshd: Number(p)})
  }
  // a dir without any process left (the machine rebooted, or only the removal failed)
  for (const d of readdirSync('/var/tmp')) {
    const dir = `/var/tmp/${d}`
    if (dir.startsWith(RIG_PREFIX) && !rigs.has(dir)) rigs.set(dir, {})
  }
  const notes: string[] = []
  for (const [dir, {pid1, sshd}] of rigs) {
    let owner: string[] = []
    try {
      owner = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ')
    } catch {}
    if (owner.length === 2 && startTime(Number(owner[0])) === owner[1]) continue
    notes.push(`swept ${dir}`, ...(await stopRig(dir, pid1, sshd)))
  }
  return notes
}

/** Bring up the two agent hosts; the openstack harness must be up (scripts/harness/openstack/up.sh). */
export async function agentHostsUp(): Promise<AgentHosts> {
  if (process.getuid?.() !== 0) throw new Error('agent hosts rig: needs root (namespaces, sshd, agents)')
  if (!existsSync(SSHD)) throw new Error(`agent hosts rig: ${SSHD} missing: run scripts/install-test-deps.sh (openssh-server)`)
  for (const b of ['/usr/bin/neutron-dhcp-agent', '/usr/bin/neutron-metadata-agent', '/usr/bin/crudini']) {
    if (!existsSync(b)) throw new Error(`agent hosts rig: ${b} missing: run scripts/harness/openstack/up.sh`)
  }
  const swept = await sweepCrashed()
  if (swept.length) console.warn(`agent hosts rig: ${swept.join('; ')}`)
  for (const port of [HOST1_PORT, HOST2_PORT]) if (!(await portFree(port))) throw new Error(`agent hosts rig: 127.0.0.1:${port} is taken`)
  // agents of qm-ci-host2 with no rig left to own them (a run whose dir went too, e.g. a reboot):
  // dead ones are ours to delete; a live one means a qm-ci-host2 runs somewhere else
  const stale = await agentsOn(HOST2)
  const live = stale.filter((a) => a.alive).map((a) => `${a.binary} ${a.id}`)
  if (live.length)
    throw new Error(`agent hosts rig: the API lists live agents of ${HOST2} (${live.join(', ')}) and no rig of ours runs: another one is running elsewhere?`)
  if (stale.length) console.warn(`agent hosts rig: deleting dead agents of ${HOST2} left by an earlier run: ${(await deleteAgentsOf(HOST2)).join(' ')}`)

  // not under /tmp: host2 mounts its own /tmp, and its sshd must still see the rig's files
  mkdirSync('/var/tmp', {recursive: true})
  const dir = mkdtempSync(RIG_PREFIX)
  chmodSync(dir, 0o700)
  writeFileSync(join(dir, 'owner'), `${process.pid} ${startTime(process.pid)}\n`)
  const key = join(dir, 'client_ed25519')
  must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'qm-agent-hosts-rig', '-f', key], 'ssh-keygen (client)')
  const knownHosts: string[] = []
  const sshConfig: string[] = ['# written by the quantum-meta agent hosts rig (test/openstack/agent-hosts.ts)']
  for (const [name, port] of [
    [HOST1, HOST1_PORT],
    [HOST2, HOST2_PORT],
  ] as const) {
    const h = join(dir, name)
    mkdirSync(h, {recursive: true})
    must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `qm-agent-hosts-${name}`, '-f', join(h, 'ssh_host_ed25519_key')], `ssh-keygen (${name})`)
    writeFileSync(join(h, 'sshd_config'), sshdConfig({authorizedKeys: `${key}.pub`, hostKey: join(h, 'ssh_host_ed25519_key'), port}))
    knownHosts.push(`${name} ${readFileSync(join(h, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}`)
    sshConfig.push(...clientBlock({alias: name, identity: key, knownHosts: join(dir, 'known_hosts'), port}))
  }
  writeFileSync(join(dir, 'known_hosts'), knownHosts.join('\n') + '\n')
  // quantum-meta on either host, told the harness's paths (they are not Debian's defaults)
  writeFileSync(
    join(dir, 'quantum-meta'),
    `#!/bin/sh\nexec ${process.execPath} ${join(REPO, 'bin', 'run.js')} "$@" --config-file ${DHCP_AGENT_INI} --state-path ${NEUTRON_STATE_PATH}\n`,
    {mode: 0o755},
  )
  writeFileSync(join(dir, 'ssh_config'), sshConfig.join('\n'))

  let sshdPid: number | undefined
  let pid1: number | undefined
  const rig: AgentHosts = {
    dir,
    down: async () => {
      const notes = await stopRig(dir, pid1, sshdPid)
      if (notes.length) console.warn(`agent hosts rig down: ${notes.join('; ')}`)
    },
    host1: {name: HOST1, port: HOST1_PORT, sshdPid: 0},
    host2: {dir: join(dir, HOST2), name: HOST2, pid: 0, port: HOST2_PORT, unsharePid: 0},
    host2Taps: () => tapsOfHost2(dir, pid1),
    inHost: (_host, argv) => {
      const r = spawnSync('nsenter', ['-t', String(pid1), '-m', '-u', '-p', '--', ...argv], {encoding: 'utf8', timeout: 60_000})
      return {status: r.status, stderr: r.stderr, stdout: r.stdout}
    },
    remoteCommand: join(dir, 'quantum-meta'),
    sshConfig: join(dir, 'ssh_config'),
  }

  try {
    // qm-ci-host: our own sshd in the root mount namespace (its privsep dir /run/sshd made only if missing)
    if (!existsSync('/run/sshd')) {
      mkdirSync('/run/sshd', {mode: 0o755})
      writeFileSync(join(dir, 'made-run-sshd'), '')
    }
    const h1 = join(dir, HOST1)
    const sshd = spawn(SSHD, ['-D', '-f', join(h1, 'sshd_config'), '-E', join(h1, 'sshd.log')], {detached: true, stdio: 'ignore'})
    sshd.unref()
    sshdPid = sshd.pid!
    rig.host1.sshdPid = sshdPid

    // qm-ci-host2: its own mount, uts and pid namespaces
    const child = spawn(
      'unshare',
      ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '/usr/bin/python3', PID1, dir, HOST2, String(HOST2_PORT)],
      {
        detached: true,
        stdio: 'ignore',
      },
    )
    child.unref()
    rig.host2.unsharePid = child.pid!
    for (let t = 0; t < 100 && pid1 === undefined; t++) {
      pid1 = childrenOf(child.pid!).find((c) => cmdline(c)?.[1] === PID1)
      if (pid1 === undefined) await sleep(20)
    }
    if (pid1 === undefined) throw new Error(`agent hosts rig: ${HOST2}'s PID 1 did not appear`)
    rig.host2.pid = pid1

    const h2 = rig.host2.dir
    const status = join(h2, 'status')
    // mounts, sshd and two agents started: ~2 s on a quiet machine, over 10 s on a loaded one
    const setupStart = Date.now()
    while (!existsSync(status) && Date.now() - setupStart < SETUP_TIMEOUT_MS) await sleep(25)
    const s = existsSync(status) ? readFileSync(status, 'utf8').trim() : `no status after ${Date.now() - setupStart} ms`
    if (s !== 'ready') throw new Error(`agent hosts rig: ${HOST2} setup: ${s}\n${readFileSync(join(h2, 'setup.log'), 'utf8')}`)
    for (const [name, port, log] of [
      [HOST1, HOST1_PORT, join(h1, 'sshd.log')],
      [HOST2, HOST2_PORT, join(h2, 'sshd.log')],
    ] as const) {
      for (let t = 0; t < 100 && (await portFree(port)); t++) await sleep(20)
      if (await portFree(port))
        throw new Error(`agent hosts rig: ${name}'s sshd is not listening on ${port}: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`)
    }
  } catch (error) {
    await rig.down()
    throw error
  }
  return rig
}

/**
 * Wait until the API lists host2's DHCP and metadata agents alive (they report every 5 s; the
 * DHCP agent's first report comes once it has synced). Answers how long that took.
 */
export async function waitForHost2Agents(rig: AgentHosts, timeoutMs = 90_000): Promise<number> {
  const t0 = Date.now()
  let last: Agent[] = []
  while (Date.now() - t0 < timeoutMs) {
    last = await agentsOn(HOST2)
    const up = new Set(last.filter((a) => a.alive && a.admin_state_up).map((a) => a.binary))
    if (up.has('neutron-dhcp-agent') && up.has('neutron-metadata-agent')) return Date.now() - t0
    if (!alive(rig.host2.pid)) throw new Error(`${HOST2} is gone`)
    await sleep(250)
  }
  const logs = ['neutron-dhcp-agent.console.log', 'logs/neutron-dhcp-agent.log'].map((f) => {
    try {
      return `${f}: ${readFileSync(join(rig.host2.dir, f), 'utf8').slice(-3000)}`
    } catch {
      return `${f}: -`
    }
  })
  throw new Error(`the agents of ${HOST2} are not alive after ${timeoutMs} ms: ${JSON.stringify(last)}\n${logs.join('\n')}`)
}

/** POST /v2.0/agents/ID/dhcp-networks {"network_id": NET} for host2's DHCP agent (see the header: the scheduler leaves host2 out) */
export async function scheduleOnHost2(networkId: string): Promise<Agent> {
  const dhcp = (await agentsOn(HOST2)).find((a) => a.binary === 'neutron-dhcp-agent')
  if (!dhcp) throw new Error(`no DHCP agent of ${HOST2} in the API`)
  await neutron('POST', `/agents/${dhcp.id}/dhcp-networks`, {network_id: networkId})
  return dhcp
}

/** What host2's DHCP agent has built for a network, read inside host2 (its /run/netns, its pid files, its PIDs). */
export interface Host2DhcpState {
  namespace: boolean
  /** dnsmasq's PID (host2's own numbering) when alive */
  dnsmasq: number | null
  /** haproxy's PID (host2's own numbering) when alive */
  haproxy: number | null
  /** NEUTRON_STATE_PATH/metadata_proxy is a socket */
  metadataSocket: boolean
}

export function host2DhcpState(rig: AgentHosts, networkId: string): Host2DhcpState {
  if (!/^[0-9a-f-]{36}$/.test(networkId)) throw new Error(`not a network id: ${networkId}`)
  const script = [
    'n=$1',
    'test -e /run/netns/qdhcp-$n && echo namespace',
    'live() { p=$(tr -dc 0-9 <"$1" 2>/dev/null); [ -n "$p" ] && [ -d /proc/$p ] && grep -q "^$2" /proc/$p/comm && echo "$3 $p"; }',
    `live ${NEUTRON_STATE_PATH}/dhcp/$n/pid dnsmasq dnsmasq`,
    `live ${NEUTRON_STATE_PATH}/external/pids/$n.pid.haproxy haproxy haproxy`,
    `test -S ${NEUTRON_STATE_PATH}/metadata_proxy && echo socket`,
    'true',
  ].join('\n')
  const out = rig.inHost(HOST2, ['/bin/sh', '-c', script, 'sh', networkId]).stdout
  const pid = (what: string) => {
    const m = new RegExp(`^${what} (\\d+)$`, 'm').exec(out)
    return m ? Number(m[1]) : null
  }
  return {dnsmasq: pid('dnsmasq'), haproxy: pid('haproxy'), metadataSocket: /^socket$/m.test(out), namespace: /^namespace$/m.test(out)}
}
