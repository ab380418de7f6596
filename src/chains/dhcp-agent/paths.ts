/** The DHCP agent's namespace names, and its part of the snapshot schema (the common fields are its). */
import type {SnapshotPart} from '../../evidence/snapshot-schema.js'

/** The DHCP agent's namespace of a network. */
export const qdhcpNamespace = (network: string) => `qdhcp-${network}`
/** The DHCP agent's namespace of any network: qdhcp-<network UUID>. */
export const QDHCP_NAMESPACE = /^qdhcp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const DHCP_AGENT_SNAPSHOT: SnapshotPart = {namespace: QDHCP_NAMESPACE, namespaceShown: 'qdhcp-<network UUID>'}
