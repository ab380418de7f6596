/**
 * What the logs already say past the agent's socket: the latest known failure in the tails the
 * collector kept (src/chains/common/log-collect.ts), read by the classifier (src/parse/metadata-log.ts),
 * cited by file and line. One check per chain (makeLogCheck), after the metadata agent's own links and
 * before the probe: it only warns (the log is history, not a test made now), and passes when the window
 * holds only answers or nothing known. latestLogCase is for other checks (the probe) to cite a line.
 */
import {IniSyntaxError, effective, parseIni} from '../../config/oslo-ini.js'
import {deploymentOf, restart} from '../../deployments/registry.js'
import type {ServiceName} from '../../deployments/types.js'
import {type FileRecord, LOG_TAIL_MAX_BYTES, type LogRecord, type NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {type LogCase, type LogHit, classifyLog, cleanLogText, isFailure} from '../../parse/metadata-log.js'
import {formatBytes} from '../../system/read-file.js'
import {type Check, type Fix, cmd, conf, pass, skip, warn} from '../types.js'
import {clip, shq} from './text.js'

/** A known line, where it is. */
export interface LogCaseCitation {
  case: LogCase
  /** the log's path, or `journal:UNIT.service` */
  file: string
  /** the line's number in the file, when the tail read starts at the file's start; else undefined */
  line?: number
  /** `FILE:LINE`, or `FILE (line N of its last 256 KiB)` when the line's number in the file is not known */
  cite: string
  /** the line, clipped, redacted, printable */
  text: string
  /** the line's own time, when valid */
  at?: string
  /** whose log: metadata-agent, ovn-metadata-agent, nova-metadata */
  service: string
  hit: LogHit
  /** the agent's line that goes with a Nova line cited instead of it (a 404's reason) */
  also?: LogCaseCitation
}

/** The metadata addresses a request from inside the proxy's own namespace comes from (quantum-meta's own --probe), not an instance. */
const OWN_ADDRESSES = new Set(['169.254.169.254', 'fe80::a9fe:a9fe'])

/**
 * A failure worth reporting: not an answer (but a 503, which from Neutron 24.0.1 to 25.x is all an
 * unreachable Nova leaves in the agent's log), not the tool's own probe from the namespace's metadata address.
 */
const reported = (h: LogHit) =>
  (isFailure(h) && !(h.case === 'no-port' && h.ip !== undefined && OWN_ADDRESSES.has(h.ip))) || (h.case === 'access' && h.status === 503)

const parsed = new WeakMap<LogRecord, LogHit[]>()
/** The hits of one record's tail, classified once per record (every network of a run shares the records). */
function hitsOf(rec: LogRecord): LogHit[] {
  let hits = parsed.get(rec)
  // cleaned again: a snapshot written by hand or by another tool may hold colour codes and control characters
  if (!hits) parsed.set(rec, (hits = rec.state === 'present' && rec.tail !== undefined ? classifyLog(cleanLogText(rec.tail).text) : []))
  return hits
}

function citation(rec: LogRecord, hit: LogHit): LogCaseCitation {
  const line = rec.firstLine === undefined ? undefined : rec.firstLine + hit.line - 1
  const window = rec.path.startsWith('journal:') ? `its last ${rec.argv?.[4] ?? ''} lines` : `its last ${formatBytes(LOG_TAIL_MAX_BYTES)}`
  const cite = line === undefined ? `${rec.path} (line ${hit.line} of ${window})` : `${rec.path}:${line}`
  const out: LogCaseCitation = {case: hit.case, cite, file: rec.path, hit, service: rec.service, text: printable(hit.text)}
  if (line !== undefined) out.line = line
  if (hit.at !== undefined) out.at = hit.at
  return out
}

/** A line as printed: no control character (a hand-edited snapshot may hold any), at most 300 characters. */
const printable = (text: string) => clip(cleanLogText(text).text.split('\n')[0] ?? '', 300)

/** Times compared as written (the same host's clock): `YYYY-MM-DDTHH:MM:SS[.fff]`, zone left out. */
const timeKey = (at: string | undefined) => at?.slice(0, 23).padEnd(23, '0')

/** The specific reasons Nova logs for a 404 the Zed agent only notes ("is not present anymore"). */
const NOVA_404: ReadonlySet<LogCase> = new Set(['proxy-off', 'project-mismatch', 'instance-unknown'])

/**
 * The latest known failure the evidence's logs hold, cited; undefined when none (or no log was kept).
 * Each log's last failure, then the latest of those by their own time (a line without a valid time
 * loses to one with). A Zed agent's 404 note is replaced by Nova's reason for it when Nova's log, on
 * this node, has one at or before it (the agent's line kept as `also`).
 */
export function latestLogCase(ev: Pick<NetworkEvidence, 'logs'>): LogCaseCitation | undefined {
  let best: {rec: LogRecord; hit: LogHit} | undefined
  for (const rec of ev.logs ?? []) {
    const hits = hitsOf(rec)
    let last: LogHit | undefined
    for (let i = hits.length - 1; i >= 0 && !last; i--) if (reported(hits[i])) last = hits[i]
    if (!last) continue
    if (!best || (timeKey(last.at) ?? '') > (timeKey(best.hit.at) ?? '')) best = {hit: last, rec}
  }
  if (!best) return undefined
  const chosen = citation(best.rec, best.hit)
  if (best.hit.case !== 'instance-gone') return chosen
  const when = timeKey(best.hit.at)
  for (const rec of ev.logs ?? []) {
    if (rec.service !== 'nova-metadata') continue
    const hits = hitsOf(rec)
    for (let i = hits.length - 1; i >= 0; i--) {
      const h = hits[i]
      if (!NOVA_404.has(h.case) || (when !== undefined && (timeKey(h.at) ?? '') > when)) continue
      if (best.hit.instance !== undefined && h.instance !== undefined && h.instance !== best.hit.instance && h.case !== 'proxy-off') continue
      return {...citation(rec, h), also: chosen}
    }
  }
  return chosen
}

/**
 * The answers logged after a hit (access lines), by status: `12 x 200`. After a failure, the first
 * error answer is that request's own (the agent logs its access line after the reason): not counted.
 */
function answersAfter(rec: LogRecord | undefined, line: number): Map<number, number> {
  const out = new Map<number, number>()
  if (!rec) return out
  let own = line > 0
  for (const h of hitsOf(rec)) {
    if (h.case !== 'access' || h.line <= line || h.status === undefined) continue
    if (own && h.status >= 400) {
      own = false
      continue
    }
    own = false
    out.set(h.status, (out.get(h.status) ?? 0) + 1)
  }
  return out
}

const statusList = (m: Map<number, number>) =>
  [...m.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${n} x ${s}`)
    .join(', ')

/** What a chain hands the check: whose log, and where its agent's settings are. */
export interface LogCheckSpec {
  id: string
  service: Extract<ServiceName, 'metadata-agent' | 'ovn-metadata-agent'>
  /** the agent's config files as collected (secrets redacted; nova_metadata_* and auth_ca_cert kept) */
  configs(ev: NetworkEvidence): (FileRecord | undefined)[]
}

interface NovaAddress {
  scheme: string
  host: string
  port: string
  ca?: string
  from: string
}

/** Where the agent asks Nova: its exception's address (what it really used), else its config's nova_metadata_*. */
function novaAddress(ev: NetworkEvidence, spec: LogCheckSpec, hit: LogHit): NovaAddress {
  const vals: Record<string, string> = {}
  for (const f of spec.configs(ev)) {
    if (f?.content === undefined) continue
    try {
      const ini = parseIni(f.content)
      for (const k of ['nova_metadata_host', 'nova_metadata_ip', 'nova_metadata_port', 'nova_metadata_protocol', 'auth_ca_cert']) {
        const a = effective(ini, 'DEFAULT', k)
        if (a && a.value !== '') vals[k] = a.value
      }
    } catch (error) {
      if (!(error instanceof IniSyntaxError)) throw error
    }
  }
  const scheme = hit.scheme ?? (vals.nova_metadata_protocol === 'https' ? 'https' : 'http')
  const out: NovaAddress = {
    from: hit.host !== undefined ? "the agent's error" : 'its config',
    host: hit.host ?? vals.nova_metadata_host ?? vals.nova_metadata_ip ?? '127.0.0.1',
    port: String(hit.port ?? vals.nova_metadata_port ?? '8775'),
    scheme,
  }
  if (vals.auth_ca_cert !== undefined) out.ca = vals.auth_ca_cert
  return out
}

const SAFE_HOST = /^[A-Za-z0-9.:_-]{1,255}$/
const urlOf = (a: NovaAddress, scheme = a.scheme) => `${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/`
const curl = (url: string, extra = '') => `curl -sS -m 5 -o /dev/null -w '%{http_code}\\n'${extra} ${shq(url)}`

const RELEASE_500 = 'instances get 500 (503 from Neutron 24.0.1 on)'

/** The case's meaning in words, and a fix a shell accepts. */
function explain(ev: NetworkEvidence, spec: LogCheckSpec, c: LogCaseCitation): {meaning: string; fix?: Fix} {
  const h = c.hit
  const restartAgent = restart(ev, spec.service)
  const novaConf = deploymentOf(ev).novaMetadata?.configs[0] ?? '/etc/nova/nova.conf'
  const novaLog = deploymentOf(ev).novaMetadata?.logs[0] ?? '/var/log/nova/nova-api-metadata.log'
  const agentFiles = spec
    .configs(ev)
    .filter((f): f is FileRecord => f !== undefined && f.state === 'present')
    .map((f) => f.path)
  const id = h.instance !== undefined && UUID.test(h.instance) ? h.instance.toLowerCase() : undefined
  switch (h.case) {
    case 'secret-mismatch': {
      const files = [...(agentFiles.length > 0 ? agentFiles : ['/etc/neutron/metadata_agent.ini']), novaConf]
      return {
        fix: cmd(
          `for f in ${files.map(shq).join(' ')}; do printf '%s: ' "$f"; sed -n 's/^[[:space:]]*\\(quantum_\\)\\{0,1\\}metadata_proxy_shared_secret[[:space:]]*=[[:space:]]*//p' "$f" | tail -n 1 | sha256sum; done`,
          `the digests of the agent's and Nova's metadata_proxy_shared_secret (neither value is printed; nova.conf on the Nova API node): they must be equal; set the same value in both, then ${restartAgent} and restart Nova's metadata API`,
        ),
        meaning: `Nova refused the agent's signature (403)${id ? ` for instance ${id}` : ''}: the agent's metadata_proxy_shared_secret differs from Nova's [neutron] one; instances get 403`,
      }
    }
    case 'nova-unreachable': {
      const a = novaAddress(ev, spec, h)
      const at = `${a.host}:${a.port}`
      const safe = SAFE_HOST.test(a.host) && /^\d{1,5}$/.test(a.port)
      const why = `from this node (the agent's network namespace): an HTTP status means Nova answers there; address from ${a.from}`
      const other = a.scheme === 'https' ? 'http' : 'https'
      const m: Record<string, [string, Fix | undefined]> = {
        certificate: [
          `the agent does not trust the certificate of Nova at ${at} (CERTIFICATE_VERIFY_FAILED): auth_ca_cert${a.ca ? ` (${a.ca})` : ' (unset)'} is not the CA that signed it; ${RELEASE_500}`,
          safe ? cmd(curl(urlOf(a, 'https'), a.ca ? ` --cacert ${shq(a.ca)}` : ''), `the same check as the agent's; ${why}`) : undefined,
        ],
        dns: [
          `the agent cannot resolve Nova's host ${a.host} (nova_metadata_host); ${RELEASE_500}`,
          safe ? cmd(`getent hosts ${shq(a.host)}`, 'resolve it as the agent does') : undefined,
        ],
        other: [
          `the agent's request to Nova at ${at} failed (${clip(h.text.slice(h.text.indexOf('Unexpected error.')), 120)}); ${RELEASE_500}`,
          safe ? cmd(curl(urlOf(a)), why) : undefined,
        ],
        'plain-to-tls': [
          `Nova at ${at} closed the agent's plain-http request without an answer: it likely serves https while the agent's nova_metadata_protocol is http; ${RELEASE_500}`,
          safe ? cmd(`${curl(urlOf(a, 'http'))}; ${curl(urlOf(a, 'https'), ' --insecure')}`, `which scheme Nova answers; ${why}`) : undefined,
        ],
        refused: [
          `the agent could not connect to Nova at ${at} (connection refused): Nova's metadata API is down there, or nova_metadata_host/port name another place; ${RELEASE_500}`,
          safe ? cmd(curl(urlOf(a)), why) : undefined,
        ],
        timeout: [
          `the agent's connection to Nova at ${at} timed out; instances wait, then get 500/503 or haproxy's 504`,
          safe ? cmd(curl(urlOf(a)), why) : undefined,
        ],
        'tls-to-plain': [
          `the agent speaks https to Nova at ${at}, which answers plain http (nova_metadata_protocol = https against an http Nova); ${RELEASE_500}`,
          safe ? cmd(`${curl(urlOf(a, other))}; ${curl(urlOf(a))}`, `which scheme Nova answers; ${why}`) : undefined,
        ],
        unavailable: [`the agent could not reach Nova at ${at}: instances get 503 (Neutron 24.0.1 on)`, safe ? cmd(curl(urlOf(a)), why) : undefined],
      }
      const [meaning, fix] = m[h.reason ?? 'other'] ?? m.other
      return {fix, meaning}
    }
    case 'nova-error':
      return {
        fix: cmd(`grep -E 'ERROR|Failed to get metadata' ${shq(novaLog)} | tail -n 20`, "on the Nova API node: Nova's own reason for the 500"),
        meaning: "Nova's metadata API answered 500: instances get 500; Nova's log says why",
      }
    case 'nova-bad-answer': {
      const a = novaAddress(ev, spec, h)
      return {
        fix: SAFE_HOST.test(a.host)
          ? cmd(curl(urlOf(a)), `what answers at the agent's Nova address (${a.from}): 401 is the compute API (8774), not the metadata API (8775)`)
          : undefined,
        meaning: `what answers at the agent's Nova address said ${h.status}, which the agent turns into 500: nova_metadata_host/port may name another service (a compute API answers 401), or a balancer in front of Nova failed (502-504)`,
      }
    }
    case 'proxy-off':
      return {
        fix: conf(
          novaConf,
          'neutron',
          'service_metadata_proxy = true',
          "on the Nova API node; then restart Nova's metadata API. Off, Nova ignores the agent's X-Instance-ID and looks the caller up by IP",
        ),
        meaning:
          "Nova's [neutron] service_metadata_proxy is off: it ignores the instance id the agent signs and looks the caller up by its IP; instances get 404 (with enable_proxy_headers_parsing on, Nova may still serve them by IP)",
      }
    case 'project-mismatch':
      return {
        fix: id
          ? cmd(
              `openstack server show ${id} -c project_id -f value && openstack port list --device-id ${id} --long`,
              "the instance's project, and its ports' (with admin credentials): a port's project must be the instance's",
            )
          : undefined,
        meaning: `the port's project (${h.tenant ?? '?'}) is not the project of instance ${h.instance ?? '?'}: Nova answers 404 (a port moved to another project's instance, or its device_id edited)`,
      }
    case 'instance-unknown':
      return {
        fix: id
          ? cmd(
              `nova-manage cell_v2 verify_instance --uuid ${id}`,
              'on the Nova API node: whether the instance is mapped to a cell (an unmapped one needs nova-manage cell_v2 map_instances or discover_hosts)',
            )
          : undefined,
        meaning: `Nova does not know instance ${h.instance ?? '?'} (no cell mapping, or no such instance): instances get 404; a port's device_id names an instance Nova never had or deleted`,
      }
    case 'no-port':
      return {
        fix:
          h.network !== undefined && UUID.test(h.network) && h.ip !== undefined && /^[0-9a-fA-F.:]{2,45}$/.test(h.ip)
            ? cmd(
                `openstack port list --network ${h.network.toLowerCase()} --fixed-ip ip-address=${h.ip}`,
                'the port with that address on that network: none means the request came from an address Neutron does not know',
              )
            : undefined,
        meaning: `no port ${h.ip ? `with IP ${h.ip} ` : ''}on network ${h.network ?? '?'}: the request came from an address Neutron does not know (a static IP, another network's address, a spoofed source); it gets 404`,
      }
    case 'instance-gone':
      return {
        fix: id
          ? cmd(
              `openstack server show ${id} -c status -c project_id`,
              `whether Nova has the instance (with admin credentials); Nova's log (${novaLog} on the Nova API node) says why it answered 404`,
            )
          : undefined,
        meaning: `Nova answered 404 for instance ${h.instance ?? '?'} (the Zed agent retried once): service_metadata_proxy off, a project mismatch or an unknown instance; Nova's log on its node says which`,
      }
    case 'access': {
      const a = novaAddress(ev, spec, h)
      return {
        fix: SAFE_HOST.test(a.host) ? cmd(curl(urlOf(a)), `whether Nova answers at the agent's address (${a.from}), from this node`) : undefined,
        meaning: `the agent answered ${h.status}: from Neutron 24.0.1 on, Nova unreachable at ${a.host}:${a.port} (the agent logs no other line for it), or Nova's own 503 passed on`,
      }
    }
  }
}

/** The check of one chain: the latest known failure in the logs' window, cited. */
export function makeLogCheck(spec: LogCheckSpec): Check {
  const agent = spec.service === 'ovn-metadata-agent' ? 'OVN metadata agent' : 'metadata agent'
  return {
    id: spec.id,
    needs: [],
    run(ev) {
      const logs = ev.logs
      if (logs === undefined) return skip('the logs were not collected (an older snapshot, a transcript, or a hand-made one)')
      const agentLogs = logs.filter((l) => l.service !== 'nova-metadata')
      const read = logs.filter((l) => l.state === 'present')
      if (read.length === 0 || !agentLogs.some((l) => l.state === 'present')) {
        const looked = logs.map((l) => `${l.path} (${l.state === 'missing' ? 'no such file' : (l.error ?? l.state)}; ${l.from})`)
        return skip(
          `no log of the ${spec.service.replace(/-/g, ' ')} read: looked at ${looked.length > 0 ? looked.join('; ') : 'no place (no agent running, no default path)'}`,
        )
      }
      const where = read.map(
        (l) =>
          `${l.path}: ${l.path.startsWith('journal:') ? `last ${l.argv?.[4] ?? '?'} lines` : `last ${formatBytes(Math.min(l.size ?? 0, LOG_TAIL_MAX_BYTES))}${l.size !== undefined ? ` of ${formatBytes(l.size)}` : ''}`} (${l.from})`,
      )
      const latest = latestLogCase(ev)
      const agentRec = agentLogs.find((l) => l.state === 'present')
      if (!latest) {
        const answers = answersAfter(agentRec, 0)
        return pass(
          answers.size > 0
            ? `no known failure in the logs' window; the agent answered ${statusList(answers)}`
            : "no known failure in the logs' window (and no answer logged in it)",
          where,
        )
      }
      const {meaning, fix} = explain(ev, spec, latest)
      // the answers after it in the same log (Nova's log has none the agent gave)
      const since = answersAfter(
        agentLogs.find((l) => l.path === latest.file && l.state === 'present'),
        latest.hit.line,
      )
      const evidence = [`${latest.cite}: ${latest.text}`, ...(latest.also ? [`${latest.also.cite}: ${latest.also.text}`] : []), ...where]
      const when = latest.at !== undefined ? ` at ${latest.at}` : ''
      const after = since.size > 0 ? `; since then the agent answered ${statusList(since)}` : ''
      return warn(`logged${when} (${latest.cite}): ${meaning}${after}`, evidence, fix)
    },
    title: `the ${agent}'s log (and Nova metadata's, when on this node) holds no known failure in its last ${formatBytes(LOG_TAIL_MAX_BYTES)} (warns only)`,
    warnOnly: true,
  }
}
