import {METADATA_IP, processOf, routedMetadata} from './derive.js'
import {type Check, fail, pass, skip} from './types.js'

/** What each answer from inside the namespace means (DOMAIN.md, "What the instance sees"). */
const MEANING: Record<string, string> = {
  403: 'the metadata agent and Nova disagree on metadata_proxy_shared_secret',
  404: '',
  500: 'the metadata agent cannot reach Nova (nova_metadata_host / a leftover nova_metadata_ip), or the Grizzly proxy cannot reach the agent',
  503: 'haproxy has no server: the metadata agent is down or its socket path differs',
  refused: 'nothing listens on port 80: the proxy is not running or not bound',
  timeout: 'no answer: the address or route is missing',
}

export const probeHttp: Check = {
  id: 'probe.http',
  needs: ['namespace.exists'],
  run(ev, ctx) {
    if (!ctx.probe || !ev.probe) return skip('not run (add --probe to send one GET from inside the namespace)')
    const p = ev.probe
    if (p.status === undefined && routedMetadata(ev) && !processOf(ev, 'proxy')) {
      return skip(`no answer from inside ${ev.namespace} (${p.error}), as expected: the router serves metadata for this network, not the DHCP port (see opts.metadata-route)`, [
        `${p.argv.join(' ')}: ${p.error}`,
      ])
    }
    const evidence = [`${p.argv.join(' ')}: ${p.status === undefined ? p.error : `HTTP ${p.status}`}${p.ms === undefined ? '' : ` in ${p.ms} ms`}`]
    if (p.status === 200) return pass(`GET http://${METADATA_IP}/ from inside ${ev.namespace} answered 200`, evidence)
    if (p.status === 404) {
      return pass(`GET from inside ${ev.namespace} answered 404: proxy and metadata agent answer (the namespace's own address is no instance's port)`, evidence)
    }
    const key = p.status === undefined ? p.error ?? 'error' : String(p.status)
    const why = MEANING[key] ?? (p.status === undefined ? p.error ?? 'no answer' : `HTTP ${p.status}`)
    return fail(`GET http://${METADATA_IP}/ from inside ${ev.namespace}: ${key}: ${why}`, evidence, 'see the failing links above; for 403/500 compare metadata_agent.ini with nova.conf [neutron]')
  },
}
