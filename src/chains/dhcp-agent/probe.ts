import {IniSyntaxError, effective, parseIni} from '../../config/oslo-ini.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {METADATA_IP} from '../common/net.js'
import {clip} from '../common/text.js'
import {processOf} from '../common/evidence.js'
import {restartMetadataAgent, routedMetadata} from './facts.js'
import {AGENT_NOVA_UNREACHABLE, bodyText, HAPROXY_NO_SERVER} from '../common/http.js'
import {type Check, fail, pass, skip} from '../types.js'

/** What each answer from inside the namespace means (DOMAIN.md, "What the instance sees"). 503 depends on the body: see read503. */
const MEANING: Record<string, string> = {
  403: 'the metadata agent and Nova disagree on metadata_proxy_shared_secret',
  404: '',
  500: 'the metadata agent cannot reach Nova (nova_metadata_host / a leftover nova_metadata_ip), or the Grizzly proxy cannot reach the agent',
  refused: 'nothing listens on port 80: the proxy is not running or not bound',
  timeout: 'no answer: the address or route is missing',
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
export function read503(ev: NetworkEvidence, text: string | undefined): {why: string; fix: string} {
  const restart = restartMetadataAgent(ev)
  const ini = ev.metadataAgentConfig?.path ?? "the metadata agent's metadata_agent.ini"
  if (text?.includes(HAPROXY_NO_SERVER)) {
    return {
      fix: `${restart}    (and see proxy.upstream and metadata-agent.config: the socket haproxy forwards to must be the one the agent listens on)`,
      why: "haproxy has no server: the proxy cannot reach the metadata agent's socket (the agent is down or its socket path differs)",
    }
  }
  if (text?.includes(AGENT_NOVA_UNREACHABLE)) {
    const url = novaUrl(ev)
    return {
      fix: `check nova_metadata_host and nova_metadata_port in [DEFAULT] of ${ini}${url ? ` (now ${url})` : ''}, and that nova-api-metadata (or nova-api with metadata in enabled_apis) runs there and is reachable from this node; then ${restart}`,
      why: `the metadata agent answers but cannot reach Nova's metadata API${url ? ` at ${url}` : ''} (nova_metadata_host / nova_metadata_port; Neutron 24.0.1 on)`,
    }
  }
  return {
    fix: `see proxy.upstream and metadata-agent.config; if they pass, check nova_metadata_host / nova_metadata_port in ${ini} and that Nova's metadata API answers there`,
    why: `${text ? "a body neither haproxy's nor the metadata agent's" : 'no body recorded'}: either haproxy has no server (the metadata agent is down or its socket path differs), or the metadata agent (Neutron 24.0.1 on) cannot reach Nova's metadata API (nova_metadata_host / nova_metadata_port) or passes on Nova's own 503`,
  }
}

export const probeHttp: Check = {
  id: 'probe.http',
  needs: ['namespace.exists'],
  title: 'with --probe: GET http://169.254.169.254/ from inside the namespace answers',
  run(ev, ctx) {
    if (!ctx.probe || !ev.probe) return skip('not run (add --probe to send one GET from inside the namespace)')
    const p = ev.probe
    if (p.status === undefined && routedMetadata(ev) && !processOf(ev, 'proxy')) {
      return skip(
        `no answer from inside ${ev.namespace} (${p.error}), as expected: the router serves metadata for this network, not the DHCP port (see opts.metadata-route)`,
        [`${p.argv.join(' ')}: ${p.error}`],
      )
    }
    const text = p.body === undefined ? undefined : bodyText(p.body) || undefined
    const evidence = [`${p.argv.join(' ')}: ${p.status === undefined ? p.error : `HTTP ${p.status}`}${p.ms === undefined ? '' : ` in ${p.ms} ms`}`]
    if (text !== undefined && p.status !== 200) evidence.push(`body: ${JSON.stringify(clip(text, 200))}`)
    if (p.status === 200) return pass(`GET http://${METADATA_IP}/ from inside ${ev.namespace} answered 200`, evidence)
    if (p.status === 404) {
      return pass(`GET from inside ${ev.namespace} answered 404: proxy and metadata agent answer (the namespace's own address is no instance's port)`, evidence)
    }
    const key = p.status === undefined ? (p.error ?? 'error') : String(p.status)
    if (p.status === 503) {
      const r = read503(ev, text)
      return fail(`GET http://${METADATA_IP}/ from inside ${ev.namespace}: 503: ${r.why}`, evidence, r.fix)
    }
    const why = MEANING[key] ?? (p.status === undefined ? (p.error ?? 'no answer') : `HTTP ${p.status}`)
    return fail(
      `GET http://${METADATA_IP}/ from inside ${ev.namespace}: ${key}: ${why}`,
      evidence,
      'see the failing links above; for 403/500 compare metadata_agent.ini with nova.conf [neutron]',
    )
  },
}
