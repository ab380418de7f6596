/** The names the L3 agent gives its things on a node: its namespaces, its programs, its config. */

/** A router's namespace (the L3 agent makes it): qrouter-<router UUID>. */
export const QROUTER_NAMESPACE = /^qrouter-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The namespace of router `router` on a node that serves it. */
export const routerNamespace = (router: string) => `qrouter-${router}`

/** Where the L3 agent's config is when installed from packages (Neutron, then Grizzly's Quantum). */
export const L3_AGENT_CONFIGS = ['/etc/neutron/l3_agent.ini', '/etc/quantum/l3_agent.ini'] as const

/** A --config-file that is the L3 agent's, told by its name. */
export const isL3AgentConfig = (path: string) => /(^|\/)l3_agent\.ini$/.test(path)
