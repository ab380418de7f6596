/**
 * Past the metadata agent, for every chain: Nova's config against the agent's (nova.config), Nova's
 * metadata API reached the agent's way (nova.reach, --probe) and the agent asked as an instance
 * (nova.answer, --probe-as IP). What each answer means, by release: ../shared/reference/containers-nova.md
 * sections 3 and 4, and the real Zed agent with Nova 26.2.2 (the lab's "Cases" table):
 * - the instance gets the agent's own page, not Nova's: 403 "Access was denied to this resource.";
 * - every connection failure is a 500 on Zed ("An unknown error has occurred"), a 503 from 24.0.1 on
 *   ("The remote metadata server is temporarily unavailable.");
 * - 404: no port with that address (the agent asks nothing of Nova), Nova's service_metadata_proxy off,
 *   the port's project not the instance's, or an instance Nova does not know.
 */
import {novaSide} from '../../config/nova.js'
import {deploymentOf} from '../../deployments/registry.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {type Check, cmd, conf, fail, type Fix, notAsked, pass, skip, warn} from '../types.js'
import {isObj, list} from './api.js'
import {AGENT_NOVA_UNREACHABLE} from './http.js'
import {clip, shq} from './text.js'
import {restartMetadataAgent} from './upstream.js'

/** The agent's config file the settings came from (for fixes), as the evidence names it. */
const agentFile = (ev: NetworkEvidence) => ev.nova?.agent?.file ?? ev.metadataAgentConfig?.path ?? `/etc/${ev.layout}/metadata_agent.ini`
/** Nova's config as the evidence names it, or the words for it. */
const novaFile = (ev: NetworkEvidence) => ev.nova?.config?.path ?? "nova.conf of Nova's metadata API"
const novaSecretOption = (ev: NetworkEvidence) =>
  ev.layout === 'quantum' ? '[DEFAULT] quantum_metadata_proxy_shared_secret' : '[neutron] metadata_proxy_shared_secret'
const novaUrlOf = (ev: NetworkEvidence) => {
  const a = ev.nova?.agent
  return a ? `${a.protocol}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` : undefined
}
/** Nova's restart, in words (Nova is no service of the deployment registry yet). */
const NOVA_RESTART = "restart Nova's metadata API (nova-api-metadata, or the nova_metadata / nova_api container)"

/** A fix that shows both secrets' lines (the operator sees the values on their own console; this tool prints neither). */
function secretFix(ev: NetworkEvidence): Fix {
  const files = [agentFile(ev), ...(ev.nova?.config ? [ev.nova.config.path] : [])]
  return cmd(
    `grep -nE '^[[:space:]]*((quantum|neutron)_)?metadata_proxy_shared_secret' ${files.map(shq).join(' ')}`,
    `metadata_proxy_shared_secret in [DEFAULT] of ${agentFile(ev)} must equal ${novaSecretOption(ev)} in ${novaFile(ev)}; set one value in both (openssl rand -hex 32 makes one), then ${restartMetadataAgent(ev)} and ${NOVA_RESTART}`,
  )
}

export const novaConfig: Check = {
  id: 'nova.config',
  needs: [],
  title: "Nova's config, when it is on this node or given (--nova-config): service_metadata_proxy on, the agent's shared secret, no proxy-headers trap",
  run(ev) {
    const rec = ev.nova?.config
    if (!rec) return notAsked("Nova's config is not on this node (no Nova metadata API runs here): give --nova-config FILE on a node that has it, to compare")
    const from = ev.nova?.configFrom ? ` (${ev.nova.configFrom})` : ''
    if (rec.state !== 'present' || rec.content === undefined) return skip(`cannot read Nova's config ${rec.path}${from}: ${rec.error ?? rec.state}`)
    const side = novaSide({content: rec.content, path: rec.path}, ev.layout)
    const evidence = [`Nova's config: ${rec.path}${from}`, ...[side.proxyAt, side.secretAt, side.proxyHeadersAt].filter((x): x is string => x !== undefined)]
    if (side.error)
      return fail(`oslo.config cannot read ${rec.path}: ${side.error}`, evidence, cmd(`"\${EDITOR:-vi}" ${shq(rec.path)}`, `correct it; then ${NOVA_RESTART}`))
    const proxyName = `[${side.proxyOption.section}] ${side.proxyOption.key}`
    const proxyFix = conf(
      rec.path,
      side.proxyOption.section,
      `${side.proxyOption.key} = true`,
      `Nova then trusts the metadata agent's signed X-Instance-ID; then ${NOVA_RESTART}`,
    )
    if (side.proxy !== true) {
      const state = side.proxy === false ? 'is off' : `is not set (Nova's default is False)`
      evidence.push(...(side.proxyAt ? [] : [`${rec.path}: no ${proxyName}`]))
      if (side.proxyHeaders === true)
        return warn(
          `${proxyName} ${state}, but enable_proxy_headers_parsing is on: Nova ignores the agent's signed instance id and finds the instance by X-Forwarded-For, so instances with unique addresses get 200, overlapping ones 500, and anything that reaches Nova can name any address`,
          evidence,
          proxyFix,
        )
      return fail(
        `${proxyName} ${state}: Nova ignores the metadata agent's X-Instance-ID and looks the caller up by the agent's own address: instances get 404`,
        evidence,
        proxyFix,
      )
    }
    if (ev.nova?.secrets === 'differ') {
      evidence.push(`${agentFile(ev)}: metadata_proxy_shared_secret and ${rec.path}: ${side.secretOption.key}: compared here, differ (neither printed)`)
      return fail(
        `the metadata agent's metadata_proxy_shared_secret (${agentFile(ev)}) differs from Nova's [${side.secretOption.section}] ${side.secretOption.key} (${rec.path}): Nova rejects every signature, instances get 403`,
        evidence,
        secretFix(ev),
      )
    }
    if (ev.nova?.secrets === 'equal') evidence.push(`metadata_proxy_shared_secret of ${agentFile(ev)} and ${rec.path}: compared here, equal (neither printed)`)
    else evidence.push(`the agent's secret was not at hand to compare (its config was not read)`)
    if (!side.secretSet && ev.nova?.secrets === 'equal')
      return warn(
        'both shared secrets are empty: signatures match, but anything that reaches Nova can claim any instance',
        evidence,
        cmd(
          'openssl rand -hex 32',
          `a new secret: set it as metadata_proxy_shared_secret in [DEFAULT] of ${agentFile(ev)} and [${side.secretOption.section}] ${side.secretOption.key} of ${rec.path}, then ${restartMetadataAgent(ev)} and ${NOVA_RESTART}`,
        ),
      )
    if (ev.nova?.secrets !== 'equal')
      return skip(`Nova's ${proxyName} is on; the shared secrets could not be compared (the agent's config was not read here)`, evidence)
    return pass(`Nova's ${proxyName} is on and its shared secret equals the metadata agent's`, evidence)
  },
}

/** TLS errors that mean "the certificate is not trusted" (Node's codes). */
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET_ISSUER)|ALTNAME/

export const novaReach: Check = {
  id: 'nova.reach',
  needs: [],
  title: "with --probe: Nova's metadata API answers GET / where and how the metadata agent asks (nova_metadata_host, port, protocol, auth_ca_cert)",
  run(ev, ctx) {
    if (!ctx.probe) return notAsked("not run (add --probe to ask Nova's metadata API the agent's way)")
    const agent = ev.nova?.agent
    const r = ev.nova?.reach
    if (!agent) return skip("the metadata agent's config was not read: where it asks Nova is not known")
    if (!r) return skip('Nova was not asked (not in the evidence)')
    const file = agentFile(ev)
    const restart = restartMetadataAgent(ev)
    const evidence = [
      ...agent.lines,
      `GET ${r.url} from ${r.from}: ${r.status === undefined ? `${r.error}${r.detail ? ` (${clip(r.detail, 160)})` : ''}` : `HTTP ${r.status}`}${r.ms === undefined ? '' : ` in ${r.ms} ms`}`,
    ]
    if (r.otherScheme) evidence.push(`the other scheme on the same port: ${r.otherScheme}`)
    if (r.error === 'not-sent') return skip(`Nova was not asked: ${r.detail ?? 'the agent runs elsewhere'}`, evidence)
    const unreachable = ev.layout === 'quantum' ? 'instances get 500' : 'instances get 500 (503 from Neutron 24.0.1 on)'
    const curl = `curl -sS -m 5 ${shq(r.url)}`
    if (r.status === 200) return pass(`Nova's metadata API answers at ${r.url} the way the agent asks`, evidence)
    if (r.status !== undefined)
      return fail(
        `${r.url} answered ${r.status} to GET /, where Nova's metadata API answers 200 with its versions: nova_metadata_host / nova_metadata_port point at something else (the compute API on 8774 answers 401); ${unreachable}`,
        evidence,
        cmd(curl, `point nova_metadata_host / nova_metadata_port in [DEFAULT] of ${file} at Nova's metadata API (port 8775 by default), then ${restart}`),
      )
    if (r.otherScheme?.startsWith('http ') && agent.protocol === 'https')
      return fail(
        `Nova's metadata API at ${agent.host}:${agent.port} speaks plain HTTP, but the agent asks with https (nova_metadata_protocol): the TLS handshake fails, ${unreachable}`,
        evidence,
        conf(file, 'DEFAULT', 'nova_metadata_protocol = http', `what Nova serves there; then ${restart}`),
      )
    if (r.otherScheme === 'tls' && agent.protocol !== 'https')
      return fail(
        `Nova's metadata API at ${agent.host}:${agent.port} speaks HTTPS, but the agent asks with plain http: Nova closes the connection, ${unreachable}`,
        evidence,
        conf(file, 'DEFAULT', 'nova_metadata_protocol = https', `what Nova serves there; auth_ca_cert must name the CA of its certificate; then ${restart}`),
      )
    if (r.error && CERT_ERRORS.test(r.error))
      return fail(
        `Nova's certificate at ${agent.host}:${agent.port} is not trusted by the agent (${r.error}; auth_ca_cert ${agent.caCert ? `= ${agent.caCert}` : 'is not set'}): ${unreachable}`,
        evidence,
        cmd(
          `openssl s_client -connect ${shq(`${agent.host.includes(':') ? `[${agent.host}]` : agent.host}:${agent.port}`)} -showcerts </dev/null`,
          `shows the chain Nova presents: set auth_ca_cert in [DEFAULT] of ${file} to a file holding the CA that signed it, then ${restart}`,
        ),
      )
    const why: Record<string, string> = {
      EAI_AGAIN: `${agent.host} does not resolve here`,
      ECONNREFUSED: `nothing listens at ${agent.host}:${agent.port} (connection refused): Nova's metadata API is down or elsewhere`,
      EHOSTUNREACH: `no route to ${agent.host} from here`,
      ENETUNREACH: `no route to ${agent.host} from here`,
      ENOTFOUND: `${agent.host} does not resolve here`,
      closed: `${agent.host}:${agent.port} closed the connection without an answer`,
      timeout: `no answer from ${agent.host}:${agent.port} within 5 s (a firewall or a wrong address drops the packets): instances wait and get 504 from the proxy after about 32 s`,
    }
    return fail(
      `${why[r.error ?? ''] ?? `GET ${r.url} failed: ${r.error}`}; ${unreachable}`,
      evidence,
      cmd(
        curl,
        `Nova's metadata API must answer there: start it (nova-api-metadata) or set nova_metadata_host / nova_metadata_port in [DEFAULT] of ${file} to where it runs, then ${restart}`,
      ),
    )
  },
}

/** The ports of the network holding `ip` in the API's answer (undefined: the answer is not in the evidence). */
function portsWithIp(ev: NetworkEvidence, ip: string): {id: string; device_id: string; project: string; owner: string}[] | undefined {
  const ports = list(ev, `/ports?network_id=${ev.network}`, 'ports')
  if (!ports) return undefined
  const s = (x: unknown) => (typeof x === 'string' ? x.slice(0, 100) : '')
  return ports
    .filter((p) => Array.isArray(p.fixed_ips) && p.fixed_ips.some((f) => isObj(f) && f.ip_address === ip))
    .map((p) => ({device_id: s(p.device_id), id: s(p.id), owner: s(p.device_owner), project: s(p.project_id) || s(p.tenant_id)}))
}

export const novaAnswer: Check = {
  id: 'nova.answer',
  needs: [],
  title:
    'with --probe-as IP (or --probe, an instance port picked): the metadata agent, asked as that instance, finds its port, signs its id and Nova answers 200',
  run(ev, ctx) {
    if (!ctx.probe) return notAsked('not run (add --probe-as IP to ask as an instance, or --probe to ask as one the API or the leases show)')
    const a = ev.nova?.asInstance
    if (!a) {
      const why = ev.nova?.asInstanceSkipped
      if (why?.startsWith('no instance port')) return notAsked(`no instance to ask as: ${why}`)
      return skip(`the agent was not asked as an instance: ${why ?? 'not in the evidence'}`)
    }
    const sent = Object.entries(a.headers)
      .filter(([k]) => k.startsWith('X-'))
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')
    const evidence = [
      `${a.method} ${a.path} to ${a.socket} as ${a.ip} (${a.from}; ${sent}): ${a.status === undefined ? a.error : `HTTP ${a.status}`}${a.bytes === undefined ? '' : `, ${a.bytes} bytes`}${a.ms === undefined ? '' : ` in ${a.ms} ms`}`,
    ]
    const page = a.errorBody
      ?.replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
    if (page) evidence.push(`the agent's page: ${JSON.stringify(clip(page, 160))}`)
    const restart = restartMetadataAgent(ev)
    const reach = ev.nova?.reach
    const reachSays =
      reach?.status === 200
        ? `Nova's metadata API answers GET / at ${reach.url}`
        : reach
          ? `GET ${reach.url}: ${reach.error ?? `HTTP ${reach.status}`} (see nova.reach)`
          : undefined
    if (reachSays) evidence.push(reachSays)
    if (a.status === 200)
      return pass(
        `asked as ${a.ip}, the metadata agent found the port, signed its instance id and Nova answered 200: the chain works to Nova for this instance`,
        evidence,
      )
    if (a.status === 403) {
      const files = ev.nova?.secrets === 'equal' ? ` (the two files agree now: the agent or Nova runs with an older value until restarted)` : ''
      return fail(
        `asked as ${a.ip}: 403, Nova rejects the agent's signature: metadata_proxy_shared_secret in [DEFAULT] of ${agentFile(ev)} and ${novaSecretOption(ev)} in ${novaFile(ev)} differ${files}`,
        evidence,
        secretFix(ev),
      )
    }
    if (a.status === 404) {
      const ports = portsWithIp(ev, a.ip)
      if (ports && ports.length === 0)
        return fail(
          `asked as ${a.ip}: 404, no port of network ${ev.network} has ${a.ip} (the API's ports), so the agent finds no instance and asks Nova nothing`,
          [...evidence, `the API's ports of ${ev.network}: none with ${a.ip}`],
          cmd(
            `openstack port list --network ${shq(ev.network)} --fixed-ip ${shq(`ip-address=${a.ip}`)} --long`,
            'the instance must hold a port of this network with that address (the address asked as must be its fixed IP, not a floating IP)',
          ),
        )
      if (ports && ports.length > 1)
        return fail(
          `asked as ${a.ip}: 404, ${ports.length} ports of network ${ev.network} hold ${a.ip}: the agent needs exactly one`,
          [...evidence, ...ports.map((p) => `port ${p.id}: device ${p.device_id || '(none)'} (${p.owner || 'no owner'})`)],
          cmd(
            `openstack port list --network ${shq(ev.network)} --fixed-ip ${shq(`ip-address=${a.ip}`)} --long`,
            'remove the stale port (a device_owner of compute:* whose instance is gone)',
          ),
        )
      const port = ports?.[0]
      if (port) evidence.push(`port ${port.id}: device ${port.device_id || '(none)'}, project ${port.project || '?'}`)
      const side = ev.nova?.config?.content === undefined ? undefined : novaSide({content: ev.nova.config.content, path: ev.nova.config.path}, ev.layout)
      if (side && side.proxy !== true && side.error === undefined) {
        const name = `[${side.proxyOption.section}] ${side.proxyOption.key}`
        return fail(
          `asked as ${a.ip}: 404, Nova's ${name} is ${side.proxy === false ? 'off' : 'not set (default False)'} in ${side.file}: Nova ignores the signed instance id`,
          evidence,
          conf(side.file, side.proxyOption.section, `${side.proxyOption.key} = true`, `then ${NOVA_RESTART}`),
        )
      }
      const device = port?.device_id
      return fail(
        `asked as ${a.ip}: 404 from Nova for ${device ? `instance ${device}` : 'the port found'}: Nova does not serve it to this project (the port's project is not the instance's), does not know the instance, or its service_metadata_proxy is off${side ? '' : ` (Nova's config is not here: --nova-config FILE)`}; Nova's metadata log says which ("Tenant_id ... does not match", "Instance mapping ... not found", "service_metadata_proxy option must be enabled")`,
        evidence,
        device
          ? cmd(
              `openstack server show ${shq(device)} -c id -c project_id -c status`,
              `the instance must exist and belong to the port's project${port?.project ? ` (${port.project})` : ''}; else correct the port's device_id, or Nova's [neutron] service_metadata_proxy`,
            )
          : cmd(
              `openstack port list --network ${shq(ev.network)} --fixed-ip ${shq(`ip-address=${a.ip}`)} --long`,
              "the port's device_id must be the instance's id, in the instance's project",
            ),
      )
    }
    if (a.status === 500 || a.status === 503 || a.status === 502 || a.status === 504) {
      const agentPage503 = a.status === 503 && page?.includes(AGENT_NOVA_UNREACHABLE.replace(/\.$/, ''))
      const novaDown = reach && reach.status !== 200
      const what =
        a.status === 502
          ? 'Nova answered with a code the agent does not pass on (Neutron 26.0.0 on: e.g. 401, nova_metadata_host / port name another API)'
          : a.status === 504
            ? 'Nova did not answer in time'
            : a.status === 503 && !agentPage503
              ? "a 503 that is not the agent's own page: Nova's, passed on"
              : novaDown
                ? 'the agent cannot reach Nova'
                : reach?.status === 200
                  ? 'Nova answers GET /, so Nova failed on this instance (its log: "Failed to get metadata for instance id")'
                  : "the agent could not get an answer from Nova: unreachable, a TLS mismatch, or Nova's own error (add --probe to ask Nova the agent's way)"
      return fail(
        `asked as ${a.ip}: ${a.status}, ${what}`,
        evidence,
        novaDown || !reach
          ? cmd(
              `curl -sS -m 5 ${shq(`${novaUrlOf(ev) ?? 'http://127.0.0.1:8775'}/`)}`,
              `Nova's metadata API must answer where [DEFAULT] nova_metadata_host / nova_metadata_port / nova_metadata_protocol of ${agentFile(ev)} say; then ${restart}`,
            )
          : cmd(
              `grep -n 'ERROR' ${shq(deploymentOf(ev).novaMetadata?.logs[0] ?? '/var/log/nova/nova-api-metadata.log')}`,
              `Nova's metadata log (where this deployment keeps it) says why it failed for this instance; then ${NOVA_RESTART}`,
            ),
      )
    }
    if (a.error === 'timeout')
      return fail(
        `asked as ${a.ip}: no answer within ${Math.round((a.timeoutMs ?? 10_000) / 1000)} s: the agent waits on Nova (a black-holed nova_metadata_host); instances get 504 from the proxy after about 32 s`,
        evidence,
        cmd(
          `curl -sS -m 5 ${shq(`${novaUrlOf(ev) ?? 'http://127.0.0.1:8775'}/`)}`,
          `Nova's metadata API must answer at nova_metadata_host:nova_metadata_port of ${agentFile(ev)}; then ${restart}`,
        ),
      )
    if (a.status === undefined)
      return fail(
        `asked as ${a.ip}: the agent's socket ${a.socket} did not answer (${a.error}): the metadata agent is down or its socket is stale`,
        evidence,
        cmd(restart, `it re-creates ${a.socket}`),
      )
    return fail(
      `asked as ${a.ip}: HTTP ${a.status}${a.status === 400 ? ', Nova rejected the request (a header missing, or plain HTTP sent to a TLS port behind Apache)' : a.status === 429 ? ', the rate limit answered' : ''}`,
      evidence,
      cmd(
        `grep -nE '^[[:space:]]*nova_metadata_(host|port|protocol)' ${shq(agentFile(ev))}`,
        `Nova's metadata API must answer where these say; then ${restart}`,
      ),
    )
  },
}

/** The three, in chain order: Nova's config, Nova reached, the instance's answer. */
export const NOVA_CHECKS: readonly Check[] = [novaConfig, novaReach, novaAnswer]
