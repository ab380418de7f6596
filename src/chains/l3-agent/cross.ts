/**
 * What only several hosts of a routed network show: an HA router is served by exactly one keepalived
 * master (cross.l3-ha-master). None: nothing serves the network's metadata; two: both answer for the
 * gateway (split brain), and instances reach either.
 */
import {clip, onHost, shq} from '../common/text.js'
import type {Finding} from '../types.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {serverText} from '../../openstack/server-text.js'
import {haRole} from './facts.js'
import {restartL3Agent} from './restart.js'

/** Given the hosts whose evidence is this chain's (the fleet hands each chain its own). */
export function l3CrossFindings(hosts: readonly {host: string; ev: NetworkEvidence}[]): Finding[] {
  const byRouter = new Map<string, {host: string; ev: NetworkEvidence}[]>()
  for (const h of hosts) {
    const id = h.ev.router?.id
    if (id !== undefined) byRouter.set(id, [...(byRouter.get(id) ?? []), h])
  }
  const out: Finding[] = []
  for (const [router, hs] of byRouter) {
    const states = hs.map((h) => ({h, state: h.ev.router?.haState}))
    const ha = states.filter((s) => s.state?.state === 'present' && s.state.content !== undefined)
    if (ha.length === 0) continue
    const role = (s: (typeof ha)[number]) => haRole(s.state!.content!)
    const evidence = ha.map((s) => `${serverText(s.h.host, 100)}: ${s.state!.path}: ${clip(s.state!.content!.trim(), 40)}`)
    const masters = ha.filter((s) => role(s) === 'master')
    const id = 'cross.l3-ha-master'
    if (masters.length === 1) {
      out.push({evidence, id, status: 'pass', summary: `${serverText(masters[0].h.host, 100)} is the one master of HA router ${router}`})
    } else if (masters.length === 0) {
      out.push({
        evidence,
        fix: {
          command: hs.map((h) => onHost(h.host, `ip netns exec ${shq(`qrouter-${router}`)} ip link`)).join('; '),
          why: `on each host, the ha- device must be up on the HA network; then ${restartL3Agent(hs[0].ev)} there`,
        },
        id,
        status: 'fail',
        summary: `no host is the master of HA router ${router} (${ha.length} seen): none serves the network's metadata`,
      })
    } else {
      out.push({
        evidence,
        fix: {
          command: onHost(masters[1].h.host, restartL3Agent(masters[1].h.ev)),
          why: `on ${serverText(masters[1].h.host, 100)}: keepalived there rejoins as backup once it hears the other master on the HA network`,
        },
        id,
        status: 'fail',
        summary: `${masters.map((m) => serverText(m.h.host, 100)).join(' and ')} are all master of HA router ${router}: both hold the gateway (the HA network between them is cut)`,
      })
    }
  }
  return out
}
