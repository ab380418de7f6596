/**
 * The fleet rig: three network nodes on one machine, each reachable over ssh (issue 11, section 5).
 *
 * A "host" is a private mount + uts + pid namespace (`unshare --fork`, PID 1 assets/host-pid1.py)
 * with its own /run (so its own /run/netns and /run/sshd), /etc/neutron, /var/lib/neutron,
 * /etc/init.d and /tmp (bind mounts of directories under the rig's dir), hostname netN, and its own
 * OpenSSH sshd on 127.0.0.1:PORT (key-only root login with a key the rig generates, its own host
 * key, no forwarding). Inside each host the integration rig's buildNode makes a neutron node for the
 * SAME network id, each with its own DHCP port IP (198.51.100.1, .2, .3): real dnsmasq and haproxy
 * in qdhcp-<net>, a metadata-agent stand-in on its UNIX socket, its config and state at the host's
 * own /etc/neutron and /var/lib/neutron, so a plain `quantum-meta collect NET` run there over ssh
 * finds them at the default paths. The three DHCP ports share one L2 (veths between the hosts'
 * bridges), so only net1 holds fe80::a9fe:a9fe: the others' duplicate address detection fails.
 *
 * Hosts share the machine's network namespace (sshd listens on loopback only) and its filesystem
 * (so `node <repo>/bin/run.js` runs on the "remote" too). Nothing is added to the root network
 * namespace: every link the node makes lives in the host's namespaces, which go when its PID 1 does.
 *
 * The client side: an ssh config file (`Host netN` → 127.0.0.1 and the port, the rig's identity,
 * HostKeyAlias netN, the rig's own known_hosts, BatchMode), plus `net1-wrongkey` (net1's port,
 * with net2's host key recorded for it: a host key mismatch), `netclosed` (a port nobody listens on),
 * and `net1-ops` / `net1-nosudo` (net1, logged in as a user of that host who may / may not `sudo -n`).
 *
 * down(): SIGTERM to each host's PID 1 (its command line checked first), wait until the host's
 * unshare parent has gone, then remove the rig's directory. Only what the rig made is touched.
 */
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {alive, childrenOf, cmdline, portFree, startTime} from '../helpers/proc.js'
import {clientBlock as sshClientBlock, sshdConfig} from '../helpers/sshd.js'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const ASSETS = join(REPO, 'test', 'fleet', 'assets')
const PID1 = join(ASSETS, 'host-pid1.py')
const RIG_PREFIX = '/var/tmp/qm-fleet-'

/**
 * Hosts left by a run that crashed: PID 1s running our host-pid1.py for a rig dir whose recorded
 * owner (pid and start time) is gone. SIGTERM each (its command line checked), then its dir goes.
 */
async function sweepCrashed(): Promise<void> {
  const dirs = new Map<string, number[]>()
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    const argv = cmdline(Number(p))
    if (argv?.[1] !== PID1 || !argv[2]?.startsWith(RIG_PREFIX)) continue
    dirs.set(argv[2], [...(dirs.get(argv[2]) ?? []), Number(p)])
  }
  for (const [dir, pids] of dirs) {
    let owner: string[] = []
    try {
      owner = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ')
    } catch {}
    if (owner.length === 2 && startTime(Number(owner[0])) === owner[1]) continue
    for (const pid of pids) if (cmdline(pid)?.[2] === dir) process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50)
    rmSync(dir, {force: true, recursive: true})
  }
}

export interface FleetHost {
  name: string
  port: number
  /** the host's PID 1, as the root PID namespace sees it */
  pid: number
  /** the unshare process that made the host (the PID 1's parent) */
  unsharePid: number
  dir: string
  /** the node built inside (the integration rig's FakeNode, as JSON): PIDs in it are the host's own */
  node: {
    netId: string
    dhcpIp: string
    namespace: string
    root: string
    statePath: string
    proxyPidFile: string
    switchNamespace: string
    bridge: string
    device: string
  }
}

export interface Fleet {
  dir: string
  netId: string
  hosts: FleetHost[]
  /** the client's ssh config (-F) */
  sshConfig: string
  /** a port nothing listens on (for `netclosed`) */
  closedPort: number
  /** `<node> <repo>/bin/run.js`: quantum-meta on every host (the same filesystem) */
  remoteCommand: string
  /** run a command inside a host's namespaces (mount, uts, pid) */
  inHost(host: FleetHost, argv: string[]): {status: number | null; stdout: string; stderr: string}
  down(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function must(argv: string[], what: string): string {
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', timeout: 60_000})
  if (r.status !== 0) throw new Error(`fleet rig: ${what} failed (exit ${r.status}): ${argv.join(' ')}\n${r.stderr}${r.stdout}`)
  return r.stdout
}

/**
 * Bring up `count` hosts net1..netN on ports basePort+1.. . `node` false skips building the qdhcp
 * node inside each host (ssh only).
 */
export async function fleetUp(opts: {count?: number; basePort?: number; node?: boolean} = {}): Promise<Fleet> {
  if (process.getuid?.() !== 0) throw new Error('fleet rig: needs root (namespaces, sshd)')
  if (!existsSync('/usr/sbin/sshd')) throw new Error('fleet rig: /usr/sbin/sshd missing: run scripts/install-test-deps.sh (openssh-server)')
  const count = opts.count ?? 3
  // QM_FLEET_BASE_PORT: another rig on the same machine at once (its ports +1.. and +9) must not collide
  const basePort = opts.basePort ?? (Number(process.env.QM_FLEET_BASE_PORT) || 2220)
  const closedPort = basePort + 9
  await sweepCrashed()
  for (let i = 1; i <= count; i++) if (!(await portFree(basePort + i))) throw new Error(`fleet rig: 127.0.0.1:${basePort + i} is taken`)
  if (!(await portFree(closedPort))) throw new Error(`fleet rig: 127.0.0.1:${closedPort} (meant to stay closed) is taken`)

  // not under /tmp: each host mounts its own /tmp, and sshd inside must still see the rig's files
  mkdirSync('/var/tmp', {recursive: true})
  const dir = mkdtempSync(RIG_PREFIX)
  chmodSync(dir, 0o755)
  // who owns the hosts: a later run stops hosts whose owner has gone (a crashed test run)
  writeFileSync(join(dir, 'owner'), `${process.pid} ${startTime(process.pid)}\n`)
  const netId = crypto.randomUUID()
  const key = join(dir, 'client_ed25519')
  must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'qm-fleet-rig', '-f', key], 'ssh-keygen (client)')
  const hosts: FleetHost[] = []
  const knownHosts: string[] = []
  const sshConfigLines: string[] = ['# written by the quantum-meta fleet rig (test/fleet/rig.ts)']
  const clientBlock = (alias: string, port: number, user = 'root', keyAlias = alias) =>
    sshClientBlock({alias, identity: key, keyAlias, knownHosts: join(dir, 'known_hosts'), port, user})

  const fleet: Fleet = {
    closedPort,
    dir,
    down: async () => {
      for (const h of hosts) {
        const argv = cmdline(h.pid)
        // only the process we started: its exact command line
        if (argv && argv[1] === PID1 && argv[2] === dir && argv[3] === h.name) process.kill(h.pid, 'SIGTERM')
      }
      for (const h of hosts) {
        for (let i = 0; i < 100 && (alive(h.pid) || alive(h.unsharePid)); i++) await sleep(50)
      }
      // the hosts' mount namespaces are gone with them: what is left is plain directories
      rmSync(dir, {force: true, recursive: true})
    },
    hosts,
    inHost: (host, argv) => {
      const r = spawnSync('nsenter', ['-t', String(host.pid), '-m', '-u', '-p', '--', ...argv], {encoding: 'utf8', timeout: 60_000})
      return {status: r.status, stderr: r.stderr, stdout: r.stdout}
    },
    netId,
    remoteCommand: `${process.execPath} ${join(REPO, 'bin', 'run.js')}`,
    sshConfig: join(dir, 'ssh_config'),
  }

  try {
    for (let i = 1; i <= count; i++) {
      const name = `net${i}`
      const port = basePort + i
      const h = join(dir, 'hosts', name)
      mkdirSync(h, {recursive: true})
      must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `qm-fleet-${name}`, '-f', join(h, 'ssh_host_ed25519_key')], `ssh-keygen (${name})`)
      writeFileSync(join(h, 'sshd_config'), sshdConfig({authorizedKeys: `${key}.pub`, hostKey: join(h, 'ssh_host_ed25519_key'), port}))
      const hostKey = readFileSync(join(h, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
      knownHosts.push(`${name} ${hostKey}`)
      sshConfigLines.push(...clientBlock(name, port))
      const child = spawn(
        'unshare',
        ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', '/usr/bin/python3', PID1, dir, name, String(port)],
        {
          detached: true,
          stdio: 'ignore',
        },
      )
      child.unref()
      const unsharePid = child.pid!
      let pid: number | undefined
      for (let t = 0; t < 100 && pid === undefined; t++) {
        pid = childrenOf(unsharePid).find((c) => cmdline(c)?.[1] === PID1)
        if (pid === undefined) await sleep(20)
      }
      if (pid === undefined) throw new Error(`fleet rig: ${name}'s PID 1 did not appear`)
      hosts.push({dir: h, name, node: undefined as unknown as FleetHost['node'], pid, port, unsharePid})
    }
    // a host key mismatch: net1's port, with net2's key recorded for it; a port nobody serves
    knownHosts.push(`net1-wrongkey ${knownHosts[1 % count].split(' ').slice(1).join(' ')}`)
    sshConfigLines.push(...clientBlock('net1-wrongkey', basePort + 1), ...clientBlock('netclosed', closedPort))
    // net1 with a login that is not root: qmops may sudo, qmnosudo may not (users of net1 only)
    sshConfigLines.push(...clientBlock('net1-ops', basePort + 1, 'qmops', 'net1'), ...clientBlock('net1-nosudo', basePort + 1, 'qmnosudo', 'net1'))
    writeFileSync(join(dir, 'known_hosts'), knownHosts.join('\n') + '\n')
    writeFileSync(fleet.sshConfig, sshConfigLines.join('\n'))

    for (const h of hosts) {
      const status = join(h.dir, 'status')
      for (let t = 0; t < 200 && !existsSync(status); t++) await sleep(25)
      const s = existsSync(status) ? readFileSync(status, 'utf8').trim() : 'no status'
      if (s !== 'ready') throw new Error(`fleet rig: ${h.name} setup: ${s}\n${readFileSync(join(h.dir, 'setup.log'), 'utf8')}`)
      for (let t = 0; t < 100 && (await portFree(h.port)); t++) await sleep(20)
      if (await portFree(h.port)) throw new Error(`fleet rig: ${h.name}'s sshd is not listening on ${h.port}: ${readFileSync(join(h.dir, 'sshd.log'), 'utf8')}`)
    }

    if (opts.node !== false) {
      const tsx = join(REPO, 'node_modules', '.bin', 'tsx')
      await Promise.all(
        hosts.map(async (h, i) => {
          const r = await new Promise<{code: number | null; out: string; err: string}>((resolve) => {
            const c = spawn('nsenter', ['-t', String(h.pid), '-m', '-u', '-p', '--', tsx, join(REPO, 'test', 'fleet', 'host-node.ts'), netId, String(i + 1)], {
              cwd: REPO,
              stdio: ['ignore', 'pipe', 'pipe'],
            })
            let out = ''
            let err = ''
            c.stdout.on('data', (b) => (out += b))
            c.stderr.on('data', (b) => (err += b))
            c.on('close', (code) => resolve({code, err, out}))
          })
          if (r.code !== 0) throw new Error(`fleet rig: building ${h.name}'s node failed (exit ${r.code}): ${r.err}`)
          h.node = JSON.parse(r.out.trim().split('\n').at(-1)!)
        }),
      )
      joinL2(hosts)
      await dadOnOthers(fleet)
    }
  } catch (error) {
    await fleet.down()
    throw error
  }
  return fleet
}

/**
 * One network's DHCP ports on one L2, as on a real deployment: a veth from net1's bridge to each
 * other host's bridge (inside the hosts' switch namespaces, reached through /proc/PID/root: each
 * host's /run/netns is its own). Nothing is added to the root network namespace; the links go with
 * the hosts' namespaces.
 */
function joinL2(hosts: FleetHost[]): void {
  const nsPath = (h: FleetHost) => `/proc/${h.pid}/root/run/netns/${h.node.switchNamespace}`
  const [first, ...rest] = hosts
  for (const [i, h] of rest.entries()) {
    const here = `qfl-${i + 2}`
    const there = 'qfl-1'
    must(
      ['nsenter', `--net=${nsPath(first)}`, 'ip', 'link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', nsPath(h)],
      `veth ${first.name}-${h.name}`,
    )
    for (const [host, dev] of [
      [first, here],
      [h, there],
    ] as const) {
      must(['nsenter', `--net=${nsPath(host)}`, 'ip', 'link', 'set', dev, 'addrgenmode', 'none'], `addrgenmode ${dev}`)
      must(['nsenter', `--net=${nsPath(host)}`, 'ip', 'link', 'set', dev, 'master', host.node.bridge, 'up'], `${dev} into ${host.node.bridge}`)
    }
  }
}

/**
 * On one L2 only one DHCP port can hold fe80::a9fe:a9fe: the integration rig adds it without DAD
 * (one node alone); on every host but the first it is added again, with DAD, which then fails as
 * it does on a real network served by several agents.
 */
async function dadOnOthers(fleet: Fleet): Promise<void> {
  const dadFailed = (h: FleetHost) => /dadfailed/.test(fleet.inHost(h, ['ip', '-n', h.node.namespace, '-6', 'addr', 'show', 'dev', h.node.device]).stdout)
  // the new bridge ports may not forward yet when the first solicitation goes out (DAD then
  // "succeeds"): try again until it fails, as it must once the hosts share the L2
  for (let attempt = 1; attempt <= 5; attempt++) {
    const pending = fleet.hosts.slice(1).filter((h) => !dadFailed(h))
    if (pending.length === 0) return
    for (const h of pending) {
      const r = fleet.inHost(h, [
        '/bin/sh',
        '-c',
        'ip -n "$1" addr del fe80::a9fe:a9fe/64 dev "$2" && ip -n "$1" addr add fe80::a9fe:a9fe/64 dev "$2"',
        'sh',
        h.node.namespace,
        h.node.device,
      ])
      if (r.status !== 0) throw new Error(`fleet rig: ${h.name}: re-adding fe80::a9fe:a9fe with DAD failed: ${r.stderr}`)
    }
    for (let t = 0; t < 30 && !pending.every(dadFailed); t++) await sleep(100)
  }
  if (fleet.hosts.slice(1).every(dadFailed)) return
  throw new Error('fleet rig: duplicate address detection did not fail on the other hosts after 5 tries (are the bridges joined?)')
}

/** The hosts' PID-1 command lines the machine still runs for rig dirs that are gone (for a sanity check). */
export function strayHosts(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      const argv = cmdline(pid)
      return argv?.[1] === PID1 && argv[2] !== undefined && !existsSync(argv[2])
    })
}
