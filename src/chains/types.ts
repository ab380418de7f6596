import type {BackendName, LayoutName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import type {SnapshotPart} from '../evidence/snapshot-schema.js'
import type {NodePaths} from '../layout.js'
import type {ApiRecord, NeutronClient} from '../openstack/neutron.js'
import type {Subnet} from '../openstack/subnet.js'
import type {Obj, Port} from './common/api.js'

export type Status = 'pass' | 'warn' | 'fail' | 'skip'

/** What a check found: one line of summary, the lines judged, and something to paste. */
export interface Finding {
  id: string
  status: Status
  summary: string
  evidence: string[]
  fix?: string
  /**
   * A skip because the evidence lacks what the check reads (a sosreport without a plugin's output):
   * the link was not judged, so the report cannot call the network healthy (exit 3, not 0).
   */
  unjudged?: true
}

export interface CheckContext {
  /** --probe was given: probe.http runs instead of being skipped */
  probe: boolean
  /**
   * Another chain that serves the network on this node instead: the node lists that chain's
   * namespace for the network and not the evidence's own (runChecks asks the registry).
   */
  servedElsewhere?: (ev: NetworkEvidence) => ServedElsewhere | undefined
}

/** What a chain says when another chain's evidence finds this chain's namespace for the network instead. */
export interface ServesInstead {
  /** who serves the network here: `ML2/OVN, where its metadata agent (…) serves metadata` */
  who: string
  /** the command to look at it with first */
  look: string
  /** a note to that command (another release's unit) */
  note?: string
  /** the chain in a word of prose: `OVN` */
  short: string
}

export interface ServedElsewhere extends ServesInstead {
  /** that chain's namespace of the network, as the node lists it */
  namespace: string
}

export interface Check {
  /** `link.what`, public: --check and --list-checks use it */
  id: string
  /** one line for --list-checks: what holds when this link is sound */
  title: string
  /** checks whose failure makes this one meaningless (it is then skipped, naming the cause) */
  needs: string[]
  run(ev: NetworkEvidence, ctx: CheckContext): Omit<Finding, 'id'>
}

export const pass = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'pass', summary})
export const fail = (summary: string, evidence: string[], fix: string): Omit<Finding, 'id'> => ({evidence, fix, status: 'fail', summary})
export const warn = (summary: string, evidence: string[], fix?: string): Omit<Finding, 'id'> => ({evidence, fix, status: 'warn', summary})
export const skip = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'skip', summary})
/** Not judged: the evidence lacks what the check reads (see Finding.unjudged). */
export const notJudged = (summary: string): Omit<Finding, 'id'> => ({evidence: [], status: 'skip', summary, unjudged: true})

/** The verdict on one network: its findings in chain order. */
export interface NetworkReport {
  network: string
  layout: LayoutName
  /** the chain that judged it */
  backend: BackendName
  healthy: boolean
  findings: Finding[]
  /** links not judged for lack of evidence (Finding.unjudged): with no link broken, exit 3 */
  unjudged?: string[]
}

/** A host's evidence for a network, and the host it came from (only hosts that have some). */
export interface HostEvidence {
  host: string
  ev: NetworkEvidence
}

/** One lease of a broken host: an instance that got its metadata route from it. */
export interface AffectedInstance {
  mac: string
  ip: string
  /** the hostname dnsmasq handed out (host-198-51-100-149) */
  hostname?: string
  /** the Neutron port of this MAC, when the API listed one */
  port?: string
  /** that port's device_id (the instance's id for a compute:* port) */
  device?: string
  deviceOwner?: string
  /** the lease had ended when the evidence was taken (the instance may be gone or have moved) */
  expired?: true
}

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
  /** how it is told apart on a live node: diagnose/live.ts nodeBackend walks the chains with these */
  detect: ChainDetect
  /** the networks whose namespace of this chain a namespace list names (`ip netns list`, parsed): where --all starts */
  networks(namespaces: readonly string[]): string[]
  /**
   * Collect on this node: one network, or (req.network undefined) every network it serves here, as a
   * snapshot. Throws a QmError when the node cannot be inspected (not root, an unreadable state path).
   */
  collect(req: CollectRequest): Promise<Snapshot>
  /** secrets out of its own part of a network's evidence, in place, records shared between networks once per `seen` */
  redact?(ev: NetworkEvidence, seen: WeakSet<object>): void
  /** API answers it reads beyond the network, its subnets and its ports: collect --api records them for every network */
  apiPaths?(network: string): string[]
  /** --hosts-from-api: the hosts the API says serve a network by this chain, and the agents that serve any */
  apiHosts?: ApiHostsHook
  /** in chain order: the first failing link is the first one read */
  checks: readonly Check[]
  /** the metadata route of one network on this node: opts verify checks it once, subnet create --wait waits for it */
  route: RouteHook
  /** a warning about a subnet just created (subnet create), when this chain needs something of it the API did not do */
  subnetWarning?(neutron: NeutronClient, subnet: Subnet): Promise<string | undefined>
  /** findings only several hosts of one network reveal (ids `cross.*`), given the hosts of this chain */
  crossChecks?(network: string, hosts: HostEvidence[]): Finding[]
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
  instead?(route: Finding, findings: readonly Finding[]): Finding
  /** what --wait says it waits for */
  waitingFor(network: string, paths: NodePaths): string
}

/** How a chain's serving hosts are told from the Neutron API (fleet/api-hosts.ts asks every chain). */
export interface ApiHostsHook {
  /** its agents in prose (`DHCP agent`): "the API lists no DHCP agent and no …" */
  agents: string
  /** the `binary` of its agents in GET /agents: --all --hosts-from-api asks every host running one */
  binaries: readonly string[]
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
