/**
 * The real Nova metadata API in the OpenStack harness, as tests use it
 * (scripts/harness/openstack/nova-up.sh, nova-down.sh, nova-instance.py; lib.sh's NOVA_* facts):
 *
 *   novaUp(case)      Debian's nova-api-metadata (Zed 26.2.2, uwsgi) on 127.0.0.1:8775 in place of
 *                     fake-nova, for as long as this process runs (nova-up.sh --owner); `case` breaks
 *                     Nova's side for this start (secret, service_metadata_proxy, proxy headers, TLS);
 *                     restarted by PID only when its files change
 *   agentCase(case)   the metadata agent's side of Nova (secret, nova_metadata_host/port/protocol,
 *                     auth_ca_cert) through nova-up.sh --agent, which rewrites metadata_agent.ini and
 *                     restarts the agent by PID when it changed; agentCase() writes the healthy values back
 *   restoreHealthy()  both sides healthy
 *   novaStop()        nova-api-metadata stopped by its pid record (fake-nova stays stopped)
 *   novaDown()        nova-down.sh: the real Nova stopped, fake-nova and the healthy agent back
 *   makeNovaVm()      an isolated network, a Nova instance made with Nova's own objects, its port
 *                     (device_id = the instance) plugged in a qmos-vm-* namespace with a DHCP lease,
 *                     and a second instance of another project (the project-mismatch case)
 *   vmGet()           GET http://169.254.169.254/PATH from INSIDE the VM's namespace, never elsewhere
 *   logMark()         what a log file gained since the mark (oslo.log's colour codes stripped)
 *
 * Every case's status and log lines are in ../shared/lab/README.md, "Real Nova metadata API", from the
 * same Debian 12 packages (neutron 21.0.0, nova 26.2.2); test/openstack/nova-chain.test.ts checks them here.
 */
import {randomBytes, randomUUID} from 'node:crypto'
import {closeSync, openSync, readSync, statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type Created, HARNESS_ETC, HARNESS_LOG, type Network, type Subnet, dhcpReady, neutron, waitForDhcpState} from './env.js'
import {INSTANCE_PREFIX, type Instance, makeInstance, run} from './l3.js'

const SCRIPTS = fileURLToPath(new URL('../../scripts/harness/openstack/', import.meta.url))
export const NOVA_UP = `${SCRIPTS}nova-up.sh`
export const NOVA_DOWN = `${SCRIPTS}nova-down.sh`
/** Nova's config directory (OS_NOVA_CONFIG_DIR): nova.conf, api-paste.ini, the uwsgi ini, tls/ */
export const NOVA_ETC = `${HARNESS_ETC}/nova`
export const NOVA_CONF = `${NOVA_ETC}/nova.conf`
/** the self-signed certificate of QM_NOVA_TLS=1 (CN and SAN 127.0.0.1): what auth_ca_cert names */
export const NOVA_CERT = `${NOVA_ETC}/tls/nova.crt`
/** uwsgi's logto: oslo.log records (each line ends in ESC[00m) and one uwsgi line per request */
export const NOVA_LOG = `${HARNESS_LOG}/nova-api-metadata.log`
export const METADATA_AGENT_LOG = `${HARNESS_LOG}/neutron-metadata-agent.log`
export const NOVA_STATE = '/var/lib/qm-openstack/nova'
/** present while the real Nova is chosen (nova-up.sh; lib.sh NOVA_REAL) */
export const NOVA_REAL = '/run/qm-openstack/nova-real'
/** 127.0.0.1:NOVA_PORT: where the metadata agent sends its requests (fake-nova's port too) */
export const NOVA_PORT = 8775
/** metadata_proxy_shared_secret of the healthy harness, on both sides (lib.sh METADATA_SECRET) */
export const METADATA_SECRET = 'qmmetadatasecret'

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Nova's side of one case; unset = healthy */
export interface NovaCase {
  /** [neutron] metadata_proxy_shared_secret */
  secret?: string
  /** [neutron] service_metadata_proxy (healthy: True) */
  serviceMetadataProxy?: 'True' | 'False'
  /** [oslo_middleware] enable_proxy_headers_parsing (healthy: unset) */
  proxyHeaders?: 'True' | 'False'
  /** serve https with NOVA_CERT */
  tls?: boolean
}

/** the metadata agent's side of one case; unset = healthy */
export interface AgentCase {
  secret?: string
  host?: string
  port?: number
  protocol?: 'http' | 'https'
  /** auth_ca_cert */
  caCert?: string
}

async function must(cmd: string, args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<string> {
  const r = await run(cmd, args, opts)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} -> exit ${r.status}: ${r.stderr.trim().split('\n').slice(-12).join('\n')}`)
  return `${r.stdout}${r.stderr}`
}

/** nova-up.sh with this case (this process its owner); answers how long it took */
export async function novaUp(c: NovaCase = {}): Promise<number> {
  const t0 = Date.now()
  const env: NodeJS.ProcessEnv = {
    QM_NOVA_PROXY_HEADERS: c.proxyHeaders ?? '',
    QM_NOVA_SECRET: c.secret ?? '',
    QM_NOVA_SMP: c.serviceMetadataProxy ?? '',
    QM_NOVA_TLS: c.tls ? '1' : '',
  }
  await must(NOVA_UP, ['--owner', String(process.pid)], {env, timeoutMs: 300_000})
  return Date.now() - t0
}

/**
 * the agent's side: nova-up.sh --agent with the QM_MD_* knobs (none: healthy), which rewrites
 * metadata_agent.ini and restarts the agent by PID when it changed (up.sh would too, slower);
 * answers how long it took
 */
export async function agentCase(c: AgentCase = {}): Promise<number> {
  const t0 = Date.now()
  const env: NodeJS.ProcessEnv = {
    QM_MD_AUTH_CA_CERT: c.caCert ?? '',
    QM_MD_NOVA_HOST: c.host ?? '',
    QM_MD_NOVA_PORT: c.port === undefined ? '' : String(c.port),
    QM_MD_NOVA_PROTOCOL: c.protocol ?? '',
    QM_MD_SECRET: c.secret ?? '',
  }
  await must(NOVA_UP, ['--agent'], {env, timeoutMs: 300_000})
  return Date.now() - t0
}

/** both sides healthy (only what changed is restarted) */
export async function restoreHealthy(): Promise<void> {
  await novaUp()
  await agentCase()
}

/** nova-api-metadata stopped by its pid record; the real Nova stays chosen (no fake-nova) */
export async function novaStop(): Promise<void> {
  await must(`${SCRIPTS}down.sh`, ['--only', 'nova-api-metadata'], {timeoutMs: 120_000})
}

/** nova-down.sh: the real Nova stopped, fake-nova and the agent's healthy config back (up.sh) */
export async function novaDown(): Promise<void> {
  await must(NOVA_DOWN, [], {timeoutMs: 600_000})
}

/** nova-instance.py as user nova with the harness's nova.conf; answers its JSON report */
export async function novaInstance(
  cmd: 'ensure' | 'delete' | 'show',
  uuid: string,
  opts: {project?: string; name?: string; user?: string} = {},
): Promise<{
  uuid: string
  mapping: {project_id: string; cell: string | null} | null
  instance: {project_id: string; ports: {id: string; ips: string[]}[]} | null
}> {
  const extra = cmd === 'ensure' ? ['--project', opts.project ?? '', '--name', opts.name ?? 'qm-vm', '--user', opts.user ?? 'qm-user'] : []
  const out = await must(
    'env',
    ['-i', '-C', NOVA_STATE, `PATH=${SAFE_PATH}`, `HOME=${NOVA_STATE}`, 'LANG=C.UTF-8', 'setpriv', '--reuid=nova', '--regid=nova', '--init-groups'].concat([
      '/usr/bin/python3',
      `${NOVA_ETC}/nova-instance.py`,
      '--config-file',
      NOVA_CONF,
      cmd,
      uuid,
      ...extra,
    ]),
    {timeoutMs: 120_000},
  )
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"uuid"'))
  if (!line) throw new Error(`nova-instance.py ${cmd} ${uuid}: no report in ${out.slice(-2000)}`)
  return JSON.parse(line)
}

export interface NovaVm {
  network: Network
  subnet: Subnet
  /** the VM's fixed IP */
  ip: string
  /** its Nova instance (the port's device_id) */
  instanceId: string
  /** the instance's project = the port's */
  project: string
  vmNamespace: string
  portId: string
  /** an instance of another project, with no port (the project-mismatch case points device_id at it) */
  otherInstanceId: string
  otherProject: string
  instance: Instance
  /** the namespace, the port and both Nova instances; idempotent */
  remove(): Promise<void>
}

/**
 * An isolated network on CIDR (no gateway: the DHCP agent's haproxy serves metadata, option 121
 * routes 169.254.169.254 to it), the VM's port bound to qm-ci-host with device_id = a Nova instance
 * of the port's project (made after the port, as nova-compute's info cache refresh finds it), the
 * namespace qmos-vm-NAME with a DHCP lease, and a second instance of another project. The network
 * is registered with `made`; call remove() before made.cleanup().
 */
export async function makeNovaVm(made: Created, name: string, cidr: string): Promise<NovaVm> {
  const network = await made.network(`qm-nova-${name}`)
  const subnet = await made.subnet(network.id, cidr, {gateway: null, name: `qm-nova-${name}-v4`})
  await waitForDhcpState(network.id, dhcpReady(true), 120_000)
  const instanceId = randomUUID()
  const otherInstanceId = randomUUID()
  const otherProject = `qm-other-${randomBytes(4).toString('hex')}`
  const instance = await makeInstance(network.id, `nova-${name}`, {instanceId})
  const project = String(instance.port.project_id ?? instance.port.tenant_id)
  const remove = async () => {
    await instance.remove()
    for (const id of [instanceId, otherInstanceId]) await novaInstance('delete', id).catch((error) => console.warn(`nova-instance.py delete ${id}: ${error}`))
  }
  try {
    await novaInstance('ensure', instanceId, {name: instance.ns, project})
    await novaInstance('ensure', otherInstanceId, {name: `${instance.ns}-other`, project: otherProject, user: 'qm-other-user'})
  } catch (error) {
    await remove()
    throw error
  }
  return {
    instance,
    instanceId,
    ip: instance.ip,
    network,
    otherInstanceId,
    otherProject,
    portId: instance.port.id,
    project,
    remove,
    subnet,
    vmNamespace: instance.ns,
  }
}

/** PUT /v2.0/ports/ID {"port": {"device_id": ...}}: the call Nova makes when it attaches a port */
export async function pointPortAt(portId: string, deviceId: string): Promise<void> {
  await neutron('PUT', `/ports/${portId}`, {port: {device_id: deviceId}})
}

export interface Answer {
  /** the HTTP status, 0 when none came */
  status: number
  body: string
  /** curl's exit code */
  exit: number | null
  ms: number
}

/** GET http://169.254.169.254PATH from inside the VM's namespace (a qmos-vm-* one, never the root namespace) */
export async function vmGet(ns: string, path = '/latest/meta-data/', maxTimeS = 30): Promise<Answer> {
  if (!ns.startsWith(INSTANCE_PREFIX)) throw new Error(`vmGet: ${ns} is not an instance namespace (${INSTANCE_PREFIX}*)`)
  const t0 = Date.now()
  const r = await run(
    'ip',
    ['netns', 'exec', ns, 'curl', '-sS', '--noproxy', '*', '--max-time', String(maxTimeS), '-w', '\n%{http_code}', `http://169.254.169.254${path}`],
    {env: {http_proxy: '', https_proxy: '', no_proxy: '*'}, timeoutMs: (maxTimeS + 10) * 1000},
  )
  const i = r.stdout.lastIndexOf('\n')
  return {body: i < 0 ? '' : r.stdout.slice(0, i), exit: r.status, ms: Date.now() - t0, status: Number(r.stdout.slice(i + 1).trim()) || 0}
}

/** ask until the status is `want` (a restarted agent's or Nova's caches settle); answers the last answer */
export async function vmGetUntil(ns: string, want: number, timeoutMs: number, path?: string): Promise<Answer> {
  const t0 = Date.now()
  for (;;) {
    const a = await vmGet(ns, path)
    if (a.status === want || Date.now() - t0 > timeoutMs) return a
    await new Promise((r) => setTimeout(r, 1000))
  }
}

// oslo.log's colour codes (its stderr handler; uwsgi's logto keeps them)
const ANSI = /\u001b\[[0-9;]*m/g

/** a log file's size now; `.text()` is what it gained since, ANSI colour codes stripped */
export function logMark(file: string): {text(): string} {
  let from = 0
  try {
    from = statSync(file).size
  } catch {}
  return {
    text() {
      let size = 0
      try {
        size = statSync(file).size
      } catch {
        return ''
      }
      if (size <= from) return ''
      const buf = Buffer.alloc(size - from)
      const fd = openSync(file, 'r')
      try {
        readSync(fd, buf, 0, buf.length, from)
      } finally {
        closeSync(fd)
      }
      return buf.toString('utf8').replace(ANSI, '')
    },
  }
}

/** wait until the log gained a line matching `re` (the agent and uwsgi write theirs after answering); answers the new text */
export async function logGains(mark: {text(): string}, re: RegExp, timeoutMs = 10_000): Promise<string> {
  const t0 = Date.now()
  for (;;) {
    const t = mark.text()
    if (re.test(t) || Date.now() - t0 > timeoutMs) return t
    await new Promise((r) => setTimeout(r, 200))
  }
}
