/**
 * The chains, one per way Neutron serves metadata, each a plugin in its own folder (its collector,
 * its checks in chain order, its part of the snapshot: src/chains/module.ts ChainModule). A new chain
 * is one new folder and one line here; nothing else names a chain.
 */
import type {BackendName} from '../evidence/evidence.js'
import {NEUTRON_PATHS} from './common/api.js'
import {dhcpAgent} from './dhcp-agent/index.js'
import {l3Agent} from './l3-agent/index.js'
import {ovn} from './ovn/index.js'
import type {ChainModule} from './module.js'
import type {Check} from './types.js'

export const CHAINS: readonly ChainModule[] = [dhcpAgent, ovn, l3Agent]

/** The chain of evidence without a `backend` field (snapshots written before chains had names) and of nodes that show none. */
export const DEFAULT_CHAIN: ChainModule = dhcpAgent

/** The chain a network's evidence belongs to: its `backend` field, else the default chain's. */
export const backendOf = (ev: {backend?: BackendName}): BackendName => ev.backend ?? DEFAULT_CHAIN.backend

/** The chain that judges a backend's evidence; undefined when this version has none for it. */
export const chainFor = (backend: BackendName): ChainModule | undefined => CHAINS.find((c) => c.backend === backend)

/** Every check of every chain (the ids --check accepts, the list --list-checks prints). */
export const ALL_CHECKS: readonly Check[] = CHAINS.flatMap((c) => c.checks)

/** The API answers kept for a network (collect --api, --hosts-from-api): its own, its subnets, its ports, and what each chain adds. */
export const networkApiPaths = (network: string): string[] => [
  NEUTRON_PATHS.network(network),
  NEUTRON_PATHS.subnets(network),
  NEUTRON_PATHS.ports(network),
  ...CHAINS.flatMap((c) => c.apiPaths?.(network) ?? []),
]
