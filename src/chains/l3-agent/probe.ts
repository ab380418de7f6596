/**
 * l3.probe (with --probe): one GET inside the router's namespace to its proxy, carrying the mark the
 * router's mangle rule gives an instance's request, so it passes the filter as that request does and
 * reaches the same proxy, metadata agent and Nova. (A request made inside the namespace does not
 * cross nat PREROUTING: the redirect itself is judged by l3.redirect.)
 */
import {clip, shq} from '../common/text.js'
import {bodyText} from '../common/http.js'
import {type Check, cmd, fail, notAsked, notHere, pass, skip} from '../types.js'
import {read503} from '../common/upstream.js'
import {metadataNetworkPort, viaMetadataNetwork} from './mdnet.js'
import {restartL3Agent} from './restart.js'

export const l3Probe: Check = {
  id: 'l3.probe',
  needs: ['l3.ha'],
  title: "with --probe: a GET inside the router's namespace, marked as an instance's request, reaches the proxy and gets an answer",
  run(ev, ctx) {
    const mdnet = metadataNetworkPort(ev)
    if (mdnet) return notHere(`the router has no proxy of its own to probe: ${viaMetadataNetwork(mdnet)}`)
    if (!ctx.probe || !ev.probe) return notAsked("not run (add --probe to send one GET to the proxy inside the router's namespace)")
    const p = ev.probe
    const text = p.body === undefined ? undefined : bodyText(p.body) || undefined
    const evidence = [`${p.argv.join(' ')}: ${p.status === undefined ? p.error : `HTTP ${p.status}`}${p.ms === undefined ? '' : ` in ${p.ms} ms`}`]
    if (text !== undefined && p.status !== 200) evidence.push(`body: ${JSON.stringify(clip(text, 200))}`)
    if (p.status === 200) return pass(`GET ${p.url} inside ${ev.namespace} answered 200`, evidence)
    if (p.status === 404)
      return pass(
        `GET ${p.url} inside ${ev.namespace} answered 404: the proxy, the metadata agent and Nova answer (the namespace's address is no instance's)`,
        evidence,
      )
    if (p.status === 503) {
      const r = read503(ev, text)
      // the DHCP chain's reading of a 503, its link names swapped for this chain's
      return fail(`GET ${p.url} inside ${ev.namespace}: 503: ${r.why}`, evidence, read503(ev, text, 'l3.upstream').fix)
    }
    if (p.status === undefined && p.error?.startsWith('cannot probe')) return skip(p.error, evidence)
    const why: Record<string, string> = {
      403: 'the metadata agent and Nova disagree on metadata_proxy_shared_secret',
      500: 'the metadata agent cannot reach Nova (nova_metadata_host), or answered with an error',
      refused: 'nothing listens on the proxy port in the namespace',
      timeout: 'no answer: the filter drops the request (the mark or the accept rule is missing), or the proxy hangs',
    }
    const key = p.status === undefined ? (p.error ?? 'error') : String(p.status)
    return fail(
      `GET ${p.url} inside ${ev.namespace}: ${key}${why[key] ? `: ${why[key]}` : ''}`,
      evidence,
      p.status === undefined
        ? cmd(restartL3Agent(ev), "its full sync re-creates the router's proxy and rules")
        : cmd(
            `grep -E '^[[:space:]]*(nova_metadata_(host|ip|port|protocol)|metadata_proxy_shared_secret)' ${shq(ev.metadataAgentConfig?.path ?? `/etc/${ev.layout}/metadata_agent.ini`)}`,
            "see the failing links above first; 403: metadata_proxy_shared_secret must equal nova.conf's [neutron] one; 500: Nova's metadata API must answer at nova_metadata_host:nova_metadata_port",
          ),
    )
  },
}
