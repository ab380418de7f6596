/**
 * The real-OpenStack test harness, as the tests see it: endpoints, credentials and small helpers
 * that set up test data through the API with plain fetch and literal JSON bodies.
 *
 * The harness itself is scripts/harness/openstack/up.sh (Debian 12's neutron-server, DHCP,
 * linuxbridge, L3 and metadata agents, Keystone, MariaDB, RabbitMQ; all on 127.0.0.1) and is
 * stopped by scripts/harness/openstack/down.sh. The values here are the ones those scripts
 * configure (scripts/harness/openstack/lib.sh). It has its own paths (HARNESS_ETC, ...) and never
 * writes Debian's /etc/neutron or /var/lib/neutron.
 */
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const KEYSTONE_URL = 'http://127.0.0.1:5000/v3'
/** neutron-server with `auth_strategy = keystone`; also the `network` endpoint in the catalog (no version) */
export const NEUTRON_URL = 'http://127.0.0.1:9696'
/** a second neutron-server on the same database with `auth_strategy = noauth` */
export const NOAUTH_URL = 'http://127.0.0.1:9697'
export const REGION = 'RegionOne'
/** the `host` of every agent (DHCP, linuxbridge, L3, metadata) */
export const DHCP_AGENT_HOST = 'qm-ci-host'
/** every config file of every harness daemon (up.sh's own; Debian's /etc/neutron is never written) */
export const HARNESS_ETC = '/etc/qm-openstack'
/** the harness's state: neutron/ (the agents' state_path), mysql/, rabbitmq/, keystone/ */
export const HARNESS_STATE = '/var/lib/qm-openstack'
/** the harness's pid records NAME.pid ("<pid> <starttime>") */
export const HARNESS_RUN = '/run/qm-openstack'
/** every log of the harness */
export const HARNESS_LOG = '/var/log/qm-openstack'
/** the agents' state_path: dhcp/<net>/, external/pids/, ns-metadata-proxy/, metadata_proxy */
export const NEUTRON_STATE_PATH = `${HARNESS_STATE}/neutron`
/** the config every harness agent and server reads first */
export const NEUTRON_CONF = `${HARNESS_ETC}/neutron.conf`
/** the DHCP agent's config file */
export const DHCP_AGENT_INI = `${HARNESS_ETC}/dhcp_agent.ini`
/** the L3 agent's config file */
export const L3_AGENT_INI = `${HARNESS_ETC}/l3_agent.ini`
/** the metadata agent's config file */
export const METADATA_AGENT_INI = `${HARNESS_ETC}/metadata_agent.ini`
/** every TCP port the harness listens on (all on 127.0.0.1; epmd also on [::1]) */
export const HARNESS_PORTS = [3306, 4369, 5000, 5672, 9696, 9697, 25672] as const

export interface Credentials {
  username: string
  password: string
  projectName: string
  userDomainName: string
  projectDomainName: string
}

export const ADMIN: Credentials = {
  password: 'qmadmin',
  projectDomainName: 'Default',
  projectName: 'admin',
  userDomainName: 'Default',
  username: 'admin',
}

/** a plain user with role `member` on project `demo` */
export const DEMO: Credentials = {
  password: 'qmdemo',
  projectDomainName: 'Default',
  projectName: 'demo',
  userDomainName: 'Default',
  username: 'demo',
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const UP_SCRIPT = `${ROOT}scripts/harness/openstack/up.sh`
export const DOWN_SCRIPT = `${ROOT}scripts/harness/openstack/down.sh`

/** OS_* variables for the admin user (what the openstack CLI and quantum-meta read), plus `extra` */
export function openstackEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    OS_AUTH_URL: KEYSTONE_URL,
    OS_PASSWORD: ADMIN.password,
    OS_PROJECT_DOMAIN_NAME: ADMIN.projectDomainName,
    OS_PROJECT_NAME: ADMIN.projectName,
    OS_REGION_NAME: REGION,
    OS_USER_DOMAIN_NAME: ADMIN.userDomainName,
    OS_USERNAME: ADMIN.username,
    ...extra,
  }
}

// ---- HTTP ------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${url} -> ${status} ${body.slice(0, 500)}`)
  }
}

const TIMEOUT_MS = 30_000

async function request(method: string, url: string, opts: {body?: unknown; token?: string; timeoutMs?: number} = {}) {
  const headers: Record<string, string> = {Accept: 'application/json'}
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
  if (opts.token) headers['X-Auth-Token'] = opts.token
  return fetch(url, {
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    headers,
    method,
    signal: AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS),
  })
}

// ---- Keystone --------------------------------------------------------------------------------

export interface CatalogEndpoint {
  id: string
  interface: 'public' | 'internal' | 'admin'
  region: string
  region_id: string
  url: string
}
export interface CatalogEntry {
  endpoints: CatalogEndpoint[]
  id: string
  name: string
  type: string
}
export interface Token {
  /** the X-Subject-Token header */
  id: string
  /** the `token` object of the response body */
  body: {
    catalog?: CatalogEntry[]
    expires_at: string
    project?: {domain: {id: string; name: string}; id: string; name: string}
    roles?: {id: string; name: string}[]
    user: {domain: {id: string; name: string}; id: string; name: string}
  }
  /** the HTTP status (201) */
  status: number
}

/** POST /v3/auth/tokens with a password, scoped to the user's project (201 + X-Subject-Token) */
export async function issueToken(c: Credentials = ADMIN): Promise<Token> {
  const url = `${KEYSTONE_URL}/auth/tokens`
  const body = {
    auth: {
      identity: {
        methods: ['password'],
        password: {user: {domain: {name: c.userDomainName}, name: c.username, password: c.password}},
      },
      scope: {project: {domain: {name: c.projectDomainName}, name: c.projectName}},
    },
  }
  const res = await request('POST', url, {body})
  const text = await res.text()
  const id = res.headers.get('x-subject-token')
  if (res.status !== 201 || !id) throw new ApiError('POST', url, res.status, text)
  return {body: JSON.parse(text).token, id, status: res.status}
}

const tokenCache = new Map<string, {expires: number; token: Promise<Token>}>()

/** a token for `c`, reused for 30 minutes (Keystone's default lifetime is an hour) */
export async function token(c: Credentials = ADMIN): Promise<string> {
  const key = `${c.userDomainName}/${c.username}/${c.projectDomainName}/${c.projectName}`
  const hit = tokenCache.get(key)
  if (hit && hit.expires > Date.now()) return (await hit.token).id
  const t = issueToken(c)
  tokenCache.set(key, {expires: Date.now() + 30 * 60_000, token: t})
  t.catch(() => tokenCache.delete(key))
  return (await t).id
}

export const adminToken = (): Promise<string> => token(ADMIN)

// ---- Neutron ---------------------------------------------------------------------------------

export interface Target {
  /** neutron-server base URL, without /v2.0 (default NEUTRON_URL) */
  url?: string
  /** a Keystone token; default: an admin token when url is NEUTRON_URL, none for NOAUTH_URL */
  token?: string | null
}

/** One Neutron API call; answers the parsed JSON (null for 204), throws ApiError unless 2xx. */
export async function neutron<T = any>(method: string, path: string, body?: unknown, target: Target = {}): Promise<T> {
  const base = target.url ?? NEUTRON_URL
  const tok = target.token === undefined ? (base === NOAUTH_URL ? null : await adminToken()) : target.token
  const url = `${base}/v2.0${path}`
  const res = await request(method, url, {body, token: tok ?? undefined})
  const text = await res.text()
  if (res.status < 200 || res.status > 299) throw new ApiError(method, url, res.status, text)
  return (text ? JSON.parse(text) : null) as T
}

export interface Network {
  id: string
  name: string
  project_id: string
  status: string
  subnets: string[]
  'provider:network_type'?: string
  [k: string]: unknown
}
export interface Subnet {
  id: string
  name: string
  network_id: string
  cidr: string
  gateway_ip: string | null
  enable_dhcp: boolean
  allocation_pools: {start: string; end: string}[]
  host_routes: {destination: string; nexthop: string}[]
  [k: string]: unknown
}
export interface Router {
  id: string
  name: string
  status: string
  [k: string]: unknown
}
export interface RouterInterface {
  id: string
  network_id: string
  port_id: string
  subnet_id: string
  subnet_ids: string[]
  tenant_id: string
  project_id: string
}
export interface Agent {
  id: string
  agent_type: string
  binary: string
  host: string
  alive: boolean
  admin_state_up: boolean
  configurations: Record<string, unknown>
  [k: string]: unknown
}
export interface Port {
  id: string
  network_id: string
  device_owner: string
  device_id: string
  fixed_ips: {subnet_id: string; ip_address: string}[]
  status: string
  [k: string]: unknown
}

/** POST /v2.0/networks {"network": {"name": NAME, "admin_state_up": true}} */
export async function createNetwork(name: string, target?: Target): Promise<Network> {
  return (await neutron<{network: Network}>('POST', '/networks', {network: {admin_state_up: true, name}}, target)).network
}

export async function deleteNetwork(id: string, target?: Target): Promise<void> {
  await neutron('DELETE', `/networks/${id}`, undefined, target)
}

/**
 * POST /v2.0/subnets, IPv4 with DHCP. `gateway: null` sends the literal `"gateway_ip": null` (a
 * subnet without a gateway); a string sends that address; undefined leaves the key out (Neutron
 * then picks the first address).
 */
export async function createSubnet(networkId: string, cidr: string, opts: {gateway?: string | null; name?: string} = {}, target?: Target): Promise<Subnet> {
  const subnet: Record<string, unknown> = {cidr, enable_dhcp: true, ip_version: 4, network_id: networkId}
  if (opts.name !== undefined) subnet.name = opts.name
  if (opts.gateway !== undefined) subnet.gateway_ip = opts.gateway
  return (await neutron<{subnet: Subnet}>('POST', '/subnets', {subnet}, target)).subnet
}

export async function deleteSubnet(id: string, target?: Target): Promise<void> {
  await neutron('DELETE', `/subnets/${id}`, undefined, target)
}

/**
 * POST /v2.0/routers {"router": {"name": NAME, "admin_state_up": true}} (no gateway); `ha: true` adds
 * `"ha": true` (an HA router: keepalived on every L3 agent hosting it, one master; admin only)
 */
export async function createRouter(name: string, target?: Target, opts: {ha?: boolean} = {}): Promise<Router> {
  const router = {admin_state_up: true, name, ...(opts.ha === undefined ? {} : {ha: opts.ha})}
  return (await neutron<{router: Router}>('POST', '/routers', {router}, target)).router
}

export async function deleteRouter(id: string, target?: Target): Promise<void> {
  await neutron('DELETE', `/routers/${id}`, undefined, target)
}

/** PUT /v2.0/routers/ROUTER/add_router_interface {"subnet_id": SUBNET}: the port takes the subnet's gateway IP */
export async function addRouterInterface(routerId: string, subnetId: string, target?: Target): Promise<RouterInterface> {
  return neutron<RouterInterface>('PUT', `/routers/${routerId}/add_router_interface`, {subnet_id: subnetId}, target)
}

export async function removeRouterInterface(routerId: string, subnetId: string, target?: Target): Promise<RouterInterface> {
  return neutron<RouterInterface>('PUT', `/routers/${routerId}/remove_router_interface`, {subnet_id: subnetId}, target)
}

/** GET /v2.0/networks/NET/dhcp-agents (admin only) */
export async function dhcpAgents(networkId: string, target?: Target): Promise<Agent[]> {
  return (await neutron<{agents: Agent[]}>('GET', `/networks/${networkId}/dhcp-agents`, undefined, target)).agents
}

/** GET /v2.0/ports?network_id=NET&device_owner=OWNER */
export async function ports(networkId: string, deviceOwner?: string, target?: Target): Promise<Port[]> {
  const q = `network_id=${encodeURIComponent(networkId)}${deviceOwner ? `&device_owner=${encodeURIComponent(deviceOwner)}` : ''}`
  return (await neutron<{ports: Port[]}>('GET', `/ports?${q}`, undefined, target)).ports
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Wait until the harness's DHCP agent (alive) hosts the network; answers it and how long that
 * took. Throws after timeoutMs.
 */
export async function waitForDhcpAgent(networkId: string, timeoutMs = 60_000, target?: Target): Promise<{agent: Agent; ms: number}> {
  const t0 = Date.now()
  let last: Agent[] = []
  while (Date.now() - t0 < timeoutMs) {
    last = await dhcpAgents(networkId, target)
    const agent = last.find((a) => a.host === DHCP_AGENT_HOST && a.alive && a.binary === 'neutron-dhcp-agent')
    if (agent) return {agent, ms: Date.now() - t0}
    await sleep(250)
  }
  throw new Error(`no live DHCP agent on ${DHCP_AGENT_HOST} for network ${networkId} after ${timeoutMs} ms: ${JSON.stringify(last)}`)
}

/** What the DHCP agent has built on this machine for a network (read from /run/netns, /sys and its pid files). */
export interface DhcpState {
  /** /run/netns/qdhcp-NET exists */
  namespace: boolean
  /** brq + NET[:11] exists (the linuxbridge agent's bridge) */
  bridge: boolean
  /** the live dnsmasq of STATE/dhcp/NET/pid, or null */
  dnsmasq: number | null
  /** the live haproxy of STATE/external/pids/NET.pid.haproxy (isolated metadata), or null */
  haproxy: number | null
}

function livePid(file: string): number | null {
  let pid: number
  try {
    pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
  } catch {
    return null
  }
  if (!Number.isInteger(pid) || pid <= 0) return null
  try {
    process.kill(pid, 0)
    return pid
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal (not root)
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : null
  }
}

export function dhcpState(networkId: string): DhcpState {
  return {
    bridge: existsSync(`/sys/class/net/brq${networkId.slice(0, 11)}`),
    dnsmasq: livePid(`${NEUTRON_STATE_PATH}/dhcp/${networkId}/pid`),
    haproxy: livePid(`${NEUTRON_STATE_PATH}/external/pids/${networkId}.pid.haproxy`),
    namespace: existsSync(`/run/netns/qdhcp-${networkId}`),
  }
}

/**
 * Wait until `want(dhcpState(net))` holds; answers the state and how long it took. Throws after
 * timeoutMs with the last state. The DHCP agent works through its events one by one: right after
 * it starts, the first network can take ~10 s; later ones ~1.5 s (dnsmasq) and ~2.5 s (haproxy).
 */
export async function waitForDhcpState(networkId: string, want: (s: DhcpState) => boolean, timeoutMs = 60_000): Promise<{state: DhcpState; ms: number}> {
  const t0 = Date.now()
  let state = dhcpState(networkId)
  while (!want(state)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`DHCP state of ${networkId} after ${timeoutMs} ms: ${JSON.stringify(state)}`)
    await sleep(100)
    state = dhcpState(networkId)
  }
  return {ms: Date.now() - t0, state}
}

/** namespace, bridge and dnsmasq are there (and haproxy too when `haproxy` is true) */
export const dhcpReady =
  (haproxy = false) =>
  (s: DhcpState): boolean =>
    s.namespace && s.bridge && s.dnsmasq !== null && (!haproxy || s.haproxy !== null)

/** nothing of the network is left: no namespace, no dnsmasq, no haproxy */
export const dhcpGone = (s: DhcpState): boolean => !s.namespace && s.dnsmasq === null && s.haproxy === null

/**
 * Everything a test created, deleted in the right order (router interfaces, routers, subnets,
 * networks); 404s are fine. Register each object as it is created, call cleanup() in afterAll.
 */
export class Created {
  readonly interfaces: {routerId: string; subnetId: string}[] = []
  readonly routers: string[] = []
  readonly subnets: string[] = []
  readonly networks: string[] = []

  constructor(readonly target?: Target) {}

  async network(name: string): Promise<Network> {
    const n = await createNetwork(name, this.target)
    this.networks.push(n.id)
    return n
  }

  async subnet(networkId: string, cidr: string, opts: {gateway?: string | null; name?: string} = {}): Promise<Subnet> {
    const s = await createSubnet(networkId, cidr, opts, this.target)
    this.subnets.push(s.id)
    return s
  }

  async router(name: string, opts: {ha?: boolean} = {}): Promise<Router> {
    const r = await createRouter(name, this.target, opts)
    this.routers.push(r.id)
    return r
  }

  async routerInterface(routerId: string, subnetId: string): Promise<RouterInterface> {
    const i = await addRouterInterface(routerId, subnetId, this.target)
    this.interfaces.push({routerId, subnetId})
    return i
  }

  /** networks whose namespace, dnsmasq or haproxy the DHCP agent had not removed when cleanup() gave up waiting */
  readonly dhcpLeftovers: {networkId: string; state: DhcpState}[] = []

  /**
   * Delete everything registered; answers the errors other than 404 (empty when all went).
   *
   * Real Neutron's DHCP agent works through its events one at a time, and a network deleted while
   * the agent is still building it (or right after a router interface went, which makes it
   * isolated again and respawns haproxy) can leave its qdhcp namespace and dnsmasq behind. So,
   * as root, for each registered network this agent hosts: wait until the agent has built it,
   * turn DHCP off on its subnets, wait until the namespace, dnsmasq and haproxy are gone, and
   * only then delete. Whatever the agent still left is listed in dhcpLeftovers (and
   * scripts/harness/openstack/down.sh removes it; so does a DHCP agent restart).
   */
  async cleanup(opts: {dhcpTimeoutMs?: number} = {}): Promise<string[]> {
    const errors: string[] = []
    const attempt = async (f: () => Promise<unknown>) => {
      try {
        await f()
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) errors.push(String(error))
      }
    }
    const timeout = opts.dhcpTimeoutMs ?? 60_000
    if (process.getuid?.() === 0) {
      await Promise.all(
        this.networks.map(async (net) => {
          let hosted = false
          await attempt(async () => {
            hosted = (await dhcpAgents(net, this.target)).some((a) => a.host === DHCP_AGENT_HOST)
          })
          if (!hosted) return
          await waitForDhcpState(net, (st) => st.dnsmasq !== null, timeout).catch(() => undefined)
          await attempt(async () => {
            const {subnets} = await neutron<{subnets: Subnet[]}>('GET', `/subnets?network_id=${net}&enable_dhcp=true`, undefined, this.target)
            for (const sn of subnets) await neutron('PUT', `/subnets/${sn.id}`, {subnet: {enable_dhcp: false}}, this.target)
          })
          await waitForDhcpState(net, dhcpGone, timeout).catch(() => this.dhcpLeftovers.push({networkId: net, state: dhcpState(net)}))
        }),
      )
    }
    for (const i of this.interfaces.splice(0).reverse()) await attempt(() => removeRouterInterface(i.routerId, i.subnetId, this.target))
    for (const r of this.routers.splice(0).reverse()) await attempt(() => deleteRouter(r, this.target))
    for (const s of this.subnets.splice(0).reverse()) await attempt(() => deleteSubnet(s, this.target))
    for (const n of this.networks.splice(0).reverse()) await attempt(() => deleteNetwork(n, this.target))
    if (this.dhcpLeftovers.length) console.warn(`DHCP agent left state behind: ${JSON.stringify(this.dhcpLeftovers)}`)
    return errors
  }
}

// ---- readiness -------------------------------------------------------------------------------

async function status(url: string, token?: string): Promise<number> {
  try {
    const res = await request('GET', url, {timeoutMs: 5000, token})
    await res.arrayBuffer()
    return res.status
  } catch {
    return 0
  }
}

/**
 * Whether the whole harness answers: Keystone (/v3, an admin token), neutron-server :9696 (401
 * without a token, 200 with one), :9697 (200 without), and live DHCP, linuxbridge, L3 and metadata
 * agents on DHCP_AGENT_HOST.
 * Never throws. `why` (when given) receives the first failure.
 */
export async function ready(why?: (reason: string) => void): Promise<boolean> {
  const fail = (reason: string) => {
    why?.(reason)
    return false
  }
  if ((await status(KEYSTONE_URL)) !== 200) return fail(`Keystone does not answer on ${KEYSTONE_URL}`)
  if ((await status(`${NOAUTH_URL}/v2.0/networks`)) !== 200) return fail(`neutron-server (noauth) does not answer on ${NOAUTH_URL}`)
  if ((await status(`${NEUTRON_URL}/v2.0/networks`)) !== 401) return fail(`neutron-server (keystone) does not answer 401 on ${NEUTRON_URL}`)
  let tok: string
  try {
    tok = await adminToken()
  } catch (error) {
    return fail(`Keystone issues no admin token: ${error}`)
  }
  if ((await status(`${NEUTRON_URL}/v2.0/networks`, tok)) !== 200) return fail(`neutron-server on ${NEUTRON_URL} refuses the admin token`)
  try {
    const {agents} = await neutron<{agents: Agent[]}>('GET', `/agents?host=${DHCP_AGENT_HOST}`, undefined, {url: NOAUTH_URL})
    const alive = new Set(agents.filter((a) => a.alive).map((a) => a.binary))
    for (const b of ['neutron-dhcp-agent', 'neutron-linuxbridge-agent', 'neutron-l3-agent', 'neutron-metadata-agent']) {
      if (!alive.has(b)) return fail(`no live ${b} on host ${DHCP_AGENT_HOST}`)
    }
  } catch (error) {
    return fail(`agents: ${error}`)
  }
  return true
}
