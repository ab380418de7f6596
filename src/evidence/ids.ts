/** The one spelling of a UUID (network, subnet, port ids: Grizzly's too), and of a DHCP namespace name. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const QDHCP_NAMESPACE = /^qdhcp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** ML2/OVN's metadata namespace of a network: ovnmeta-<network UUID>. */
export const OVNMETA_NAMESPACE = /^ovnmeta-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A router's namespace (the L3 agent makes it): qrouter-<router UUID>. */
export const QROUTER_NAMESPACE = /^qrouter-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
