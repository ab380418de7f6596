/**
 * The chains, one per way Neutron serves metadata, each in its own room (collector + checks in chain
 * order). A new backend is one new room and one entry here.
 */
import type {BackendName} from '../evidence/evidence.js'
import type {Check} from './types.js'
import {DHCP_AGENT_CHECKS} from './dhcp-agent/chain.js'
import {OVN_CHECKS} from './ovn/chain.js'

export interface Chain {
  backend: BackendName
  /** one line naming the chain (--list-checks) */
  title: string
  /** in chain order: the first failing link is the first one read */
  checks: readonly Check[]
}

export const CHAINS: readonly Chain[] = [
  {
    backend: 'dhcp-agent',
    checks: DHCP_AGENT_CHECKS,
    title: "dhcp-agent: the DHCP agent's isolated metadata (qdhcp-NET namespace, dnsmasq, proxy, metadata agent)",
  },
  {backend: 'ovn', checks: OVN_CHECKS, title: 'ovn: ML2/OVN (neutron-ovn-metadata-agent, OVN DHCP, ovnmeta-NET namespace, haproxy)'},
]

/** The chain that judges a backend's evidence; undefined when this version has none for it. */
export const chainFor = (backend: BackendName): Chain | undefined => CHAINS.find((c) => c.backend === backend)

/** Every check of every chain (the ids --check accepts, the list --list-checks prints). */
export const ALL_CHECKS: readonly Check[] = CHAINS.flatMap((c) => c.checks)
