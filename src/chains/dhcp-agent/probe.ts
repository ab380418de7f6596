import {METADATA_IP} from '../common/net.js'
import {clip, shq} from '../common/text.js'
import {processOf} from '../common/evidence.js'
import {routedMetadata} from './facts.js'
import {read503} from '../common/upstream.js'
import {bodyText} from '../common/http.js'
import {type Check, cmd, fail, notAsked, notHere, pass} from '../types.js'

/** What each answer from inside the namespace means (DOMAIN.md, "What the instance sees"). 503 depends on the body: see read503. */
const MEANING: Record<string, string> = {
  403: 'the metadata agent and Nova disagree on metadata_proxy_shared_secret',
  404: '',
  500: 'the metadata agent cannot reach Nova (nova_metadata_host / a leftover nova_metadata_ip), or the Grizzly proxy cannot reach the agent',
  refused: 'nothing listens on port 80: the proxy is not running or not bound',
  timeout: 'no answer: the address or route is missing',
}

export const probeHttp: Check = {
  id: 'probe.http',
  needs: ['namespace.exists'],
  title: 'with --probe: GET http://169.254.169.254/ from inside the namespace answers',
  run(ev, ctx) {
    if (!ctx.probe || !ev.probe) return notAsked('not run (add --probe to send one GET from inside the namespace)')
    const p = ev.probe
    if (p.status === undefined && routedMetadata(ev) && !processOf(ev, 'proxy')) {
      return notHere(
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
      cmd(
        `grep -E '^[[:space:]]*(nova_metadata_(host|ip|port|protocol)|metadata_proxy_shared_secret)' ${shq(ev.metadataAgentConfig?.path ?? `/etc/${ev.layout}/metadata_agent.ini`)}`,
        "see the failing links above first; 403: metadata_proxy_shared_secret must equal nova.conf's [neutron] one; 500: Nova's metadata API must answer at nova_metadata_host:nova_metadata_port",
      ),
    )
  },
}
