/**
 * The router chain on the harness's real L3 agent (Debian's neutron-l3-agent, interface driver
 * linuxbridge, legacy mode; scripts/harness/openstack/up.sh), as tests use it:
 *
 *   makeRoutedNetwork()  network + subnet with a gateway + router (internal interfaces only: no
 *                        external network exists) + the interface; waits until the agent has built
 *                        qrouter-R: the qr- device holding the gateway, the nat REDIRECT of
 *                        169.254.169.254:80 to metadata_port, haproxy alive and listening there
 *   makeInstance()       a Neutron port (compute:nova, bound to qm-ci-host, port security off) and a
 *                        namespace qmos-vm-NAME whose eth0 (the port's MAC) is plugged into the
 *                        network's brq bridge as os-vif would, then a real DHCP lease (busybox
 *                        udhcpc, assets/udhcpc-hook.sh applies option 121): its default route is
 *                        the router
 *   instance.curl()      GET http://169.254.169.254/latest/meta-data/instance-id from INSIDE the
 *                        instance namespace, the only place it is ever sent from: the truth
 *   FAULTS               each breaks one link of the chain and answers how to put it back
 *   rootNamespaceState() what must not change in the root namespace (addresses, routes, iptables
 *                        of both backends, the nft ruleset, listeners beyond loopback)
 *
 * The chain: instance -> default gateway = qr- in qrouter-R -> nat neutron-l3-agent-PREROUTING
 * REDIRECT to 9697 -> haproxy (X-Neutron-Router-ID) -> the metadata agent's unix socket
 * (NEUTRON_STATE_PATH/metadata_proxy) -> fake nova on 127.0.0.1:8775, which answers 200 with the
 * instance id the agent resolved from the port. Debian 12's iptables is iptables-nft: the agent's
 * rules live in nftables tables `ip nat`/`ip filter`/`ip mangle` of the namespace, which
 * `iptables-save` (nft) shows and `iptables-legacy-save` does not.
 */
import {execFile, spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {
  type Created,
  DHCP_AGENT_HOST,
  DOWN_SCRIPT,
  L3_AGENT_INI,
  NEUTRON_STATE_PATH,
  type Network,
  type Port,
  type Router,
  type RouterInterface,
  type Subnet,
  UP_SCRIPT,
  addRouterInterface,
  neutron,
  removeRouterInterface,
} from './env.js'

const HOOK = fileURLToPath(new URL('assets/udhcpc-hook.sh', import.meta.url))
/** every instance namespace of the harness's tests starts with this (down.sh deletes leftovers) */
export const INSTANCE_PREFIX = 'qmos-vm-'
/** [DEFAULT] metadata_port of the harness's l3_agent.ini */
export const L3_METADATA_PORT = 9697
/** the redirect rule as the agent writes it (iptables-save's words, after `-A neutron-l3-agent-PREROUTING`) */
export const REDIRECT_RULE = `-d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports ${L3_METADATA_PORT}`

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** run a command (no shell); never throws */
export function run(cmd: string, args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {encoding: 'utf8', env: {...process.env, ...opts.env}, maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 60_000},
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({status, stderr: String(stderr), stdout: String(stdout)})
      },
    )
  })
}

async function must(cmd: string, args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<string> {
  const r = await run(cmd, args, opts)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} -> exit ${r.status}: ${r.stderr.trim()}`)
  return r.stdout
}

/** wait until `check` answers something truthy; throws naming `what` after timeoutMs */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs: number,
  stepMs = 250,
): Promise<T> {
  const t0 = Date.now()
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(stepMs)
  }
}

// ---- the router as the L3 agent built it ------------------------------------------------------

export const routerNamespace = (routerId: string) => `qrouter-${routerId}`
export const haproxyPidFile = (routerId: string) => `${NEUTRON_STATE_PATH}/external/pids/${routerId}.pid.haproxy`
export const haproxyConfig = (routerId: string) => `${NEUTRON_STATE_PATH}/ns-metadata-proxy/${routerId}.conf`

function livePid(file: string, comm: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    if (!Number.isInteger(pid) || pid <= 0) return null
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm ? pid : null
  } catch {
    return null
  }
}

/** What the L3 agent has built for a router on this machine. */
export interface RouterState {
  /** /run/netns/qrouter-R exists */
  namespace: boolean
  /** the qr- devices in it and their IPv4 addresses ("qr-xxxx 203.0.113.1/24") */
  qr: string[]
  /** the nat REDIRECT of 169.254.169.254:80 to 9697 is in neutron-l3-agent-PREROUTING */
  redirect: boolean
  /** the live haproxy of the agent's pid file, or null */
  haproxy: number | null
  /** something listens on 9697 inside the namespace */
  listening: boolean
}

export async function routerState(routerId: string): Promise<RouterState> {
  if (!UUID.test(routerId)) throw new Error(`not a router id: ${routerId}`)
  const ns = routerNamespace(routerId)
  const namespace = existsSync(`/run/netns/${ns}`)
  const state: RouterState = {haproxy: livePid(haproxyPidFile(routerId), 'haproxy'), listening: false, namespace, qr: [], redirect: false}
  if (!namespace) return state
  const [addr, nat, ss] = await Promise.all([
    run('ip', ['-n', ns, '-4', '-o', 'addr', 'show']),
    run('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat']),
    run('ip', ['netns', 'exec', ns, 'ss', '-ltnH', `sport = :${L3_METADATA_PORT}`]),
  ])
  state.qr = [...addr.stdout.matchAll(/^\d+: (qr-\S+)\s+inet (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`)
  state.redirect = nat.stdout.split('\n').includes(`-A neutron-l3-agent-PREROUTING ${REDIRECT_RULE}`)
  state.listening = /LISTEN/.test(ss.stdout)
  return state
}

/** the whole router chain is there: namespace, a qr- device holding the gateway, the redirect, haproxy listening */
export const routerReady =
  (gateway: string) =>
  (s: RouterState): boolean =>
    s.namespace && s.qr.some((q) => q.split(' ')[1]?.startsWith(`${gateway}/`)) && s.redirect && s.haproxy !== null && s.listening

export async function waitForRouter(routerId: string, want: (s: RouterState) => boolean, timeoutMs = 400_000): Promise<{state: RouterState; ms: number}> {
  const t0 = Date.now()
  let state = await routerState(routerId)
  while (!want(state)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`router ${routerId} after ${timeoutMs} ms: ${JSON.stringify(state)}`)
    await sleep(250)
    state = await routerState(routerId)
  }
  return {ms: Date.now() - t0, state}
}

export interface RoutedNetwork {
  network: Network
  subnet: Subnet
  router: Router
  routerInterface: RouterInterface
  /** the subnet's gateway IP, held by the router's qr- device */
  gateway: string
  cidr: string
  /** ms from add_router_interface until the router chain was complete */
  readyMs: number
}

/**
 * A network with an IPv4 subnet (DHCP on, gateway = the first address of CIDR), a router with
 * no external gateway, and the router's interface on the subnet; waits for the L3 agent's router
 * chain. Everything is registered with `made` (cleanup() deletes it in order).
 */
export async function makeRoutedNetwork(made: Created, name: string, cidr: string, opts: {timeoutMs?: number} = {}): Promise<RoutedNetwork> {
  const gateway = cidr.replace(/\.0\/(\d+)$/, '.1')
  if (gateway === cidr) throw new Error(`makeRoutedNetwork: ${cidr} does not end in .0/N`)
  const network = await made.network(name)
  const subnet = await made.subnet(network.id, cidr, {gateway, name: `${name}-v4`})
  const router = await made.router(`${name}-router`)
  const t0 = Date.now()
  const routerInterface = await made.routerInterface(router.id, subnet.id)
  await waitForRouter(router.id, routerReady(gateway), opts.timeoutMs ?? 120_000)
  return {cidr, gateway, network, readyMs: Date.now() - t0, router, routerInterface, subnet}
}

// ---- the instance ------------------------------------------------------------------------------

export interface Lease {
  ip: string
  mask: string
  router?: string
  serverid?: string
  /** option 121 as busybox passes it: "169.254.169.254/32 203.0.113.1 0.0.0.0/0 203.0.113.1" */
  staticroutes?: string
}

/** What an instance's curl of 169.254.169.254 got, as one word first: the HTTP status, or how it failed. */
export interface Truth {
  /** '200', '503', ... or refused | unreachable | timeout | reset | empty-reply | curl-exit-N */
  word: string
  /** the body (HTTP) or curl's own message */
  detail: string
  ms: number
}

export interface Instance {
  /** the namespace qmos-vm-NAME */
  ns: string
  port: Port
  /** the made-up Nova instance id (the port's device_id), which fake nova answers on .../instance-id */
  instanceId: string
  mac: string
  ip: string
  /** the root end of its veth, tap<port[:11]>, in brq<net[:11]> */
  tap: string
  /** (re)run busybox udhcpc in it (a lease renewal as the instance sees it); answers the lease or null */
  dhcp(): Promise<Lease | null>
  /** GET http://169.254.169.254/latest/meta-data/instance-id from inside it */
  curl(opts?: {connectTimeoutS?: number; maxTimeS?: number}): Promise<Truth>
  /** `ip -4 route` inside it */
  routes(): Promise<string>
  /** delete its namespace (the veth goes with it) and its port; idempotent */
  remove(): Promise<void>
}

function readLease(file: string): Lease | null {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const events = text.split(/\n\n+/).map((block) =>
    Object.fromEntries(
      block
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ),
  )
  const bound = events.filter((e) => e.event === 'bound' || e.event === 'renew').at(-1)
  return bound ? {ip: bound.ip, mask: bound.mask, router: bound.router, serverid: bound.serverid, staticroutes: bound.staticroutes} : null
}

/** curl 169.254.169.254 from inside namespace `ns` (never from the root namespace) */
export async function curlMetadata(ns: string, opts: {connectTimeoutS?: number; maxTimeS?: number} = {}): Promise<Truth> {
  if (!ns.startsWith(INSTANCE_PREFIX)) throw new Error(`curlMetadata: ${ns} is not an instance namespace (${INSTANCE_PREFIX}*)`)
  const t0 = Date.now()
  const r = await run(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'curl',
      '-sS',
      '--noproxy',
      '*',
      '--connect-timeout',
      String(opts.connectTimeoutS ?? 3),
      '--max-time',
      String(opts.maxTimeS ?? 6),
      '-w',
      '\n%{http_code}',
      'http://169.254.169.254/latest/meta-data/instance-id',
    ],
    {env: {http_proxy: '', https_proxy: '', no_proxy: '*'}, timeoutMs: 30_000},
  )
  const ms = Date.now() - t0
  if (r.status === 0) {
    const i = r.stdout.lastIndexOf('\n')
    return {detail: r.stdout.slice(0, i), ms, word: r.stdout.slice(i + 1).trim()}
  }
  const err = r.stderr.trim()
  const word =
    r.status === 28
      ? 'timeout'
      : r.status === 52
        ? 'empty-reply'
        : r.status === 56
          ? 'reset'
          : r.status === 7
            ? /refused/i.test(err)
              ? 'refused'
              : /unreachable|no route/i.test(err)
                ? 'unreachable'
                : await connectWord(ns)
            : `curl-exit-${r.status}`
  return {detail: err, ms, word}
}

/** curl 7.88 says "Couldn't connect to server" for a refusal and an unreachable net alike: connect(2) tells */
async function connectWord(ns: string): Promise<string> {
  const r = await run('ip', ['netns', 'exec', ns, 'timeout', '3', 'bash', '-c', 'exec 3<>/dev/tcp/169.254.169.254/80'], {timeoutMs: 10_000})
  if (/refused/i.test(r.stderr)) return 'refused'
  if (/unreachable|no route/i.test(r.stderr)) return 'unreachable'
  return r.status === 0 ? 'connect-failed' : 'timeout'
}

/** the brq bridge of a network (the linuxbridge agent makes it when the first port is plugged) */
export const bridgeOf = (networkId: string) => `brq${networkId.slice(0, 11)}`

/**
 * An instance on `networkId`: a port (compute:nova, bound to qm-ci-host, port security off so
 * the linuxbridge agent adds no anti-spoofing rules to the root namespace), the namespace
 * qmos-vm-NAME with eth0 = the port's MAC, the root end tap<port[:11]> (no IPv6 address) in the
 * network's brq bridge, and a DHCP lease. Throws if no lease comes. Register `remove` for cleanup.
 * `instanceId`: the port's device_id (default a random uuid; test/openstack/nova.ts gives a real
 * Nova instance's).
 */
export async function makeInstance(networkId: string, name: string, opts: {timeoutMs?: number; instanceId?: string} = {}): Promise<Instance> {
  if (!/^[a-z0-9-]{1,40}$/.test(name)) throw new Error(`makeInstance: bad name ${name}`)
  const ns = `${INSTANCE_PREFIX}${name}`
  const instanceId = opts.instanceId ?? randomUUID()
  const {port} = await neutron<{port: Port}>('POST', '/ports', {
    port: {
      'binding:host_id': DHCP_AGENT_HOST,
      device_id: instanceId,
      device_owner: 'compute:nova',
      name: ns,
      network_id: networkId,
      port_security_enabled: false,
    },
  })
  const mac = port.mac_address as string
  const tap = `tap${port.id.slice(0, 11)}`
  const dir = mkdtempSync(join(tmpdir(), 'qmos-lease-'))
  const leaseFile = join(dir, 'lease')
  const remove = async () => {
    if (existsSync(`/run/netns/${ns}`)) await run('ip', ['netns', 'delete', ns])
    if (existsSync(`/sys/class/net/${tap}`)) await run('ip', ['link', 'delete', tap])
    await neutron('DELETE', `/ports/${port.id}`).catch((error) => {
      if (!String(error).includes('404')) throw error
    })
    rmSync(dir, {force: true, recursive: true})
  }
  try {
    if (existsSync(`/run/netns/${ns}`)) await must('ip', ['netns', 'delete', ns])
    await must('ip', ['netns', 'add', ns])
    await must('ip', ['link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
    await must('ip', ['link', 'set', tap, 'addrgenmode', 'none']) // no IPv6 link-local in the root namespace
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', mac])
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
    await must('ip', ['link', 'set', tap, 'up'])
    const brq = bridgeOf(networkId)
    await until(`bridge ${brq}`, () => existsSync(`/sys/class/net/${brq}/bridge`), 60_000)
    // the linuxbridge agent leaves compute:nova ports to os-vif: plug it as os-vif does
    await must('ip', ['link', 'set', tap, 'master', brq])
    // dnsmasq answers once the port is in its host file
    await until(
      `${mac} in the DHCP agent's host file`,
      () => {
        try {
          return readFileSync(`${NEUTRON_STATE_PATH}/dhcp/${networkId}/host`, 'utf8').toLowerCase().includes(mac.toLowerCase())
        } catch {
          return false
        }
      },
      opts.timeoutMs ?? 180_000,
    )
  } catch (error) {
    await remove()
    throw error
  }
  const dhcp = async (): Promise<Lease | null> => {
    writeFileSync(leaseFile, '')
    // -n: exit when no lease; -q: exit once bound (no process left behind); -f: foreground
    await run('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-f', '-t', '5', '-T', '2', '-O', 'staticroutes', '-s', HOOK], {
      env: {QMOS_LEASE: leaseFile},
      timeoutMs: 40_000,
    })
    return readLease(leaseFile)
  }
  let lease: Lease | null = null
  for (let i = 0; i < 3 && !lease; i++) lease = await dhcp()
  if (!lease) {
    const why = readFileSync(leaseFile, 'utf8').slice(-2000)
    await remove()
    throw new Error(`${ns} got no DHCP lease: ${why}`)
  }
  return {
    curl: (o) => curlMetadata(ns, o),
    dhcp,
    instanceId,
    ip: port.fixed_ips[0]?.ip_address ?? '',
    mac,
    ns,
    port,
    remove,
    routes: async () => (await must('ip', ['-n', ns, '-4', 'route'])).trim(),
    tap,
  }
}

/** poll the instance's curl until its word is `want`; answers the last truth (whatever it is) */
export async function waitForTruth(instance: Instance, want: string, timeoutMs: number): Promise<Truth> {
  const t0 = Date.now()
  for (;;) {
    const t = await instance.curl({connectTimeoutS: 2, maxTimeS: 4})
    if (t.word === want || Date.now() - t0 > timeoutMs) return t
    await sleep(1000)
  }
}

// ---- the harness's daemons -----------------------------------------------------------------------

/** stop one harness daemon by its pid record (down.sh --only NAME) */
export async function stopDaemon(name: string): Promise<void> {
  await must(DOWN_SCRIPT, ['--only', name], {timeoutMs: 120_000})
}

/**
 * up.sh: starts what is not running, restarts what reads a changed config file. When it refuses
 * (exit 3) because a Neutron process it did not start runs, it is asked again for up to 3 minutes:
 * on a machine shared with other test runs, their stand-in agents come and go.
 */
export async function harnessUp(): Promise<void> {
  const t0 = Date.now()
  for (;;) {
    const r = await run(UP_SCRIPT, [], {timeoutMs: 600_000})
    if (r.status === 0) return
    if (r.status === 3 && /Neutron process\(es\) this harness did not start/.test(r.stderr) && Date.now() - t0 < 180_000) {
      console.warn(`up.sh refused (${r.stderr.trim()}); asking again in 5 s`)
      await sleep(5000)
      continue
    }
    throw new Error(`up.sh -> exit ${r.status}: ${r.stderr.trim().split('\n').slice(-8).join('\n')}`)
  }
}

/** the L3 agent stopped and started again; waits for the router chain (full sync) */
export async function restartL3Agent(net: RoutedNetwork, timeoutMs = 400_000): Promise<number> {
  const t0 = Date.now()
  await stopDaemon('neutron-l3-agent')
  await harnessUp()
  await waitForRouter(net.router.id, routerReady(net.gateway), timeoutMs)
  return Date.now() - t0
}

function iniGet(file: string, section: string, key: string): string | undefined {
  const r = spawnSync('crudini', ['--get', file, section, key], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() : undefined
}

// ---- the faults --------------------------------------------------------------------------------

export interface Fault {
  /** what was done, as a command line or an API call */
  did: string
  /** put it back; answers what that took */
  restore(): Promise<string>
}

export type FaultName = 'proxy-killed' | 'redirect-deleted' | 'metadata-proxy-disabled' | 'namespace-deleted' | 'metadata-agent-stopped' | 'interface-removed'

/**
 * Each fault breaks one link of the router chain of `net`, and answers how to restore it:
 * - proxy-killed: SIGKILL the router's haproxy (its pid file, checked to be haproxy); restore: the L3
 *   agent's ProcessMonitor respawns it (check_child_processes_interval, 60 s), else an agent restart
 * - redirect-deleted: `iptables -t nat -D neutron-l3-agent-PREROUTING ...` inside qrouter-R, with
 *   the backend the agent wrote it with (iptables-nft on Debian 12); restore: agent restart (full sync)
 * - metadata-proxy-disabled: l3_agent.ini enable_metadata_proxy = False, agent restarted; restore: True, restarted
 * - namespace-deleted: the router's haproxy stopped, then `ip netns delete qrouter-R` (the
 *   namespace alone would live on in haproxy); restore: agent restart
 * - metadata-agent-stopped: neutron-metadata-agent stopped by its pid record; restore: up.sh
 * - interface-removed: PUT remove_router_interface (the network becomes isolated: the DHCP agent's
 *   proxy takes over after the instance renews its lease); restore: add_router_interface again
 */
export const FAULTS: Record<FaultName, (net: RoutedNetwork) => Promise<Fault>> = {
  async 'interface-removed'(net) {
    await removeRouterInterface(net.router.id, net.subnet.id)
    return {
      did: `PUT /v2.0/routers/${net.router.id}/remove_router_interface {"subnet_id": "${net.subnet.id}"}`,
      restore: async () => {
        const t0 = Date.now()
        net.routerInterface = await addRouterInterface(net.router.id, net.subnet.id)
        await waitForRouter(net.router.id, routerReady(net.gateway))
        return `PUT .../add_router_interface again: router chain back in ${Date.now() - t0} ms`
      },
    }
  },
  async 'metadata-agent-stopped'() {
    await stopDaemon('neutron-metadata-agent')
    return {
      did: 'down.sh --only neutron-metadata-agent (stopped by its pid record)',
      restore: async () => {
        const t0 = Date.now()
        await harnessUp()
        return `up.sh started it again in ${Date.now() - t0} ms`
      },
    }
  },
  async 'metadata-proxy-disabled'(net) {
    await must('crudini', ['--set', L3_AGENT_INI, 'DEFAULT', 'enable_metadata_proxy', 'False'])
    const t0 = Date.now()
    await stopDaemon('neutron-l3-agent')
    await harnessUp()
    // the restarted agent's full sync takes the redirect (and the proxy) away
    await waitForRouter(net.router.id, (s) => s.namespace && !s.redirect, 400_000)
    return {
      did: `crudini --set ${L3_AGENT_INI} DEFAULT enable_metadata_proxy False; L3 agent restarted (${Date.now() - t0} ms until its sync removed the redirect)`,
      restore: async () => {
        await must('crudini', ['--set', L3_AGENT_INI, 'DEFAULT', 'enable_metadata_proxy', 'True'])
        return `enable_metadata_proxy = True; L3 agent restarted: router chain back in ${await restartL3Agent(net)} ms`
      },
    }
  },
  async 'namespace-deleted'(net) {
    const ns = routerNamespace(net.router.id)
    const pid = livePid(haproxyPidFile(net.router.id), 'haproxy')
    if (pid !== null) {
      process.kill(pid, 'SIGTERM')
      await until(`haproxy ${pid} to exit`, () => !existsSync(`/proc/${pid}`), 10_000, 100)
    }
    await must('ip', ['netns', 'delete', ns])
    return {
      did: `kill -TERM ${pid} (haproxy, ${haproxyPidFile(net.router.id)}); ip netns delete ${ns}`,
      restore: async () => `L3 agent restarted: router chain back in ${await restartL3Agent(net)} ms`,
    }
  },
  async 'proxy-killed'(net) {
    const pid = livePid(haproxyPidFile(net.router.id), 'haproxy')
    if (pid === null) throw new Error(`no live haproxy in ${haproxyPidFile(net.router.id)}`)
    process.kill(pid, 'SIGKILL')
    await until(`haproxy ${pid} to die`, () => !existsSync(`/proc/${pid}`) || /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8')), 10_000, 100)
    const killed = Date.now()
    return {
      did: `kill -KILL ${pid} (haproxy, ${haproxyPidFile(net.router.id)})`,
      restore: async () => {
        // the agent's ProcessMonitor respawns it (every [agent] check_child_processes_interval, 60 s);
        // an agent restart if it has not within 150 s
        try {
          await waitForRouter(net.router.id, routerReady(net.gateway), 150_000)
          return `the L3 agent's ProcessMonitor respawned haproxy ${Date.now() - killed} ms after the kill`
        } catch {
          return `no respawn within 150 s: L3 agent restarted, router chain back in ${await restartL3Agent(net)} ms`
        }
      },
    }
  },
  async 'redirect-deleted'(net) {
    const ns = routerNamespace(net.router.id)
    const args = ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-D', 'neutron-l3-agent-PREROUTING', ...REDIRECT_RULE.split(' ')]
    await must('ip', args)
    return {
      did: `ip ${args.join(' ')}`,
      restore: async () => `L3 agent restarted (full sync): router chain back in ${await restartL3Agent(net)} ms`,
    }
  },
}

/** enable_metadata_proxy as the L3 agent's config says now (undefined: unset, Neutron's default True) */
export const l3MetadataProxy = () => iniGet(L3_AGENT_INI, 'DEFAULT', 'enable_metadata_proxy')

// ---- the root namespace: what the L3 agent must never touch --------------------------------------

/**
 * The root network namespace's addresses, IPv4/IPv6 routes of every table, iptables-save,
 * ip6tables-save, iptables-legacy-save, `nft list ruleset` and the TCP/UDP listeners beyond
 * loopback, normalised (no counters, no timestamps, no lifetimes) so that two readings compare.
 */
export async function rootNamespaceState(): Promise<string> {
  const strip = (s: string) =>
    s
      .split('\n')
      .filter((l) => !/^# (Generated|Completed)/.test(l))
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[0:0]'))
      .join('\n')
  const parts: [string, string[]][] = [
    ['ip -o addr', ['ip', '-o', 'addr', 'show']],
    ['ip -4 route show table all', ['ip', '-4', 'route', 'show', 'table', 'all']],
    ['ip -6 route show table all', ['ip', '-6', 'route', 'show', 'table', 'all']],
    ['iptables-save', ['iptables-save']],
    ['ip6tables-save', ['ip6tables-save']],
    ['iptables-legacy-save', ['iptables-legacy-save']],
    ['nft list ruleset', ['nft', 'list', 'ruleset']],
    ['ss -ltnuH', ['ss', '-ltnuH']],
  ]
  const out: string[] = []
  for (const [title, argv] of parts) {
    const r = await run(argv[0], argv.slice(1))
    let text = `${r.stdout}${r.stderr}`
    if (title === 'ip -o addr') text = text.replace(/\s+(valid_lft|preferred_lft) \S+/g, '').replace(/\\\s*$/gm, '')
    if (title === 'ss -ltnuH')
      text = text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/))
        .map((f) => `${f[0]} ${f[4]}`)
        .filter((l) => !/ (127\.[\d.]+|\[::1\]|\[::ffff:127\.[\d.]+\]):\d+$/.test(l))
        .sort()
        .join('\n')
    out.push(`## ${title}`, strip(text).trimEnd())
  }
  return out.join('\n')
}

/** the instance namespaces a crashed earlier run left (down.sh deletes them too) */
export function leftoverInstances(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(INSTANCE_PREFIX))
  } catch {
    return []
  }
}
