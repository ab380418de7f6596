/**
 * Facts several checks read, derived (purely) from the raw evidence: the DHCP device and its
 * addresses, the dnsmasq and proxy processes and their arguments. (What the other chains read too is
 * in ../common/: the DHCP device and the opts file's metadata routes are ../common/routed.ts's,
 * re-exported here.)
 */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {type DnsmasqArgs, parseDnsmasqArgs} from '../../parse/dnsmasq.js'
import {restart, type Scope} from '../../deployments/registry.js'
import {processArgs, processOf} from '../common/evidence.js'
import {routedMetadata} from '../common/routed.js'
import {metadataVerdict, readSettings} from '../../config/dhcp-agent.js'
import {parseIni} from '../../config/oslo-ini.js'

/** The command that restarts the DHCP agent where the evidence was taken (the fix for most node-side links): its deployment's. */
export const restartAgent = (ev: Scope) => restart(ev, 'dhcp-agent')

export {restartMetadataAgent, upstreamDownAnswer} from '../common/upstream.js'
export {type DhcpDevice, dhcpDevice, metadataHops, routedMetadata} from '../common/routed.js'

export function dnsmasqArgs(ev: NetworkEvidence): DnsmasqArgs | undefined {
  const p = processOf(ev, 'dnsmasq')
  const args = p?.alive ? processArgs(p) : undefined
  return args ? parseDnsmasqArgs(args.slice(1)) : undefined
}

export function pidFromFile(content: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(content ?? '')
  return m ? Number(m[1]) : undefined
}

/** force_metadata = True (and a valid setting) in the agent config: then every network, routed or not, gets its route via the DHCP port. */
export function forceMetadata(ev: NetworkEvidence): boolean {
  try {
    const settings = readSettings(parseIni(ev.config.content ?? ''))
    return settings.force_metadata.value === true && metadataVerdict(settings).valid
  } catch {
    return false
  }
}

/** The network's metadata goes via its router here (a router holds each subnet's gateway, force_metadata off): the router's chain serves it. */
export const servedByRouter = (ev: NetworkEvidence): boolean => routedMetadata(ev) !== undefined && !forceMetadata(ev)
