/**
 * Past the metadata agent, on this node: the request an instance's proxy would send to the agent's
 * socket (--probe-as IP), Nova's metadata API asked the way the agent's config says (--probe), and
 * Nova's own config read beside the agent's (--nova-config, or the running Nova metadata API's).
 *
 * Read-only: `GET /openstack` to the agent (Nova answers it with its list of versions once it has
 * found and checked the instance: no metadata, no secret) and `GET /` to Nova (the version list; no
 * instance, no signature). The answer's body is never kept when it is 200; an error page's first
 * bytes are (they say whose page it is). The shared secret is read to compare the two sides and
 * dropped: neither value nor a digest of it reaches the evidence.
 */
import {readFileSync, readdirSync, readlinkSync} from 'node:fs'
import {type ClientRequest, request as httpRequest, type IncomingMessage} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {connect as tlsConnect} from 'node:tls'

import {agentNovaSettings, agentSecret, type IniText, novaSecret, sameSecret} from '../config/nova.js'
import {redactIniSecrets, redactLogText} from '../config/secrets.js'
import type {AgentNovaSettings, AsInstanceRecord, FileRecord, NovaEvidence, NovaReachRecord} from '../evidence/evidence.js'
import {readRegularFile, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'

/** How long the agent gets to answer as the instance: a Zed agent waits on a black-holed Nova for ever (haproxy gives up at 32 s). */
export const AS_INSTANCE_TIMEOUT_MS = 10_000
/** How long Nova gets to answer `GET /`. */
export const REACH_TIMEOUT_MS = 5000
/** The most of an error page kept. */
const ERROR_BODY_MAX = 512
/** The most read of any answer (the rest is counted, not kept). */
const READ_MAX = 1024 * 1024

/** The programs of Nova's metadata API: Debian's uwsgi ini, the WSGI script, the eventlet service, kolla's and TripleO's. */
const NOVA_METADATA_PROCESS = /nova-api-metadata|nova-metadata-wsgi|nova\.wsgi\.metadata|nova-metadata-api/
/** The metadata agents (DHCP/L3's, OVN's, Grizzly's). */
const METADATA_AGENT_PROCESS = /(neutron|quantum)-metadata-agent|neutron-ovn-metadata-agent|networking-ovn-metadata-agent|neutron-ovn-agent/

export interface NovaRequest {
  /** the agent's config files, in the order oslo.config reads them */
  agentConfigs: string[]
  layout: 'neutron' | 'quantum'
  /** --probe: ask Nova the agent's way */
  probe: boolean
  /** --probe-as IP, or the instance port picked for --probe */
  asInstance?: {ip: string; from: string; socket: string; headers: Record<string, string>}
  asInstanceSkipped?: string
  /** --nova-config FILE */
  novaConfig?: string
  /** Nova's config as found once for every network (--nova-config, else the running Nova metadata API's; null: none) */
  novaFound?: {path: string; from: string} | null
  /** the files read so far in this collection, by path (the agent's config is read once, not once per network) */
  cache?: Map<string, Promise<IniText | undefined>>
  /** Nova asked so far in this collection, by how (every network of a node reaches the same Nova: asked once) */
  reached?: Map<string, Promise<NovaReachRecord>>
}

async function readText(path: string): Promise<IniText | undefined> {
  const r = await readRegularFile(path, TEXT_FILE_MAX_BYTES)
  return r.ok ? {content: r.text, path} : undefined
}

/** Nova's side and the agent's, collected. */
export async function collectNova(req: NovaRequest): Promise<NovaEvidence> {
  const cache = req.cache ?? new Map<string, Promise<IniText | undefined>>()
  const cached = (path: string) => {
    let got = cache.get(path)
    if (!got) cache.set(path, (got = readText(path)))
    return got
  }
  const agentTexts = (await Promise.all(req.agentConfigs.map(cached))).filter((t): t is IniText => t !== undefined)
  const agent = agentNovaSettings(agentTexts, req.layout)
  const out: NovaEvidence = {}
  if (agent) out.agent = agent
  const found = req.novaFound === undefined ? (req.novaConfig ? {from: '--nova-config', path: req.novaConfig} : await runningNovaConfig()) : req.novaFound
  if (found) {
    const r = await readRegularFile(found.path, TEXT_FILE_MAX_BYTES)
    const rec: FileRecord = r.ok
      ? {content: redactIniSecrets(r.text), mtime: r.stat.mtime.toISOString(), path: found.path, state: 'present'}
      : {error: r.reason, path: found.path, state: r.kind === 'missing' ? 'missing' : 'error'}
    out.config = rec
    out.configFrom = found.from
    if (r.ok && agentTexts.length > 0) out.secrets = sameSecret(agentSecret(agentTexts), novaSecret({content: r.text, path: found.path})) ? 'equal' : 'differ'
  }
  const reached = req.reached ?? new Map<string, Promise<NovaReachRecord>>()
  const reachOnce = (a: AgentNovaSettings) => {
    const key = JSON.stringify([a.protocol, a.host, a.port, a.caCert, a.clientCert, a.insecure])
    let got = reached.get(key)
    if (!got) reached.set(key, (got = reachNova(a, agentTexts)))
    return got
  }
  const [reach, asInstance] = await Promise.all([req.probe && agent ? reachOnce(agent) : undefined, req.asInstance ? askAsInstance(req.asInstance) : undefined])
  if (reach) out.reach = reach
  if (asInstance) out.asInstance = asInstance
  else if (req.asInstanceSkipped) out.asInstanceSkipped = req.asInstanceSkipped
  return out
}

/** The command line's words of a /proc entry, or undefined when it is gone or unreadable. */
function cmdlineOf(pid: string): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
}

/** Whether process `pid` sees this process's mount namespace (its paths are ours). */
function sameMountNamespace(pid: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`) === readlinkSync('/proc/self/ns/mnt')
  } catch {
    return false
  }
}

/** A program that can be Nova's metadata API (uwsgi, python, a nova-* script), not an editor or `tail` of its files. */
const NOVA_PROGRAM = /^(uwsgi\w*|python[\d.]*|nova-[\w-]+)$/

/** `OS_NOVA_CONFIG_FILES=` / `OS_NOVA_CONFIG_DIR=` values among NAME=VALUE entries (the last one wins). */
function novaEnv(entries: readonly string[]): {files?: string; dir?: string} {
  const out: {files?: string; dir?: string} = {}
  for (const e of entries) {
    if (e.startsWith('OS_NOVA_CONFIG_FILES=')) out.files = e.slice('OS_NOVA_CONFIG_FILES='.length)
    else if (e.startsWith('OS_NOVA_CONFIG_DIR=')) out.dir = e.slice('OS_NOVA_CONFIG_DIR='.length)
  }
  return out
}

/** The `env = NAME=VALUE` lines of a uwsgi ini (uwsgi sets them inside the process: /proc/PID/environ does not show them). */
async function uwsgiIniEnv(path: string): Promise<string[]> {
  const r = await readRegularFile(path, TEXT_FILE_MAX_BYTES)
  if (!r.ok) return []
  const out: string[] = []
  for (const line of r.text.split('\n')) {
    const m = /^\s*env\s*=\s*(\S.*?)\s*$/.exec(line)
    if (m) out.push(m[1])
  }
  return out
}

/**
 * The config of the Nova metadata API running here: its --config-file; else OS_NOVA_CONFIG_FILES or
 * OS_NOVA_CONFIG_DIR from its environment or its uwsgi ini's `env =` lines (Nova's WSGI app reads them);
 * else /etc/nova/nova.conf under its root.
 */
export async function runningNovaConfig(): Promise<{path: string; from: string} | undefined> {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const argv = cmdlineOf(pid)
    if (!argv || argv.length === 0 || !NOVA_PROGRAM.test(argv[0].split('/').pop() ?? '') || !NOVA_METADATA_PROCESS.test(argv.join(' '))) continue
    const from = `the Nova metadata API process ${pid}`
    // the process's own files: through /proc/PID/root when it sees another mount namespace (a container)
    const root = sameMountNamespace(pid) ? '' : `/proc/${pid}/root`
    const under = (p: string) => (p.startsWith('/') ? `${root}${p}` : p)
    const flag = (name: string) => {
      const i = argv.indexOf(name)
      return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1)
    }
    const given = flag('--config-file')
    if (given) return {from: `${from} (--config-file)`, path: under(given)}
    let environ: string[] = []
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
    } catch {
      // gone, or not ours to read
    }
    const ini = flag('--ini')
    const sources: [string, string[]][] = [
      ['its environment', environ],
      ...(ini ? ([[`env in ${ini}`, await uwsgiIniEnv(under(ini))]] as [string, string[]][]) : []),
    ]
    for (const [where, entries] of sources) {
      const {files, dir} = novaEnv(entries)
      // Nova's WSGI app: OS_NOVA_CONFIG_FILES is ';'-separated; the last file wins for what it sets
      const last = files?.split(';').filter(Boolean).at(-1)
      if (last?.startsWith('/')) return {from: `${from} (OS_NOVA_CONFIG_FILES, ${where})`, path: under(last)}
      if (dir?.startsWith('/')) return {from: `${from} (OS_NOVA_CONFIG_DIR, ${where})`, path: under(`${dir.replace(/\/+$/, '')}/nova.conf`)}
    }
    return {from, path: under('/etc/nova/nova.conf')}
  }
  return undefined
}

/** The metadata agent's network namespace differs from this process's: where it is, in words; undefined when the same (or no agent found). */
export function agentElsewhere(): string | undefined {
  let mine: string
  try {
    mine = readlinkSync('/proc/self/ns/net')
  } catch {
    return undefined
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const argv = cmdlineOf(pid)
    if (!argv || !METADATA_AGENT_PROCESS.test(argv.slice(0, 3).join(' '))) continue
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/net`)
      return ns === mine ? undefined : `the metadata agent (pid ${pid}) runs in ${ns}, this command in ${mine}`
    } catch {
      // gone
    }
  }
  return undefined
}

/** `host` as a URL's authority part: an IPv6 literal in brackets. */
const hostPart = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host)

interface Answer {
  status?: number
  error?: string
  detail?: string
  ms: number
}

/**
 * Stop a request at `ms` whatever happens: `timeout` alone is the socket's idle time, so a server that
 * trickles a byte now and then would hold it open for ever; `onTimeout` says so before it is destroyed.
 */
function stopAt(req: ClientRequest, ms: number, onTimeout: () => void): void {
  const stop = () => {
    onTimeout()
    req.destroy()
  }
  const deadline = setTimeout(stop, ms)
  req.on('close', () => clearTimeout(deadline))
  req.on('timeout', stop)
}

/** One GET, bounded in time and size; TLS options as the agent's (CA, client certificate, insecure). */
function get(url: URL, tlsOpts: {ca?: Buffer; cert?: Buffer; key?: Buffer; insecure?: boolean}, timeoutMs: number): Promise<Answer> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return
      done = true
      resolve({...a, ms: Date.now() - t0})
    }
    const onResponse = (res: IncomingMessage) => {
      // the status is the answer: the body is counted and dropped, and one that never ends is cut
      let bytes = 0
      res.on('data', (d: Buffer) => {
        bytes += d.length
        if (bytes > READ_MAX) {
          finish({status: res.statusCode})
          res.destroy()
        }
      })
      res.on('end', () => finish({status: res.statusCode}))
      res.on('error', () => finish({status: res.statusCode}))
    }
    const common = {headers: {Accept: '*/*', Connection: 'close'}, method: 'GET', timeout: timeoutMs}
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, {...common, ca: tlsOpts.ca, cert: tlsOpts.cert, key: tlsOpts.key, rejectUnauthorized: !tlsOpts.insecure}, onResponse)
        : httpRequest(url, common, onResponse)
    stopAt(req, timeoutMs, () => finish({error: 'timeout'}))
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'error'
      // a connection closed before any answer: Node says ECONNRESET, or "socket hang up"
      const error = code === 'ECONNRESET' && /hang up/i.test(e.message) ? 'closed' : code
      finish({detail: e.message.slice(0, 200), error})
    })
    req.end()
  })
}

/** Whether a TLS handshake completes at host:port (certificate not checked): tells an https server from a plain one. */
function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({host, port, rejectUnauthorized: false, servername: /^[\d.:]+$/.test(host) ? undefined : host, timeout: timeoutMs})
    const end = (v: boolean) => {
      s.destroy()
      resolve(v)
    }
    s.once('secureConnect', () => end(true))
    s.once('error', () => end(false))
    s.once('timeout', () => end(false))
  })
}

/**
 * `GET /` of Nova's metadata API as the agent reaches it. After a failure, the other scheme is tried on
 * the same host and port, so a protocol mismatch is told from a Nova that is down.
 */
export async function reachNova(agent: AgentNovaSettings, agentTexts: readonly IniText[]): Promise<NovaReachRecord> {
  const elsewhere = agentElsewhere()
  const url = new URL(`${agent.protocol === 'https' ? 'https' : 'http'}://${hostPart(agent.host)}:${agent.port}/`)
  if (elsewhere) return {error: 'not-sent', detail: `${elsewhere}: not asked from here`, from: 'not sent', url: url.href}
  const read = async (p: string | undefined) => {
    if (!p) return undefined
    const r = await readRegularFile(p, TEXT_FILE_MAX_BYTES)
    return r.ok ? Buffer.from(r.text) : undefined
  }
  const key = agentTexts.length > 0 ? clientKeyPath(agentTexts) : undefined
  const [ca, cert, keyBuf] = await Promise.all([
    read(agent.caCert),
    agent.clientCert && key ? read(agent.clientCert) : undefined,
    agent.clientCert && key ? read(key) : undefined,
  ])
  const a = await get(url, {ca, cert, insecure: agent.insecure, key: keyBuf}, REACH_TIMEOUT_MS)
  const rec: NovaReachRecord = {from: "this node's network namespace (the metadata agent's)", ms: a.ms, url: url.href}
  if (a.status !== undefined) rec.status = a.status
  if (a.error) rec.error = a.error
  if (a.detail) rec.detail = a.detail
  if (a.status === undefined && a.error !== 'timeout' && a.error !== 'ECONNREFUSED' && a.error !== 'ENOTFOUND' && a.error !== 'EHOSTUNREACH') {
    // TLS against plain HTTP, or plain HTTP against TLS: which does the server speak?
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    if (url.protocol === 'https:') {
      const plain = await get(new URL(url.href.replace(/^https:/, 'http:')), {}, REACH_TIMEOUT_MS)
      if (plain.status !== undefined) rec.otherScheme = `http ${plain.status}`
    } else if (await speaksTls(url.hostname.replace(/^\[|\]$/g, ''), port, REACH_TIMEOUT_MS)) {
      rec.otherScheme = 'tls'
    }
  }
  return rec
}

/** nova_client_priv_key from the agent's files (a path: read to make the TLS connection the agent would, never kept). */
function clientKeyPath(texts: readonly IniText[]): string | undefined {
  let found: string | undefined
  for (const t of texts) {
    for (const line of t.content.split('\n')) {
      const m = /^nova_client_priv_key\s*[=:]\s*(.*?)\s*$/.exec(line)
      if (m) found = m[1] || undefined
    }
  }
  return found
}

/** The request an instance with `ip` would send through the proxy, straight to the agent's socket. */
export function askAsInstance(
  a: {ip: string; from: string; socket: string; headers: Record<string, string>},
  timeoutMs = AS_INSTANCE_TIMEOUT_MS,
): Promise<AsInstanceRecord> {
  const headers = {Accept: '*/*', Connection: 'close', Host: '169.254.169.254', 'X-Forwarded-For': a.ip, ...a.headers}
  const rec: AsInstanceRecord = {from: a.from, headers, ip: a.ip, method: 'GET', path: '/openstack', socket: a.socket, timeoutMs}
  const t0 = Date.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (more: Partial<AsInstanceRecord>) => {
      if (done) return
      done = true
      resolve({...rec, ...more, ms: Date.now() - t0})
    }
    const req = httpRequest({headers, method: 'GET', path: '/openstack', socketPath: a.socket, timeout: timeoutMs}, (res) => {
      let bytes = 0
      const kept: Buffer[] = []
      let keptLen = 0
      res.on('data', (d: Buffer) => {
        bytes += d.length
        if (res.statusCode !== 200 && keptLen < ERROR_BODY_MAX) {
          kept.push(d.subarray(0, ERROR_BODY_MAX - keptLen))
          keptLen += Math.min(d.length, ERROR_BODY_MAX - keptLen)
        }
        if (bytes > READ_MAX) res.destroy()
      })
      const end = () =>
        finish({
          bytes,
          contentType: typeof res.headers['content-type'] === 'string' ? res.headers['content-type'].slice(0, 100) : undefined,
          // an error page, redacted as a log line is (a URL's password, a token) before it is kept
          errorBody: res.statusCode === 200 ? undefined : redactLogText(Buffer.concat(kept).toString('utf8')),
          status: res.statusCode,
        })
      res.on('end', end)
      res.on('close', end)
    })
    stopAt(req, timeoutMs, () => finish({error: 'timeout'}))
    req.on('error', (e: NodeJS.ErrnoException) => finish({error: e.code ?? e.message.slice(0, 100)}))
    req.end()
  })
}
