/** The DHCP agent's namespace names, and its part of the snapshot schema (the common fields are its). */
import type {SnapshotPart} from '../../evidence/snapshot-schema.js'

/** The DHCP agent's namespace of a network. */
export const qdhcpNamespace = (network: string) => `qdhcp-${network}`
/** The DHCP agent's namespace of any network: qdhcp-<network UUID>. */
export const QDHCP_NAMESPACE = /^qdhcp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The network ids of the qdhcp-<uuid> namespaces of a namespace list. */
export const qdhcpNetworksIn = (names: readonly string[]) => names.filter((n) => QDHCP_NAMESPACE.test(n)).map((n) => n.slice('qdhcp-'.length).toLowerCase())

export const DHCP_AGENT_SNAPSHOT: SnapshotPart = {namespace: QDHCP_NAMESPACE, namespaceShown: 'qdhcp-<network UUID>'}
