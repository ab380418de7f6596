/**
 * The link every proxy chain ends in: the metadata agent's UNIX socket the proxy forwards to (the DHCP
 * agent's proxy and the L3 agent's router proxy forward to the same one), judged the same way for both.
 */
import {IniSyntaxError, effective, parseIni} from '../../config/oslo-ini.js'
import {restart, type Scope} from '../../deployments/registry.js'
import type {FileRecord, NetworkEvidence} from '../../evidence/evidence.js'
import type {LayoutName} from '../../layout.js'
import {type Finding, type Fix, cmd, fail, pass, skip, warn} from '../types.js'
import {notInEvidence} from './evidence.js'
import {AGENT_NOVA_UNREACHABLE, HAPROXY_NO_SERVER} from './http.js'
import {clip, shq} from './text.js'

/** The command that restarts the metadata agent where the evidence was taken (every proxy chain forwards to it). */
export const restartMetadataAgent = (ev: Scope) => restart(ev, 'metadata-agent')

/** What instances get when the proxy cannot reach the metadata agent's socket. */
export const upstreamDownAnswer = (layout: LayoutName) => (layout === 'quantum' ? '500 from the Grizzly proxy' : '503 from haproxy')

/** The socket `sock` as the proxy of `agent` (DHCP, L3) forwards to it. */
export function upstreamFinding(sock: FileRecord, scope: Scope, agent: string): Omit<Finding, 'id'> {
  const fix = cmd(restartMetadataAgent(scope), `it creates ${sock.path}; the ${agent} and metadata agents must agree on metadata_proxy_socket and state_path`)
  const answer = upstreamDownAnswer(scope.layout)
  if (sock.state === 'not-collected') return skip(notInEvidence(sock))
  if (sock.state === 'missing')
    return fail(`the proxy forwards to ${sock.path}, which does not exist: instances get ${answer}`, [`${sock.path}: no such file`], fix)
  if (sock.state === 'error') return fail(`cannot inspect ${sock.path}: ${sock.error}`, [], fix)
  if (sock.type !== 'socket') return fail(`${sock.path} is a ${sock.type}, not a UNIX socket: instances get ${answer}`, [`${sock.path}: ${sock.type}`], fix)
  if (sock.connect === 'EAGAIN') {
    return warn(
      `something listens on ${sock.path} but left its accept queue full for ${sock.busyMs ?? 'a'} ms (EAGAIN): the metadata agent is overloaded or hung, and instances wait or get ${answer}`,
      [`${sock.path}: socket, connect: EAGAIN for ${sock.busyMs ?? '?'} ms`],
      fix,
    )
  }
  if (sock.connect && sock.connect !== 'ok') {
    return fail(
      `nothing accepts connections on ${sock.path} (${sock.connect}): instances get ${answer}`,
      [`${sock.path}: socket, connect: ${sock.connect}`],
      fix,
    )
  }
  const busy = sock.busyMs === undefined ? '' : ` after ${sock.busyMs} ms of EAGAIN (accept queue full)`
  // no connect() in the evidence (an older snapshot; a sosreport, where a listener was seen in its netstat/ss):
  // the socket is there, whether it accepts connections is not known
  if (!sock.connect) return pass(`the metadata agent socket ${sock.path} exists (no connection to it is recorded in the evidence)`, [`${sock.path}: socket`])
  return pass(`the metadata agent socket ${sock.path} accepts connections${busy}`, [`${sock.path}: socket, connect: ${sock.connect}${busy}`])
}

/** Where the metadata agent asks Nova, from its metadata_agent.ini (defaults: http, 127.0.0.1, 8775). */
function novaUrl(ev: NetworkEvidence): string | undefined {
  const file = ev.metadataAgentConfig
  if (file?.state !== 'present' || file.content === undefined) return undefined
  try {
    const ini = parseIni(file.content)
    const get = (k: string) => effective(ini, 'DEFAULT', k)?.value || undefined
    const host = get(ev.layout === 'quantum' ? 'nova_metadata_ip' : 'nova_metadata_host') ?? '127.0.0.1'
    const proto = get('nova_metadata_protocol') ?? 'http'
    return clip(`${proto}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${get('nova_metadata_port') ?? '8775'}`, 120)
  } catch (error) {
    if (error instanceof IniSyntaxError) return undefined
    throw error
  }
}

/** Whose 503 this is, by its body: haproxy's (no server), the metadata agent's (no Nova), or unknown. */
export function read503(ev: NetworkEvidence, text: string | undefined, links = 'proxy.upstream and metadata-agent.config'): {why: string; fix: Fix} {
  const restart = restartMetadataAgent(ev)
  const ini = ev.metadataAgentConfig?.path ?? `/etc/${ev.layout}/metadata_agent.ini`
  const novaSettings = `grep -E '^[[:space:]]*nova_metadata_(host|ip|port|protocol)' ${shq(ini)}`
  if (text?.includes(HAPROXY_NO_SERVER)) {
    return {
      fix: cmd(restart, `the agent re-creates its socket; and see ${links}: the socket haproxy forwards to must be the one the agent listens on`),
      why: "haproxy has no server: the proxy cannot reach the metadata agent's socket (the agent is down or its socket path differs)",
    }
  }
  if (text?.includes(AGENT_NOVA_UNREACHABLE)) {
    const url = novaUrl(ev)
    return {
      fix: cmd(
        url ? `curl -sS -m 5 ${shq(`${url}/`)}` : novaSettings,
        `Nova's metadata API (nova_metadata_host / nova_metadata_port in [DEFAULT] of ${ini}) must answer from this node: nova-api-metadata (or nova-api with metadata in enabled_apis) runs there; after a change to ${ini}: ${restart}`,
      ),
      why: `the metadata agent answers but cannot reach Nova's metadata API${url ? ` at ${url}` : ''} (nova_metadata_host / nova_metadata_port; Neutron 24.0.1 on)`,
    }
  }
  return {
    fix: cmd(novaSettings, `see ${links} first; if they pass, Nova's metadata API must answer where these settings point`),
    why: `${text ? "a body neither haproxy's nor the metadata agent's" : 'no body recorded'}: either haproxy has no server (the metadata agent is down or its socket path differs), or the metadata agent (Neutron 24.0.1 on) cannot reach Nova's metadata API (nova_metadata_host / nova_metadata_port) or passes on Nova's own 503`,
  }
}
