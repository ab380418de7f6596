/**
 * A chain as a plugin: what each chain's folder exports from its index.ts (ChainModule) and the hooks
 * the generic code calls. The check contract (Check, Finding, CheckContext) is in ./types.ts.
 */
import type {LogService} from './common/log-collect.js'
import type {BackendName, LayoutName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import type {SnapshotPart} from '../evidence/snapshot-schema.js'
import type {NodePaths} from '../layout.js'
import type {NodeView} from '../sources/view.js'
import type {OsFlags} from '../openstack/credentials.js'
import type {ApiRecord, NeutronClient} from '../openstack/neutron.js'
import type {Subnet} from '../openstack/subnet.js'
import type {Obj, Port} from './common/api.js'
import type {AffectedInstance, Check, Finding, HostEvidence, ServesInstead, Status} from './types.js'

/**
 * One way Neutron serves metadata, as a plugin: each chain's folder (src/chains/NAME/index.ts)
 * exports one, and src/chains/registry.ts lists them. Nothing outside a chain's folder names it:
 * the generic code (live collection, waiting for a route, the fleet judge, the renderer) asks the
 * registry's chains through these fields.
 */
export interface ChainModule {
  /** its name: the evidence's `backend`, --backend NAME, the chain of --list-checks */
  backend: BackendName
  /** one line naming the chain (--list-checks) */
  title: string
  /** its words in the help of the flags that name every chain */
  help: {
    /** --all: the networks it serves here (`qdhcp namespaces`) */
    all: string
    /** --backend NAME: what the name stands for (`qdhcp namespaces`) */
    backend: string
    /** --config-file: its agent's config and the default */
    configFile: string
    /** diagnose NET-ID: the network's namespace (`qdhcp-<net-id>`) */
    namespace: string
  }
  /** how a report's heading names the chain (`ML2/OVN`); absent: by the node's layout (`neutron layout`) */
  label?: string
  /** the namespace that serves `network` on a node, when the network alone names it (`qdhcp-NET`) */
  namespaceOf(network: string): string | undefined
  /** its part of the snapshot schema: its namespaces, the fields it adds to a network's evidence */
  snapshot: SnapshotPart
  /** what the other chains' checks say when a node shows this chain's namespace instead of theirs */
  servesInstead?: ServesInstead
  /**
   * the network's evidence shows that a router, not this chain, serves its metadata here (a routed
   * network on a node with a DHCP agent): a chain with `servesRouted` installed here collects it instead
   */
  servedByRouter?(ev: NetworkEvidence): boolean
  /** it serves routed networks (the L3 agent's chain) */
  servesRouted?: boolean
  /** how it is told apart on a live node: diagnose/live.ts nodeBackend walks the chains with these */
  detect: ChainDetect
  /**
   * Collect on this node: one network, or (req.network undefined) every network it serves here, as a
   * snapshot. Throws a QmError when the node cannot be inspected (not root, an unreadable state path).
   */
  collect(req: CollectRequest): Promise<Snapshot>
  /**
   * the networks it serves on a recorded node (a sosreport read through a NodeView): `diagnose
   * --sosreport` judges them by this chain instead of the default chain's (a routed network's router)
   */
  fromRecorded?(view: NodeView, req: {layout: LayoutName; statePath?: string}): Promise<NetworkEvidence[]>
  /** secrets out of its own part of a network's evidence, in place, records shared between networks once per `seen` */
  redact?(ev: NetworkEvidence, seen: WeakSet<object>): void
  /** API answers it reads beyond the network, its subnets and its ports: collect --api records them for every network */
  apiPaths?(network: string): string[]
  /** --hosts-from-api: the hosts the API says serve a network by this chain, and the agents that serve any */
  apiHosts?: ApiHostsHook
  /**
   * past the metadata agent (src/node/nova.ts): the headers this chain's proxy adds to an instance's
   * request (X-Neutron-Network-ID, X-Neutron-Router-ID, X-OVN-Network-ID; undefined: the evidence does
   * not say), and the metadata agent's config files in the order oslo.config reads them
   */
  nova?: {headers(ev: NetworkEvidence): Record<string, string> | undefined; agentConfigs(ev: NetworkEvidence): string[]}
  /** whose log holds what happened past the agent's socket (common/log-collect.ts reads its end once per run) */
  logService?: LogService
  /** in chain order: the first failing link is the first one read */
  checks: readonly Check[]
  /** the metadata route of one network on this node: opts verify checks it once, subnet create --wait waits for it */
  route: RouteHook
  /** a warning about a subnet just created (subnet create), when this chain needs something of it the API did not do */
  subnetWarning?(neutron: NeutronClient, subnet: Subnet): Promise<string | undefined>
  /** findings only several hosts of one network reveal (ids `cross.*`), given the hosts of this chain */
  crossChecks?(network: string, hosts: HostEvidence[]): Finding[]
  /**
   * the agent processes its collection found for a network (their pids and command lines: how the node's
   * deployment is told); undefined when the collection did not look for them
   */
  agentProcesses?(ev: NetworkEvidence): {pid: number; cmdline: string}[] | undefined
  /** the instances a broken host affects (its leases, mapped to ports and devices); undefined when it cannot say */
  affected?(ev: NetworkEvidence, takenAt?: string): AffectedInstance[] | undefined
}

/** How a chain is told apart on a live node (in registry order; the registry's default when none or several say so). */
export interface ChainDetect {
  /** a --config-file that is this chain's agent's, told by its name (absent: it claims none by name) */
  configFile?(path: string): boolean
  /** where its agent's config is, when installed */
  configFiles: readonly string[]
  /** a /proc/PID/cmdline of one of its programs */
  process: RegExp
}

/** What to collect on this node: the operator's flags, as diagnose and collect got them. */
export interface CollectRequest {
  /** one network, or undefined for every network the node serves */
  network?: string
  /** the DHCP agent's paths (layout.ts nodePaths): --config-file and --state-path, else the defaults */
  paths: NodePaths
  /** what the operator gave: --config-file and --state-path (undefined: not given) */
  given?: {configFile?: string; statePath?: string}
  probe: boolean
  /** e.g. quantum-meta/0.1.0, recorded in the snapshot */
  tool?: string
  /** the --os-* flags: a chain that finds its network's serving part through the API (the router) asks it only when `api` and credentials are present */
  os?: OsFlags
  api?: boolean
  /** --agent-host: the agent's host name as the API knows it */
  agentHost?: string
  /** --probe-as IP: ask the metadata agent as the instance with this address */
  probeAs?: string
  /** --nova-config FILE: Nova's config, to compare with the agent's */
  novaConfig?: string
}

/** A chain's metadata route of one network on this node (diagnose/wait.ts). */
export interface RouteHook {
  /** the check that judges the route (its finding is the answer) */
  check: string
  /** the statuses that mean the route is in place: --wait stops waiting */
  inPlace: readonly Status[]
  /** throws a QmError when this node cannot be inspected for it; `what` names the asker (`opts verify`, `--wait`) */
  inspectable(paths: NodePaths, what: string): Promise<void>
  /** the network's evidence, collected now (the agents need not be looked for) */
  collect(network: string, given: {configFile?: string; statePath?: string}, paths: NodePaths): Promise<NetworkEvidence>
  /** the finding to answer with instead, when this node cannot judge the route's check */
  instead?(route: Finding, findings: readonly Finding[], ev: NetworkEvidence): Finding | undefined
  /** what --wait says it waits for */
  waitingFor(network: string, paths: NodePaths): string
}

/** How a chain's serving hosts are told from the Neutron API (fleet/api-hosts.ts asks every chain). */
export interface ApiHostsHook {
  /** its agents in prose (`DHCP agent`): "the API lists no DHCP agent and no …" */
  agents: string
  /** the `binary` of its agents in GET /agents: --all --hosts-from-api asks every host running one */
  binaries: readonly string[]
  /** answers to ask once the network's ports are known (a router's agents, from its interface ports): a second round */
  followUp?(network: string, ports: NetworkAnswers['ports']): string[]
  /** the hosts that serve `network` by this chain, from the answers; throws a QmError on an answer Neutron does not send */
  hosts(network: string, answers: NetworkAnswers): ChainHosts
}

/** The API's answers about one network (its ports read already). */
export interface NetworkAnswers {
  get(path: string): ApiRecord | undefined
  ports: {raw: Obj; port: Port}[]
}

export interface ChainHosts {
  /** the answers say this chain serves the network */
  serves: boolean
  /** each host as the API names it (checked before it becomes an ssh destination), and why */
  hosts: {name: unknown; why: string}[]
  /** what to say when no chain names a host, and this one is the last that serves it (or the default chain) */
  none: string
}
