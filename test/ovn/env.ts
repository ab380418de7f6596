/**
 * The ML2/OVN chassis harness, as the tests see it: its fixed facts and small helpers that make
 * networks and "VMs" and break and repair the metadata chain.
 *
 * The harness itself is scripts/harness/ovn/ovn-up.sh (Debian 12's OVS 3.1 with the userspace datapath, OVN
 * 23.03, neutron-server 21 "Zed" with ML2/OVN, neutron-ovn-metadata-agent, a fake nova; every TCP
 * listener on 127.0.0.1) and scripts/harness/ovn/ovn-down.sh stops it by PID. scripts/harness/ovn/ovn-lib.sh holds the
 * same facts as this file.
 *
 * A VM is a namespace `qmovn-vm<N>` whose eth0 is one end of a veth; the other end,
 * `qmovn-vm<N>-p`, is plugged into br-int the way nova's os-vif plugs a VIF, so ovn-controller
 * binds the Neutron port to this chassis, the agent builds `ovnmeta-<net>` with haproxy, and
 * OVN's native DHCP answers busybox udhcpc. Traffic to 169.254.169.254 only ever leaves a VM
 * namespace (vmCurl refuses anything else).
 */
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// ---- facts -----------------------------------------------------------------------------------

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const UP_SCRIPT = `${ROOT}scripts/harness/ovn/ovn-up.sh`
export const DOWN_SCRIPT = `${ROOT}scripts/harness/ovn/ovn-down.sh`
/** the VMs' udhcpc hook: applies option 121, writes every event's variables to QMOVN_LEASE */
export const DHCP_HOOK = `${ROOT}scripts/harness/ovn/ovn-udhcpc-hook.sh`

/** neutron-server, auth_strategy = noauth */
export const API_URL = 'http://127.0.0.1:9798'
/** X-Project-Id of every request and project_id of everything the tests create */
export const PROJECT_ID = 'qmovnproject'
/** fake nova (scripts/harness/ovn/ovn-fake-nova.py): 200 when the agent's HMAC signature is right, else 403 */
export const NOVA_URL = 'http://127.0.0.1:8777'
export const METADATA_SECRET = 'qmovnsecret'
/** every TCP port the harness listens on, all on 127.0.0.1: NB, SB, neutron-server, fake nova */
export const HARNESS_PORTS = [6651, 6652, 9798, 8777] as const

/** Open_vSwitch external_ids:system-id = SB Chassis.name */
export const CHASSIS = 'qm-ovn-chassis'
/** external_ids:hostname = Chassis.hostname = the ports' binding:host_id = neutron.conf host */
export const CHASSIS_HOST = 'qm-ovn-host'
export const BRIDGE = 'br-int'

export const ETC_DIR = '/etc/qm-ovn'
export const NEUTRON_CONF = `${ETC_DIR}/neutron.conf`
export const ML2_CONF = `${ETC_DIR}/ml2_conf.ini`
/** the agent's ini: [ovs] ovsdb_connection = OVS_DB, [ovn] ovn_sb_connection = SB_TCP */
export const AGENT_CONF = `${ETC_DIR}/neutron_ovn_metadata_agent.ini`
/** state_path of neutron-server and the agent */
export const STATE_PATH = '/var/lib/qm-ovn'
/** the agent's unix socket (haproxy -> agent) */
export const METADATA_SOCKET = `${STATE_PATH}/metadata_proxy`
/** our pid records, "<pid> <starttime>" each */
export const RUN_DIR = '/run/qm-ovn'
export const LOG_DIR = '/var/log/qm-ovn'
export const AGENT_LOG = `${LOG_DIR}/neutron-ovn-metadata-agent.log`
export const VSWITCHD_LOG = `${LOG_DIR}/ovs-vswitchd.log`
export const AGENT_PID_FILE = `${RUN_DIR}/neutron-ovn-metadata-agent.pid`

export const OVS_RUNDIR = `${RUN_DIR}/openvswitch`
export const OVN_RUNDIR = `${RUN_DIR}/ovn`
/** the local Open_vSwitch DB: a unix socket only, no TCP listener */
export const OVS_DB = `unix:${OVS_RUNDIR}/db.sock`
export const NB_DB = `unix:${OVN_RUNDIR}/ovnnb_db.sock`
export const SB_DB = `unix:${OVN_RUNDIR}/ovnsb_db.sock`
export const NB_TCP = 'tcp:127.0.0.1:6651'
export const SB_TCP = 'tcp:127.0.0.1:6652'
/** with these, plain ovs-vsctl, ovn-nbctl, ovn-sbctl, ovs-appctl and ovn-appctl find our daemons */
export const TOOL_ENV = {OVN_RUNDIR, OVS_RUNDIR} as const

/** the names the harness uses for VM n (1..9999) and network net */
export const vmNamespace = (n: number): string => `qmovn-vm${checkVm(n)}`
export const vmLink = (n: number): string => `qmovn-vm${checkVm(n)}-p`
export const vmPortName = (n: number): string => `qmovn-vm${checkVm(n)}-port`
/** the VM's "instance id": the port's device_id, what fake nova sees as X-Instance-ID */
export const vmDeviceId = (n: number): string => `c0ffee00-0000-4000-8000-${String(checkVm(n)).padStart(12, '0')}`
export const metaNamespace = (net: string): string => `ovnmeta-${checkUuid(net)}`
/** the agent's veth: this end in br-int, `tap<net[:10]>1` in the namespace */
export const metaTap = (net: string): string => `tap${checkUuid(net).slice(0, 10)}0`
export const haproxyPidFile = (net: string): string => `${STATE_PATH}/external/pids/${checkUuid(net)}.pid.haproxy`
export const haproxyConf = (net: string): string => `${STATE_PATH}/ovn-metadata-proxy/${checkUuid(net)}.conf`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
function checkUuid(id: string): string {
  if (!UUID.test(id)) throw new Error(`not a network id: ${JSON.stringify(id)}`)
  return id
}
function checkVm(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 9999) throw new Error(`VM number must be 1..9999: ${n}`)
  return n
}

// ---- processes -------------------------------------------------------------------------------

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** run a program (argument array, no shell); never throws for a non-zero exit */
export function run(file: string, args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {encoding: 'utf8', env: {...process.env, ...opts.env}, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 60_000},
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`))
        resolve({code: error ? (error.code as number) : 0, stderr, stdout})
      },
    )
  })
}

/** run and throw unless it exits 0; answers stdout */
export async function must(file: string, args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<string> {
  const r = await run(file, args, opts)
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} -> exit ${r.code}\n${r.stderr.slice(-2000)}`)
  return r.stdout
}

export const vsctl = (...args: string[]): Promise<string> => must('ovs-vsctl', [`--db=${OVS_DB}`, '--timeout=20', ...args])
export const nbctl = (...args: string[]): Promise<string> => must('ovn-nbctl', [`--db=${NB_DB}`, '--timeout=20', ...args])
export const sbctl = (...args: string[]): Promise<string> => must('ovn-sbctl', [`--db=${SB_DB}`, '--timeout=20', ...args])

/** an OVSDB value as the tools print it under --format=json */
export type OvsdbJson = string | number | boolean | ['uuid', string] | ['named-uuid', string] | ['set', OvsdbJson[]] | ['map', [OvsdbJson, OvsdbJson][]]
export type OvsdbValue = string | number | boolean | OvsdbValue[] | {[key: string]: OvsdbValue}

/** decode one --format=json cell: uuid -> its string, set -> array, map -> object */
export function ovsdbValue(v: OvsdbJson): OvsdbValue {
  if (!Array.isArray(v)) return v
  switch (v[0]) {
    case 'uuid':
    case 'named-uuid':
      return v[1]
    case 'set':
      return v[1].map((x) => ovsdbValue(x))
    case 'map':
      return Object.fromEntries(v[1].map(([k, x]) => [String(ovsdbValue(k)), ovsdbValue(x)]))
  }
}

/** `--format=json list/find` output -> one object per row, keyed by heading */
export function ovsdbRows(json: string): Record<string, OvsdbValue>[] {
  const t = JSON.parse(json) as {data: OvsdbJson[][]; headings: string[]}
  return t.data.map((row) => Object.fromEntries(row.map((cell, i) => [t.headings[i], ovsdbValue(cell)])))
}

export const sbRows = async (...args: string[]) => ovsdbRows(await sbctl('--format=json', ...args))
export const nbRows = async (...args: string[]) => ovsdbRows(await nbctl('--format=json', ...args))
export const ovsRows = async (...args: string[]) => ovsdbRows(await vsctl('--format=json', ...args))

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** poll `probe` every `everyMs` until it answers something truthy; throws after timeoutMs */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const t0 = Date.now()
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v) return v
      last = v
    } catch (error) {
      last = error
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`)
    await sleep(everyMs)
  }
}

/** the live PID in a plain pid file (haproxy's), or null */
export function livePid(file: string): number | null {
  let pid: number
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
  } catch {
    return null
  }
  if (!Number.isInteger(pid) || pid <= 0) return null
  return procAlive(pid) ? pid : null
}

function procAlive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** the PID in one of our records (/run/qm-ovn/NAME.pid, "<pid> <starttime>") if it is still that process */
export function recordedPid(name: string): number | null {
  let text: string
  try {
    text = readFileSync(`${RUN_DIR}/${name}.pid`, 'utf8')
  } catch {
    return null
  }
  const [pidText, start] = text.trim().split(/\s+/)
  const pid = Number.parseInt(pidText, 10)
  if (!Number.isInteger(pid) || pid <= 0 || !procAlive(pid)) return null
  return start && procStart(pid) !== start ? null : pid
}

export const namespaceExists = (ns: string): boolean => existsSync(`/run/netns/${ns}`)
export const linkExists = (dev: string): boolean => existsSync(`/sys/class/net/${dev}`)

// ---- the Neutron API -------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} -> ${status} ${body.slice(0, 500)}`)
  }
}

/**
 * One call to neutron-server (noauth): X-Project-Id is always sent, and a POST body's resource
 * gets `project_id` unless it has one. Answers the parsed JSON (null for 204); throws ApiError
 * unless 2xx.
 */
export async function api<T = unknown>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
  let payload = body
  if (method === 'POST' && body) {
    payload = Object.fromEntries(
      Object.entries(body).map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) && !('project_id' in v) ? {...v, project_id: PROJECT_ID} : v]),
    )
  }
  const headers: Record<string, string> = {Accept: 'application/json', 'X-Project-Id': PROJECT_ID}
  if (payload !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${API_URL}/v2.0${path}`, {
    body: payload === undefined ? undefined : JSON.stringify(payload),
    headers,
    method,
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status < 200 || res.status > 299) throw new ApiError(method, path, res.status, text)
  return (text ? JSON.parse(text) : null) as T
}

export interface Port {
  id: string
  name: string
  network_id: string
  mac_address: string
  device_owner: string
  device_id: string
  status: string
  fixed_ips: {subnet_id: string; ip_address: string}[]
  'binding:host_id'?: string
  'binding:vif_type'?: string
  [k: string]: unknown
}

export interface Agent {
  id: string
  agent_type: string
  binary: string
  host: string
  alive: boolean
  [k: string]: unknown
}

/** POST a network and one IPv4 subnet with DHCP; `gateway: null` sends the literal "gateway_ip": null */
export async function createNetwork(name: string, opts: {cidr: string; gateway: null | string}): Promise<{networkId: string; subnetId: string}> {
  const {network} = await api<{network: {id: string}}>('POST', '/networks', {network: {admin_state_up: true, name}})
  try {
    const {subnet} = await api<{subnet: {id: string}}>('POST', '/subnets', {
      subnet: {cidr: opts.cidr, enable_dhcp: true, gateway_ip: opts.gateway, ip_version: 4, name: `${name}-v4`, network_id: network.id},
    })
    return {networkId: network.id, subnetId: subnet.id}
  } catch (error) {
    await deleteNetwork(network.id)
    throw error
  }
}

/** DELETE the network (its subnets and metadata port go with it); a 404 is fine */
export async function deleteNetwork(networkId: string): Promise<void> {
  try {
    await api('DELETE', `/networks/${checkUuid(networkId)}`)
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error
  }
}

/** the networks named `name` (ids), for cleaning up by name */
export async function networksNamed(name: string): Promise<string[]> {
  const {networks} = await api<{networks: {id: string}[]}>('GET', `/networks?name=${encodeURIComponent(name)}&fields=id`)
  return networks.map((n) => n.id)
}

export async function ports(query: Record<string, string>): Promise<Port[]> {
  return (await api<{ports: Port[]}>('GET', `/ports?${new URLSearchParams(query)}`)).ports
}

/** the network's metadata port (device_owner network:distributed, device_id ovnmeta-<net>), or null */
export async function metadataPort(networkId: string): Promise<Port | null> {
  return (await ports({device_owner: 'network:distributed', network_id: checkUuid(networkId)}))[0] ?? null
}

export async function agents(): Promise<Agent[]> {
  return (await api<{agents: Agent[]}>('GET', `/agents?host=${CHASSIS_HOST}`)).agents
}

// ---- VMs -------------------------------------------------------------------------------------

export interface Lease {
  ip: string
  mask: string
  /** option 121 as busybox passes it: "169.254.169.254/32 198.51.100.2 ..." */
  staticroutes?: string
  /** option 121 as routes */
  routes: {destination: string; gateway: string}[]
  router?: string
  serverid?: string
  mtu?: string
  dns?: string
  lease?: string
}

export interface Vm {
  n: number
  namespace: string
  link: string
  networkId: string
  port: Port
  ip: string
  mac: string
  deviceId: string
  /** the DHCP lease, or null when none came (and opts.requireLease was false) */
  lease: Lease | null
  ms: {bind: number; metadata: number | null; dhcp: number}
}

const leaseFile = (n: number) => `${RUN_DIR}/vms/${vmNamespace(n)}.lease`

/** the last `bound`/`renew` event the hook wrote for VM n */
export function readLease(n: number): Lease | null {
  let text: string
  try {
    text = readFileSync(leaseFile(n), 'utf8')
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
  if (!bound) return null
  const words = (bound.staticroutes ?? '').split(/\s+/).filter(Boolean)
  const routes: Lease['routes'] = []
  for (let i = 0; i + 1 < words.length; i += 2) routes.push({destination: words[i], gateway: words[i + 1]})
  return {
    dns: bound.dns,
    ip: bound.ip,
    lease: bound.lease,
    mask: bound.mask,
    mtu: bound.mtu,
    routes,
    router: bound.router,
    serverid: bound.serverid,
    staticroutes: bound.staticroutes,
  }
}

/** `ovnmeta-<net>` exists and the haproxy of the agent's pid file is alive */
export function metadataReady(networkId: string): boolean {
  return namespaceExists(metaNamespace(networkId)) && haproxyPid(networkId) !== null
}

/** the live haproxy of the agent's pid file for the network (checked to be haproxy), or null */
export function haproxyPid(networkId: string): number | null {
  const pid = livePid(haproxyPidFile(networkId))
  if (pid === null) return null
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy' ? pid : null
  } catch {
    return null
  }
}

/** run udhcpc (busybox, OVN's native DHCP answers) in VM n; answers the lease or null */
export async function dhcp(n: number): Promise<Lease | null> {
  mkdirSync(`${RUN_DIR}/vms`, {recursive: true})
  writeFileSync(leaseFile(n), '')
  // -n: exit when no lease; -q: exit once bound (no process is left behind); -f: foreground
  await run(
    'ip',
    [
      'netns',
      'exec',
      vmNamespace(n),
      'busybox',
      'udhcpc',
      '-i',
      'eth0',
      '-n',
      '-q',
      '-f',
      '-t',
      '4',
      '-T',
      '2',
      '-O',
      'staticroutes',
      '-O',
      'mtu',
      '-s',
      DHCP_HOOK,
    ],
    {
      env: {QMOVN_LEASE: leaseFile(n)},
      timeoutMs: 30_000,
    },
  )
  return readLease(n)
}

/**
 * VM n on the network: a Neutron port (compute:nova, bound to CHASSIS_HOST, device_id
 * vmDeviceId(n)), the namespace with a veth plugged into br-int like os-vif does, the binding
 * claimed by ovn-controller, `ovnmeta-<net>` with haproxy built by the agent (unless
 * `expectMetadata: false`), then a real DHCP lease. A leftover VM n is deleted first.
 */
export async function createVm(n: number, networkId: string, opts: {expectMetadata?: boolean; requireLease?: boolean; timeoutMs?: number} = {}): Promise<Vm> {
  const expectMetadata = opts.expectMetadata ?? true
  const timeoutMs = opts.timeoutMs ?? 90_000
  const ns = vmNamespace(n)
  const dev = vmLink(n)
  await deleteVm(n)
  const {port} = await api<{port: Port}>('POST', '/ports', {
    port: {
      'binding:host_id': CHASSIS_HOST,
      device_id: vmDeviceId(n),
      device_owner: 'compute:nova',
      name: vmPortName(n),
      network_id: checkUuid(networkId),
    },
  })
  const mac = port.mac_address
  await must('ip', ['netns', 'add', ns])
  await must('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
  await must('ip', ['link', 'set', dev, 'addrgenmode', 'none']) // no IPv6 link-local in the root namespace
  await must('ip', ['link', 'set', dev, 'up'])
  await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', mac])
  await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up'])
  const t0 = Date.now()
  await vsctl(
    'add-port',
    BRIDGE,
    dev,
    '--',
    'set',
    'Interface',
    dev,
    `external_ids:iface-id=${port.id}`,
    `external_ids:attached-mac=${mac}`,
    'external_ids:iface-status=active',
    `external_ids:vm-uuid=${vmDeviceId(n)}`,
  )
  await waitFor(
    `Port_Binding ${port.id} claimed by ${CHASSIS}`,
    async () => (await sbctl('--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${port.id}`)).trim(),
    30_000,
  )
  const bind = Date.now() - t0
  let metadata: number | null = null
  if (expectMetadata) {
    await waitFor(`${metaNamespace(networkId)} with haproxy`, () => metadataReady(networkId), timeoutMs)
    metadata = Date.now() - t0
  }
  const t1 = Date.now()
  const lease = await dhcp(n)
  if (!lease && (opts.requireLease ?? true)) throw new Error(`${ns} got no DHCP lease; see ${leaseFile(n)}`)
  return {
    deviceId: vmDeviceId(n),
    ip: port.fixed_ips[0]?.ip_address ?? '',
    lease,
    link: dev,
    mac,
    ms: {bind, dhcp: Date.now() - t1, metadata},
    n,
    namespace: ns,
    networkId,
    port,
  }
}

/** unplug VM n from br-int, delete its link and namespace and its Neutron port (by name); idempotent */
export async function deleteVm(n: number): Promise<void> {
  const ns = vmNamespace(n)
  const dev = vmLink(n)
  await vsctl('--if-exists', 'del-port', BRIDGE, dev)
  if (linkExists(dev)) await run('ip', ['link', 'delete', dev])
  if (namespaceExists(ns)) await must('ip', ['netns', 'delete', ns])
  for (const p of await ports({name: vmPortName(n)})) {
    try {
      await api('DELETE', `/ports/${p.id}`)
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error
    }
  }
}

/** the VM numbers whose namespace exists */
export function existingVms(): number[] {
  let names: string[] = []
  try {
    names = readdirSync('/run/netns')
  } catch {}
  return names.flatMap((name) => {
    const m = /^qmovn-vm(\d+)$/.exec(name)
    return m ? [Number(m[1])] : []
  })
}

export interface CurlResult {
  /** the HTTP status, absent when there was no answer (curl's 000) */
  status?: number
  /** curl's exit: 0 answered, 7 refused, 28 timed out... */
  curlExit: number
  body: string
}

/**
 * GET http://169.254.169.254<path> from inside VM n's namespace (and nowhere else: the namespace
 * name is built here from n and must exist). Short timeouts: -m 5, --connect-timeout 3.
 */
export async function vmCurl(n: number, path = '/openstack', opts: {maxTimeS?: number} = {}): Promise<CurlResult> {
  const ns = vmNamespace(n)
  if (!/^qmovn-vm\d+$/.test(ns) || !namespaceExists(ns)) throw new Error(`vmCurl: refusing: ${ns} is not an existing VM namespace`)
  if (!path.startsWith('/')) throw new Error(`vmCurl: path must start with /: ${path}`)
  const marker = '\n__qmovn_http_code__'
  const r = await run(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'curl',
      '-sS',
      '-m',
      String(opts.maxTimeS ?? 5),
      '--connect-timeout',
      '3',
      '-w',
      `${marker}%{http_code}`,
      `http://169.254.169.254${path}`,
    ],
    {timeoutMs: 20_000},
  )
  const i = r.stdout.lastIndexOf(marker)
  const code = i >= 0 ? Number(r.stdout.slice(i + marker.length).trim()) : 0
  return {body: i >= 0 ? r.stdout.slice(0, i) : r.stdout, curlExit: r.code, ...(code > 0 ? {status: code} : {})}
}

/** poll vmCurl until it answers `status`; answers the ms it took */
export async function waitForVmStatus(n: number, status: number, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now()
  await waitFor(
    `${vmNamespace(n)} to get ${status} from 169.254.169.254`,
    async () => (await vmCurl(n, '/openstack', {maxTimeS: 3})).status === status,
    timeoutMs,
    300,
  )
  return Date.now() - t0
}

// ---- the chassis: break and repair -----------------------------------------------------------

/** run ovn-up.sh (idempotent: starts what is missing and waits until the agent is registered) */
export async function up(...args: string[]): Promise<string> {
  const r = await run(UP_SCRIPT, args, {timeoutMs: 300_000})
  if (r.code !== 0) throw new Error(`ovn-up.sh ${args.join(' ')} -> exit ${r.code}\n${r.stderr.slice(-3000)}`)
  return r.stderr
}

/** stop the metadata agent by its pid record (ovn-down.sh --only); its haproxys stay */
export async function stopAgent(): Promise<void> {
  await must(DOWN_SCRIPT, ['--only', 'neutron-ovn-metadata-agent'], {timeoutMs: 60_000})
}

/**
 * start the agent again (ovn-up.sh, which starts whatever is not running); it answers once the
 * agent listens on its socket and has re-registered in Chassis_Private (neutron:ovn-metadata-id
 * and a fresh neutron:ovn-metadata-sb-cfg)
 */
export async function startAgent(): Promise<void> {
  await up()
}

export const agentPid = (): number | null => recordedPid('neutron-ovn-metadata-agent')

/** kill the network's haproxy (pid file checked to name a haproxy); answers its PID */
export function killHaproxy(networkId: string, signal: NodeJS.Signals = 'SIGKILL'): number {
  const pid = haproxyPid(networkId)
  if (pid === null) throw new Error(`no live haproxy in ${haproxyPidFile(networkId)}`)
  process.kill(pid, signal)
  return pid
}

/** `ip netns del ovnmeta-<net>` (what an operator's cleanup script might do) */
export async function deleteNamespace(networkId: string): Promise<void> {
  await must('ip', ['netns', 'delete', metaNamespace(networkId)])
}

export async function metadataEnabled(): Promise<boolean> {
  const r = await run('crudini', ['--get', ML2_CONF, 'ovn', 'ovn_metadata_enabled'])
  return r.code !== 0 || r.stdout.trim().toLowerCase() === 'true'
}

/** set ml2_conf.ini [ovn] ovn_metadata_enabled; ovn-up.sh restarts neutron-server and waits for the API */
export async function setMetadataEnabled(enabled: boolean): Promise<void> {
  await up(`--metadata-enabled=${enabled ? 'True' : 'False'}`)
}

/** delete the network's metadata port (network:distributed) through the API; answers its id or null */
export async function deleteMetadataPort(networkId: string): Promise<string | null> {
  const port = await metadataPort(networkId)
  if (port) await api('DELETE', `/ports/${port.id}`)
  return port?.id ?? null
}

const OUR_IFACE = /^(tap[0-9a-f]{8}-[0-9a-f]0|qmovn-vm\d+-p)$/

/**
 * Delete and re-add an OVS port of ours on br-int with the same external_ids, in two
 * transactions. The userspace-datapath quirk: a veth deleted and re-created under the same name
 * (the agent does so when it rebuilds ovnmeta-<net>) stays dead in OVS (dpif-netdev keeps the old
 * socket, `error receiving data ... Network is down`) until it is re-added; in one transaction
 * ovs-vswitchd sees the same port and keeps the dead netdev.
 */
export async function replug(iface: string): Promise<void> {
  if (!OUR_IFACE.test(iface)) throw new Error(`replug: not an interface of the harness: ${iface}`)
  const ext = (await vsctl('get', 'Interface', iface, 'external_ids')).trim()
  await vsctl('del-port', BRIDGE, iface)
  await vsctl('add-port', BRIDGE, iface, '--', 'set', 'Interface', iface, `external_ids=${ext}`)
}

/** ovs-vswitchd logged a receive error for iface after it last added it (the quirk above) */
export function isStale(iface: string): boolean {
  let log: string
  try {
    log = readFileSync(VSWITCHD_LOG, 'utf8')
  } catch {
    return false
  }
  const lines = log.split('\n').slice(-5000)
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].includes(`added interface ${iface} on`)) return false
    if (lines[i].includes(`error receiving data from ${iface}:`)) return true
  }
  return false
}

export interface Repair {
  metadataReEnabled: boolean
  /** networks with a VM but no metadata port: not repairable by the chassis, left alone */
  withoutMetadataPort: string[]
  orphanHaproxies: number[]
  agentRestarted: boolean
  replugged: string[]
}

/**
 * Put the chassis back to healthy between tests: ovn_metadata_enabled True again; every daemon
 * running (ovn-up.sh); a haproxy the agent recorded that lives outside its ovnmeta namespace (the
 * namespace was deleted under it) is stopped, since the agent would never replace it; the agent is
 * restarted when a network with a VM lacks its namespace or haproxy (it rebuilds them on start);
 * a metadata veth the agent re-created (its namespace was missing), or one OVS logged as dead, is
 * replugged. Answers what it did.
 */
export async function restoreHealthy(opts: {timeoutMs?: number} = {}): Promise<Repair> {
  const repair: Repair = {agentRestarted: false, metadataReEnabled: false, orphanHaproxies: [], replugged: [], withoutMetadataPort: []}
  if (!(await metadataEnabled())) {
    await setMetadataEnabled(true)
    repair.metadataReEnabled = true
  }
  await up()
  // the networks that have a VM here (the agent serves only those)
  const nets = new Set<string>()
  for (const n of existingVms()) {
    for (const p of await ports({name: vmPortName(n)})) nets.add(p.network_id)
  }
  for (const net of readdirSafe(`${STATE_PATH}/external/pids`).flatMap((f) => /^(.*)\.pid\.haproxy$/.exec(f)?.[1] ?? [])) {
    if (!UUID.test(net)) continue
    const pid = haproxyPid(net)
    if (pid === null) continue
    const where = (await run('ip', ['netns', 'identify', String(pid)])).stdout.trim()
    if (where !== metaNamespace(net)) {
      process.kill(pid, 'SIGTERM')
      await waitFor(`orphan haproxy ${pid} to exit`, () => !procAlive(pid), 10_000)
      repair.orphanHaproxies.push(pid)
    }
  }
  // a network without a metadata port (made while ovn_metadata_enabled was False, or whose port
  // was deleted) cannot be served by any agent restart: left as it is, and reported
  for (const net of [...nets]) {
    if ((await metadataPort(net)) === null) {
      nets.delete(net)
      repair.withoutMetadataPort.push(net)
    }
  }
  const broken = [...nets].filter((net) => !metadataReady(net))
  // the agent re-creates the namespace and its veth: that veth needs a replug (the quirk above)
  const rebuilt = new Set([...nets].filter((net) => !namespaceExists(metaNamespace(net))))
  if (broken.length > 0 || repair.orphanHaproxies.length > 0) {
    await stopAgent()
    await startAgent()
    repair.agentRestarted = true
    for (const net of nets) await waitFor(`${metaNamespace(net)} with haproxy after the agent restart`, () => metadataReady(net), opts.timeoutMs ?? 90_000)
  }
  for (const net of nets) {
    const tap = metaTap(net)
    if (rebuilt.has(net) || isStale(tap)) {
      await replug(tap)
      repair.replugged.push(tap)
    }
  }
  for (const n of existingVms()) {
    if (isStale(vmLink(n))) {
      await replug(vmLink(n))
      repair.replugged.push(vmLink(n))
    }
  }
  return repair
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

// ---- readiness -------------------------------------------------------------------------------

/**
 * Whether the harness answers: neutron-server on API_URL, the chassis in the SB DB, and both OVN
 * agents of CHASSIS_HOST alive. Never throws; `why` (when given) receives the first failure.
 */
export async function ready(why?: (reason: string) => void): Promise<boolean> {
  const fail = (reason: string) => {
    why?.(reason)
    return false
  }
  try {
    const list = await agents()
    const alive = new Set(list.filter((a) => a.alive).map((a) => a.agent_type))
    for (const t of ['OVN Controller agent', 'OVN Metadata agent']) if (!alive.has(t)) return fail(`no live ${t} on ${CHASSIS_HOST}`)
  } catch (error) {
    return fail(`neutron-server on ${API_URL}: ${error}`)
  }
  try {
    if ((await sbRows('find', 'Chassis', `name=${CHASSIS}`)).length !== 1) return fail(`no chassis ${CHASSIS} in the SB DB`)
  } catch (error) {
    return fail(`SB DB ${SB_DB}: ${error}`)
  }
  if (agentPid() === null) return fail('the metadata agent is not running (no live pid record)')
  return true
}
