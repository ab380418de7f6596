/**
 * A miniature OpenStack DHCP/metadata network node built from real parts, for integration
 * tests of `quantum-meta diagnose`:
 *
 *   switch ns qmt-sw-<short>          qdhcp-<net> ns                     root ns
 *   ┌────────────────────────┐        ┌──────────────────────────────┐
 *   │ bridge (no address)    │─veth──▶│ tap…/ns… DHCP-IP + 169.254…  │
 *   │                        │        │ dnsmasq (agent's argv)       │   stand-in metadata agent
 *   │                        │        │ proxy :80 ───────────────────┼──▶ on UNIX socket
 *   │                        │─veth─┐ └──────────────────────────────┘   STATE/metadata_proxy
 *   └────────────────────────┘      └▶ qmt-vm-<short> ns: eth0, udhcpc, curl  (the "VM")
 *
 * Nothing is added to the root namespace: the bridge lives in its own namespace, every veth
 * is created there with its peer directly in the target namespace. The only root-namespace
 * process is the metadata agent stand-in, reached over a UNIX socket (not network traffic).
 *
 * Everything on disk lives under one temp dir laid out like a node's filesystem:
 *   TMP/etc/{quantum|neutron}/dhcp_agent.ini       the agent config (enable_isolated_metadata = True)
 *   TMP/etc/{quantum|neutron}/{quantum|neutron}.conf, metadata_agent.ini   state_path, agent settings
 *   TMP/var/lib/{quantum|neutron}/                 the agent's state_path
 *       dhcp/NET/{pid,host,opts[,addn_hosts,leases,interface]}
 *       external/pids/NET.pid (Grizzly proxy) | NET.pid.haproxy
 *       ns-metadata-proxy/NET.conf (haproxy)       metadata_proxy (the socket)
 *   TMP/usr/bin/quantum-ns-metadata-proxy, TMP/usr/bin/python -> python3   (Grizzly stand-in)
 *   TMP/usr/bin/{quantum|neutron}-metadata-agent   the metadata agent stand-in
 *   TMP/rig/                                       reaper, udhcpc hook, logs (the rig's own)
 * The layout makes src/layout.ts see a `quantum` directory for the Grizzly node.
 */
import {spawn} from 'node:child_process'
import {randomBytes, randomUUID} from 'node:crypto'
import {chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {type TrackedPid, RigError, ip, ipn, isAlive, netnsExists, readPidFile, run, signalOurs, stopOurs, waitFor} from './exec.js'
import {Manifest, TMP_PREFIX, destroyRecorded, sweepLeftovers} from './manifest.js'
import {type VmResult, type VmSpec, runVm} from './vm.js'

export type {VmHttp, VmResult} from './vm.js'

export type Layout = 'quantum' | 'neutron'
export type SubnetCidr = '172.17.17.0/24' | '198.51.100.0/24' | '203.0.113.0/24'

export interface NodeSpec {
  layout: Layout
  /** default: 172.17.17.0/24 for quantum (the seed), 198.51.100.0/24 for neutron (the Zed node) */
  subnet?: SubnetCidr
  /** default: a fresh random UUID (the fleet rig gives several nodes the same network id) */
  netId?: string
  /** the DHCP port IP's last octet (default 1; the fleet rig gives each host its own) */
  dhcpHostPart?: number
  /**
   * default TMP/var/lib/<project> and TMP/etc/<project>; the fleet rig builds each host's node at
   * the host's own /var/lib/neutron and /etc/neutron (bind mounts private to that host)
   */
  statePath?: string
  etcDir?: string
}

export const FAULT_KINDS = [
  'opts-route-missing',
  'wrong-next-hop',
  'proxy-down',
  'metadata-address-removed',
  'dnsmasq-down',
  'config-off',
  'namespace-missing',
  'upstream-socket-gone',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface FakeNode {
  layout: Layout
  /** fresh random UUID */
  netId: string
  /** qdhcp-<netId> */
  namespace: string
  /** the temp dir everything lives in (removed by cleanup) */
  root: string
  /** the agent's state_path: TMP/var/lib/quantum | TMP/var/lib/neutron */
  statePath: string
  /** TMP/etc/quantum/dhcp_agent.ini | TMP/etc/neutron/dhcp_agent.ini, enable_isolated_metadata = True */
  configFile: string
  /** TMP/etc/<project>/<project>.conf: [DEFAULT] state_path */
  projectConfigFile: string
  /** TMP/etc/<project>/metadata_agent.ini, read by the metadata agent stand-in */
  metadataAgentConfigFile: string
  /** the DHCP port's device in the namespace: tap<port[:11]> (quantum, OVS style) | ns-<port[:11]> (neutron, linuxbridge style) */
  device: string
  /** the DHCP port's uuid */
  portId: string
  /** the DHCP port's MAC */
  portMac: string
  subnet: SubnetCidr
  /** the DHCP port's IP (first address of the subnet, as on a gateway-less subnet) */
  dhcpIp: string
  /** 169.254.169.254/16 (quantum, as in the seed) | 169.254.169.254/32 (neutron, as on Zed) */
  metadataCidr: string
  /** neutron: the subnet uuid of tag:subnet-<uuid> */
  subnetId?: string
  /** the dnsmasq tag: tag0 | subnet-<uuid> */
  tag: string
  /** STATE/dhcp/NET */
  dhcpDir: string
  optsFile: string
  hostsFile: string
  /** the proxy's pid file: STATE/external/pids/NET.pid | NET.pid.haproxy */
  proxyPidFile: string
  /** neutron: STATE/ns-metadata-proxy/NET.conf */
  proxyConfigFile?: string
  /** STATE/metadata_proxy */
  metadataSocket: string
  /** the exact argv dnsmasq was started with (after `ip netns exec NS`) */
  dnsmasqArgv: string[]
  proxyArgv: string[]
  dnsmasqPid: number
  proxyPid: number
  /** the stand-in metadata agent (root namespace), argv as `ps` shows it */
  metadataAgentPid?: number
  metadataAgentArgv: string[]
  /** the VM: its namespace, port, MAC and the fixed IP in the hosts file */
  vmNamespace: string
  vmPortId: string
  vmMac: string
  vmIp: string
  /** the namespace holding the bridge */
  switchNamespace: string
  bridge: string
  /** faults applied so far, in order */
  faults: FaultKind[]
  /** run the ground-truth VM once (fresh DHCP, route check, HTTP GET of http://169.254.169.254/) */
  vm(): Promise<VmResult>
  /** break exactly one link of the chain as a real failure would */
  fault(kind: FaultKind): Promise<void>
  /** remove every namespace, process and file of this node; idempotent */
  cleanup(): Promise<void>
}

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url))
const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url))
/** what every command started in a namespace gets as PATH (the agents find dnsmasq/haproxy by PATH too) */
const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function python3(): string {
  // Debian's interpreter; a PATH python3 may be a pyenv shim, which must not be symlinked as "python"
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3'
  throw new RigError('the rig needs /usr/bin/python3 (run scripts/install-test-deps.sh)')
}

const mac = () => 'fa:16:3e:' + [...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')

function subnetBase(cidr: SubnetCidr): string {
  return cidr.split('/')[0]!.split('.').slice(0, 3).join('.')
}

/** host-a-b-c-d.openstacklocal, as both Grizzly's and Zed's dnsmasq drivers name a port */
const hostName = (addr: string) => `host-${addr.replaceAll('.', '-')}`

function writeFile(path: string, text: string, mode = 0o644) {
  writeFileSync(path, text, {mode})
  chmodSync(path, mode) // umask-proof: dnsmasq (as nobody) re-reads host/opts on SIGHUP
}

function mkdirs(...dirs: string[]) {
  for (const d of dirs) {
    mkdirSync(d, {mode: 0o755, recursive: true})
    chmodSync(d, 0o755)
  }
}

/** dhcp_agent.ini: the verbatim fixture of the release (see test/fixtures/config/SOURCES.md), switched on. */
function agentConfig(layout: Layout): string {
  const active = /^\s*enable_isolated_metadata\s*=.*$/m
  if (layout === 'quantum') {
    let text: string
    try {
      text = readFileSync(join(FIXTURES, 'grizzly-quantum-2013.1.dhcp_agent.ini'), 'utf8')
    } catch {
      text =
        '[DEFAULT]\ninterface_driver = quantum.agent.linux.interface.OVSInterfaceDriver\ndhcp_driver = quantum.agent.linux.dhcp.Dnsmasq\n# enable_isolated_metadata = False\n'
    }
    if (active.test(text)) return text.replace(active, 'enable_isolated_metadata = True')
    // below its commented default, as an operator following the seed would do
    const commented = /^#\s*enable_isolated_metadata\s*=.*$/m
    if (commented.test(text)) return text.replace(commented, (l) => `${l}\nenable_isolated_metadata = True`)
    return text.replace(/^\[DEFAULT\]\s*$/m, '[DEFAULT]\nenable_isolated_metadata = True')
  }
  let text: string
  try {
    text = readFileSync(join(FIXTURES, 'debian-bookworm-neutron-common-21.0.0-7.dhcp_agent.ini'), 'utf8')
  } catch {
    text = '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = True\n'
  }
  return active.test(text)
    ? text.replace(active, 'enable_isolated_metadata = True')
    : text.replace(/^\[DEFAULT\]\s*$/m, '[DEFAULT]\nenable_isolated_metadata = True')
}

/** The haproxy config Neutron (Zed) generates, verbatim shape; only user/group differ (no `neutron` user here). */
function haproxyConfig(o: {netId: string; pidFile: string; socket: string; device: string; ipv6: boolean}): string {
  return [
    '',
    'global',
    '    log         /dev/log local0 info',
    `    log-tag     haproxy-metadata-proxy-${o.netId}`,
    '    user        nobody',
    '    group       nogroup',
    '    maxconn     1024',
    `    pidfile     ${o.pidFile}`,
    '    daemon',
    '',
    'defaults',
    '    log global',
    '    mode http',
    '    option httplog',
    '    option dontlognull',
    '    option http-server-close',
    '    option forwardfor',
    '    retries                 3',
    '    timeout http-request    30s',
    '    timeout connect         30s',
    '    timeout client          32s',
    '    timeout server          32s',
    '    timeout http-keep-alive 30s',
    '',
    'listen listener',
    '    bind 169.254.169.254:80',
    ...(o.ipv6 ? [`    bind fe80::a9fe:a9fe:80 interface ${o.device}`] : []),
    `    server metadata ${o.socket}`,
    '    http-request del-header X-Neutron-Router-ID',
    `    http-request set-header X-Neutron-Network-ID ${o.netId}`,
    '',
  ].join('\n')
}

interface Ctx {
  layout: Layout
  manifest: Manifest
  root: string
  rigDir: string
  logDir: string
  python: string
  tracked: TrackedPid[]
}

/** Track a PID in memory and in the manifest (so a crashed run can be cleaned up later). */
function track(ctx: Ctx, t: TrackedPid) {
  ctx.tracked.push(t)
  ctx.manifest.addPid(t)
}

/**
 * Start a program that daemonises (dnsmasq, haproxy, the Grizzly proxy) under the rig's reaper
 * (assets/reaper.py, its subreaper), wait for the foreground process to exit and return its
 * exit code. The daemon's PID comes from its pid file.
 */
async function startDaemon(ctx: Ctx, what: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const logPath = join(ctx.logDir, `${what}.log`)
  const fd = openSync(logPath, 'a')
  const reaper = join(ctx.rigDir, 'reaper.py')
  const child = spawn(ctx.python, [reaper, ...argv], {
    detached: true,
    env: {PATH: SYS_PATH, ...env, QMT_LOG: logPath},
    stdio: ['ignore', 'pipe', fd],
  })
  closeSync(fd)
  if (child.pid) track(ctx, {match: reaper, pid: child.pid, what: `${what} reaper`})
  const code = await new Promise<number | null>((resolve) => {
    let out = ''
    const status = () => {
      const m = /^exit (-?\d+)$/m.exec(out)
      return m ? Number(m[1]) : null
    }
    const done = (c: number | null) => {
      clearTimeout(timer)
      resolve(c)
    }
    const timer = setTimeout(() => done(null), 15_000)
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      if (status() !== null) done(status())
    })
    child.on('exit', () => done(status()))
    child.on('error', () => done(null))
  })
  child.stdout!.destroy()
  child.unref()
  if (code !== 0) {
    let log = ''
    try {
      log = readFileSync(logPath, 'utf8').trim()
    } catch {}
    throw new RigError(`${what} did not start (exit ${code}): ${argv.join(' ')}\n${log}`)
  }
}

async function pidFromFile(path: string, what: string): Promise<number> {
  let pid: number | null = null
  await waitFor(() => (pid = readPidFile(path)) !== null && isAlive(pid), 5000)
  if (pid === null || !isAlive(pid)) throw new RigError(`${what}: no live pid in ${path}`)
  return pid
}

/** Build a fresh node. On any failure everything created so far is removed before rethrowing. */
export async function buildNode(spec: NodeSpec): Promise<FakeNode> {
  if (process.getuid?.() !== 0) throw new RigError('the rig needs root (network namespaces)')
  await sweepLeftovers()

  const layout = spec.layout
  const subnet: SubnetCidr = spec.subnet ?? (layout === 'quantum' ? '172.17.17.0/24' : '198.51.100.0/24')
  const base = subnetBase(subnet)
  const netId = spec.netId ?? randomUUID()
  const portId = randomUUID()
  const vmPortId = randomUUID()
  const subnetId = layout === 'neutron' ? randomUUID() : undefined
  const short = randomBytes(4).toString('hex')

  const root = mkdtempSync(join(tmpdir(), TMP_PREFIX))
  chmodSync(root, 0o755) // dnsmasq and haproxy drop to nobody and still read files below
  const manifest = new Manifest(root)
  const ctx: Ctx = {layout, logDir: join(root, 'rig', 'log'), manifest, python: python3(), rigDir: join(root, 'rig'), root, tracked: []}

  const project = layout
  const statePath = spec.statePath ?? join(root, 'var', 'lib', project)
  const etcDir = spec.etcDir ?? join(root, 'etc', project)
  const configFile = join(etcDir, 'dhcp_agent.ini')
  const projectConfigFile = join(etcDir, `${project}.conf`)
  const metadataAgentConfigFile = join(etcDir, 'metadata_agent.ini')
  const dhcpDir = join(statePath, 'dhcp', netId)
  const pidsDir = join(statePath, 'external', 'pids')
  const binDir = join(root, 'usr', 'bin')
  const metadataSocket = join(statePath, 'metadata_proxy')
  if (Buffer.byteLength(metadataSocket) > 107) throw new RigError(`socket path too long for AF_UNIX: ${metadataSocket} (set TMPDIR shorter)`)

  const namespace = `qdhcp-${netId}`
  const switchNamespace = `qmt-sw-${short}`
  const vmNamespace = `qmt-vm-${short}`
  const device = (layout === 'quantum' ? 'tap' : 'ns-') + portId.slice(0, 11)
  // the device's peer in the bridge: linuxbridge names it tap<port>; for the OVS-style node any name will do
  const devicePeer = (layout === 'quantum' ? 'qvo' : 'tap') + portId.slice(0, 11)
  const vmTap = 'tap' + vmPortId.slice(0, 11)
  const bridge = layout === 'quantum' ? 'br-int' : 'brq' + netId.slice(0, 11)
  const dhcpIp = `${base}.${spec.dhcpHostPart ?? 1}`
  const metadataCidr = layout === 'quantum' ? '169.254.169.254/16' : '169.254.169.254/32'
  const portMac = mac()
  const vmMac = mac()
  const vmIp = `${base}.${100 + Math.floor(Math.random() * 100)}`
  const tag = layout === 'quantum' ? 'tag0' : `subnet-${subnetId}`

  const optsFile = join(dhcpDir, 'opts')
  const hostsFile = join(dhcpDir, 'host')
  const proxyPidFile = join(pidsDir, layout === 'quantum' ? `${netId}.pid` : `${netId}.pid.haproxy`)
  const proxyConfigFile = layout === 'neutron' ? join(statePath, 'ns-metadata-proxy', `${netId}.conf`) : undefined

  const faults: FaultKind[] = []
  let cleaned: Promise<void> | null = null
  const cleanup = (): Promise<void> => {
    cleaned ??= (async () => {
      for (const t of [...ctx.tracked].reverse()) await stopOurs(t)
      await destroyRecorded(root, manifest.data)
    })()
    return cleaned
  }

  try {
    // --- files -----------------------------------------------------------------------------
    mkdirs(etcDir, dhcpDir, pidsDir, binDir, ctx.logDir, ...(proxyConfigFile ? [join(statePath, 'ns-metadata-proxy')] : []))
    const install = (from: string, to: string) => {
      copyFileSync(join(ASSETS, from), to)
      chmodSync(to, 0o755)
    }
    for (const f of ['reaper.py', 'udhcpc-hook.sh']) install(f, join(ctx.rigDir, f))
    // the python the Grizzly-era programs run as: argv[0] "python", found through PATH
    symlinkSync(ctx.python, join(binDir, 'python'))
    const agentScript = join(binDir, `${project}-metadata-agent`)
    install('metadata-agent.py', agentScript)
    writeFile(configFile, agentConfig(layout))
    writeFile(projectConfigFile, `[DEFAULT]\n# written by the quantum-meta integration rig\nstate_path = ${statePath}\n`)
    // Nova's metadata API where the agent's config names it (what `diagnose --probe` asks, nova.reach): a stand-in
    // on 127.0.0.1 at a free port of its own, never the OpenStack harness's 8775 (its fake-nova may be up or not)
    const novaScript = join(binDir, 'nova-standin.py')
    install('nova-standin.py', novaScript)
    const novaPortFile = join(binDir, 'nova-port')
    const nova = spawn(ctx.python, [novaScript, novaPortFile], {detached: true, env: {PATH: SYS_PATH}, stdio: 'ignore'})
    if (!nova.pid) throw new RigError('Nova stand-in did not start')
    track(ctx, {match: novaScript, pid: nova.pid, what: 'Nova stand-in'})
    let novaPort = ''
    for (let i = 0; i < 200 && !novaPort; i++) {
      if (existsSync(novaPortFile)) novaPort = readFileSync(novaPortFile, 'utf8').trim()
      else await sleep(50)
    }
    if (!novaPort) throw new RigError('Nova stand-in wrote no port')
    writeFile(
      metadataAgentConfigFile,
      [
        '[DEFAULT]',
        '# written by the quantum-meta integration rig: the stand-in agent only serves the socket,',
        '# it does not talk to Neutron or Nova',
        layout === 'quantum' ? 'nova_metadata_ip = 127.0.0.1' : 'nova_metadata_host = 127.0.0.1',
        `nova_metadata_port = ${novaPort}`,
        'metadata_proxy_shared_secret = qmt-rig-secret',
        '# metadata_proxy_socket = $state_path/metadata_proxy',
        '',
      ].join('\n'),
    )

    // hosts file: one line per port, `mac,host-a-b-c-d.openstacklocal,ip` (Grizzly and Zed alike;
    // Zed's real file has no set:port-<id> tag for a port without extra DHCP options)
    writeFile(hostsFile, `${vmMac},${hostName(vmIp)}.openstacklocal,${vmIp}\n`)
    const route = `169.254.169.254/32,${dhcpIp}`
    const opts =
      layout === 'quantum'
        ? [`tag:${tag},option:classless-static-route,${route}`, `tag:${tag},option:router`]
        : [`tag:${tag},option:classless-static-route,${route}`, `tag:${tag},249,${route}`, `tag:${tag},option:router`]
    writeFile(optsFile, opts.join('\n')) // no trailing newline, as the agent writes it
    if (layout === 'neutron') {
      writeFile(join(dhcpDir, 'addn_hosts'), `${vmIp}\t${hostName(vmIp)}.openstacklocal ${hostName(vmIp)}\n`)
      // Neutron's initial lease file: "expiry mac ip * client-id"
      writeFile(join(dhcpDir, 'leases'), `${Math.floor(Date.now() / 1000) + 86_400} ${vmMac} ${vmIp} * *\n`)
      writeFile(join(dhcpDir, 'interface'), device)
    }

    // --- namespaces and wires ----------------------------------------------------------------
    for (const ns of [switchNamespace, namespace, vmNamespace]) {
      manifest.addNamespace(ns) // recorded before it exists
      await ip(['netns', 'add', ns])
    }
    await ipn(switchNamespace, ['link', 'add', bridge, 'type', 'bridge'])
    await ipn(switchNamespace, ['link', 'set', bridge, 'addrgenmode', 'none']) // no address at all, not even IPv6 link-local
    await ipn(switchNamespace, ['link', 'set', bridge, 'up'])
    const plug = async (peer: string, ns: string, dev: string, address: string) => {
      await ipn(switchNamespace, ['link', 'add', peer, 'type', 'veth', 'peer', 'name', dev, 'netns', ns])
      await ipn(switchNamespace, ['link', 'set', peer, 'addrgenmode', 'none'])
      await ipn(switchNamespace, ['link', 'set', peer, 'master', bridge])
      await ipn(switchNamespace, ['link', 'set', peer, 'up'])
      await ipn(ns, ['link', 'set', dev, 'address', address])
      await ipn(ns, ['link', 'set', 'lo', 'up'])
      await ipn(ns, ['link', 'set', dev, 'up'])
    }
    await plug(devicePeer, namespace, device, portMac)
    await plug(vmTap, vmNamespace, 'eth0', vmMac)
    await ipn(namespace, ['addr', 'add', `${dhcpIp}/24`, 'brd', '+', 'dev', device])
    // brd as on the real nodes: 169.254.255.255 for the seed's /16, the address itself for Zed's /32
    await ipn(namespace, ['addr', 'add', metadataCidr, 'brd', layout === 'quantum' ? '+' : '169.254.169.254', 'dev', device])
    let ipv6 = false
    if (layout === 'neutron') {
      // Zed adds fe80::a9fe:a9fe/64 too, and haproxy binds it; nodad: bindable at once
      ipv6 = (await run('ip', ['-n', namespace, '-6', 'addr', 'add', 'fe80::a9fe:a9fe/64', 'dev', device, 'nodad'])).code === 0
    }

    // --- the metadata agent stand-in (root namespace, UNIX socket only) ---------------------------
    // argv like the real service's: `python /usr/bin/quantum-metadata-agent --config-file=…` (Grizzly),
    // `/usr/bin/python3 /usr/bin/neutron-metadata-agent --config-file=…` (Debian's Zed)
    const metadataAgentArgv = [
      layout === 'quantum' ? 'python' : ctx.python,
      agentScript,
      `--config-file=${projectConfigFile}`,
      `--config-file=${metadataAgentConfigFile}`,
    ]
    const agentLog = join(ctx.logDir, 'metadata-agent.log')
    const fd = openSync(agentLog, 'a')
    const agent = spawn(layout === 'quantum' ? join(binDir, 'python') : ctx.python, metadataAgentArgv.slice(1), {
      argv0: metadataAgentArgv[0],
      detached: true,
      env: {PATH: `${binDir}:${SYS_PATH}`},
      stdio: ['ignore', 'pipe', fd],
    })
    closeSync(fd)
    if (!agent.pid) throw new RigError('metadata agent stand-in did not start')
    const metadataAgentPid = agent.pid
    track(ctx, {match: agentScript, pid: metadataAgentPid, what: 'metadata agent'})
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000)
      agent.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('ready')) {
          clearTimeout(timer)
          resolve(true)
        }
      })
      agent.on('exit', () => resolve(false))
    })
    agent.stdout!.destroy()
    agent.unref()
    if (!ready) throw new RigError(`metadata agent stand-in not ready: ${readFileSync(agentLog, 'utf8')}`)

    // --- dnsmasq with the agent's own argv -------------------------------------------------------
    const dnsmasqArgv =
      layout === 'quantum'
        ? [
            // Grizzly 2013.1, as in the seed; --dhcp-script (quantum-dhcp-agent-dnsmasq-lease-update) is left out
            'dnsmasq',
            '--no-hosts',
            '--no-resolv',
            '--strict-order',
            '--bind-interfaces',
            `--interface=${device}`,
            '--except-interface=lo',
            `--pid-file=${join(dhcpDir, 'pid')}`,
            `--dhcp-hostsfile=${hostsFile}`,
            `--dhcp-optsfile=${optsFile}`,
            '--leasefile-ro',
            `--dhcp-range=set:${tag},${base}.0,static,120s`,
            '--conf-file=',
            '--domain=openstacklocal',
          ]
        : [
            // Zed (21.0.0), as on the real node
            'dnsmasq',
            '--no-hosts',
            '--no-resolv',
            `--pid-file=${join(dhcpDir, 'pid')}`,
            `--dhcp-hostsfile=${hostsFile}`,
            `--addn-hosts=${join(dhcpDir, 'addn_hosts')}`,
            `--dhcp-optsfile=${optsFile}`,
            `--dhcp-leasefile=${join(dhcpDir, 'leases')}`,
            '--dhcp-match=set:ipxe,175',
            '--dhcp-userclass=set:ipxe6,iPXE',
            '--local-service',
            '--bind-dynamic',
            `--dhcp-range=set:${tag},${base}.0,static,255.255.255.0,86400s`,
            '--dhcp-option-force=option:mtu,1500',
            '--dhcp-lease-max=256',
            '--conf-file=/dev/null',
            '--domain=openstacklocal',
          ]
    await startDaemon(ctx, 'dnsmasq', ['ip', 'netns', 'exec', namespace, ...dnsmasqArgv])
    const dnsmasqPid = await pidFromFile(join(dhcpDir, 'pid'), 'dnsmasq')
    track(ctx, {match: dhcpDir, pid: dnsmasqPid, what: 'dnsmasq'})

    // --- the metadata proxy ------------------------------------------------------------------------
    let proxyArgv: string[]
    if (layout === 'quantum') {
      const script = join(binDir, 'quantum-ns-metadata-proxy')
      install('quantum-ns-metadata-proxy', script)
      // argv[0] "python" (comm "python", as in the seed's ps/netstat): found through PATH as TMP/usr/bin/python
      proxyArgv = ['python', script, `--pid_file=${proxyPidFile}`, `--network_id=${netId}`, `--state_path=${statePath}`, '--metadata_port=80']
      await startDaemon(ctx, 'ns-metadata-proxy', ['ip', 'netns', 'exec', namespace, ...proxyArgv], {PATH: `${binDir}:${SYS_PATH}`})
    } else {
      writeFile(proxyConfigFile!, haproxyConfig({device, ipv6, netId, pidFile: proxyPidFile, socket: metadataSocket}))
      proxyArgv = ['haproxy', '-f', proxyConfigFile!]
      await startDaemon(ctx, 'haproxy', ['ip', 'netns', 'exec', namespace, ...proxyArgv])
    }
    const proxyPid = await pidFromFile(proxyPidFile, 'metadata proxy')
    track(ctx, {match: layout === 'quantum' ? proxyPidFile : proxyConfigFile!, pid: proxyPid, what: 'metadata proxy'})

    const vmSpec: VmSpec = {
      bodyFile: join(ctx.logDir, 'vm-body'),
      dev: 'eth0',
      dhcpLog: join(ctx.logDir, 'vm-dhcp.log'),
      hook: join(ctx.rigDir, 'udhcpc-hook.sh'),
      namespace: vmNamespace,
    }

    const node: FakeNode = {
      bridge,
      cleanup,
      configFile,
      device,
      dhcpDir,
      dhcpIp,
      dnsmasqArgv,
      dnsmasqPid,
      async fault(kind: FaultKind) {
        await applyFault(node, ctx, kind)
        faults.push(kind)
      },
      faults,
      hostsFile,
      layout,
      metadataAgentArgv,
      metadataAgentConfigFile,
      metadataAgentPid,
      metadataCidr,
      metadataSocket,
      namespace,
      netId,
      optsFile,
      portId,
      portMac,
      projectConfigFile,
      proxyArgv,
      proxyConfigFile,
      proxyPid,
      proxyPidFile,
      root,
      statePath,
      subnet,
      subnetId,
      switchNamespace,
      tag,
      vm: () => runVm(vmSpec),
      vmIp,
      vmMac,
      vmNamespace,
      vmPortId,
    }
    return node
  } catch (error) {
    await cleanup()
    throw error
  }
}

/** SIGHUP: dnsmasq re-reads --dhcp-hostsfile and --dhcp-optsfile (as nobody: the files are 0644). */
async function hup(node: FakeNode, ctx: Ctx) {
  const t = ctx.tracked.find((x) => x.pid === node.dnsmasqPid)
  if (!t || !signalOurs(t, 'SIGHUP')) throw new RigError('dnsmasq is not running: cannot SIGHUP it')
  await sleep(300) // handled in dnsmasq's event loop; nothing to wait on
}

async function kill9(ctx: Ctx, pid: number | undefined, what: string) {
  const t = ctx.tracked.find((x) => x.pid === pid)
  if (!t || !signalOurs(t, 'SIGKILL')) throw new RigError(`${what} is not running`)
  if (!(await waitFor(() => !isAlive(t.pid), 3000))) throw new RigError(`${what} (pid ${t.pid}) survived SIGKILL`)
}

async function applyFault(node: FakeNode, ctx: Ctx, kind: FaultKind): Promise<void> {
  const opts = () => readFileSync(node.optsFile, 'utf8')
  switch (kind) {
    case 'opts-route-missing': {
      // the agent writes no metadata route (e.g. port IP not on the device yet): drop option 121
      // and its Microsoft twin 249, keep the rest, still no trailing newline
      const kept = opts()
        .split('\n')
        .filter((l) => !/,(option:classless-static-route|121|249|option:249),/.test(l))
      writeFile(node.optsFile, kept.join('\n'))
      await hup(node, ctx)
      return
    }
    case 'wrong-next-hop': {
      const wrong = node.dhcpIp.replace(/\.\d+$/, '.254')
      writeFile(node.optsFile, opts().replaceAll(`169.254.169.254/32,${node.dhcpIp}`, `169.254.169.254/32,${wrong}`))
      await hup(node, ctx)
      return
    }
    case 'proxy-down':
      // a crash: SIGKILL, the pid file stays
      return kill9(ctx, node.proxyPid, 'metadata proxy')
    case 'metadata-address-removed':
      await ipn(node.namespace, ['addr', 'del', node.metadataCidr, 'dev', node.device])
      return
    case 'dnsmasq-down':
      return kill9(ctx, node.dnsmasqPid, 'dnsmasq')
    case 'config-off': {
      // the agent is not restarted: the running node stays as it was, only the file changes
      const text = readFileSync(node.configFile, 'utf8')
      const active = /^(\s*enable_isolated_metadata\s*=\s*).*$/m
      writeFile(
        node.configFile,
        active.test(text) ? text.replace(active, 'enable_isolated_metadata = False') : `${text}\n[DEFAULT]\nenable_isolated_metadata = False\n`,
      )
      return
    }
    case 'namespace-missing': {
      // kill what runs in it (our dnsmasq and proxy; their pid files stay), then delete it;
      // the device goes with it, its peer leaves the bridge
      for (const pid of [node.dnsmasqPid, node.proxyPid]) {
        const t = ctx.tracked.find((x) => x.pid === pid)
        if (t) await stopOurs(t)
      }
      const left = await run('ip', ['netns', 'pids', node.namespace])
      if (left.stdout.trim() !== '') throw new RigError(`processes the rig did not start run in ${node.namespace}: ${left.stdout.trim()}`)
      if (await netnsExists(node.namespace)) await ip(['netns', 'delete', node.namespace])
      return
    }
    case 'upstream-socket-gone': {
      const t = ctx.tracked.find((x) => x.pid === node.metadataAgentPid)
      if (t) await stopOurs(t)
      rmSync(node.metadataSocket, {force: true})
      return
    }
  }
}
