import type {ContainerRecord, DeploymentName} from '../evidence/evidence.js'
import type {BackendName, LayoutName, NetworkEvidence} from '../evidence/evidence.js'
import type {Scope} from '../deployments/registry.js'

export type Status = 'pass' | 'warn' | 'fail' | 'skip'

/** What a check found: one line of summary, the lines judged, and something to paste. */
export interface Finding {
  id: string
  status: Status
  summary: string
  evidence: string[]
  fix?: Fix
  /**
   * A skip that left the link not judged: the evidence lacks what the check reads (a sosreport without
   * a plugin's output, no API credentials, an agent in a container): the report cannot call the network
   * healthy (exit 3, not 0). Every skip is one unless it says `skipped` (below).
   */
  unjudged?: true
  /**
   * A skip that leaves no link of this node unjudged: `not-asked`, the operator chose not to run it
   * (no --probe, --no-api); `not-here`, the link is not this node's to serve (an HA backup, a router
   * hosted by another L3 agent, a network the router serves rather than the DHCP port); `not-told`, a link
   * whose rule for this node the evidence cannot settle and that the rest of the chain does not rest on
   * (IPv6 metadata without the Neutron release, or from an IPv4-only listing): said, not guessed.
   */
  skipped?: SkipReason
}

/** `warn-only`: a check that can only ever warn (Check.warnOnly) could not be told: no verdict rests on it. */
export type SkipReason = 'not-asked' | 'not-here' | 'warn-only' | 'not-told'

/**
 * A fix as a thing to paste: one line a POSIX shell accepts (`bash -n` passes; `&&` allowed, never
 * prose or a `<placeholder>`), and why apart. A word from evidence in `command` is quoted with shq.
 */
export interface CommandFix {
  command: string
  why: string
}

/** A fix that is a line of a config file: `set` (`key = value`) in [`section`] of `file`, every other line kept. */
export interface ConfigFix {
  file: string
  section: string
  set: string
  why: string
}

export type FixStep = CommandFix | ConfigFix

/** What to do about a finding: a command or a config line, and at most one other way (`or, by hand, ...`). */
export type Fix = FixStep & {alternative?: FixStep}

export const isConfigFix = (f: FixStep): f is ConfigFix => 'file' in f

/** A command fix, with an alternative when given. */
export const cmd = (command: string, why: string, alternative?: FixStep): Fix => (alternative === undefined ? {command, why} : {alternative, command, why})

/** A config-line fix (`set` is `key = value`), with an alternative when given. */
export const conf = (file: string, section: string, set: string, why: string, alternative?: FixStep): Fix =>
  alternative === undefined ? {file, section, set, why} : {alternative, file, section, set, why}

export interface CheckContext {
  /** --probe was given: probe.http runs instead of being skipped */
  probe: boolean
  /** --no-api was given: the API checks are skipped as asked, not left unjudged for want of credentials */
  noApi?: boolean
  /** the evidence was collected on this node now (not a snapshot, sosreport or a host's collect): the API is asked now, if at all */
  live?: boolean
  /**
   * Another chain that serves the network on this node instead: the node lists that chain's
   * namespace for the network and not the evidence's own (runChecks asks the registry).
   */
  servedElsewhere?: (ev: NetworkEvidence) => ServedElsewhere | undefined
  /**
   * When several hosts of the network are judged together (a fleet): the other hosts' evidence of it, so a
   * link that one host alone cannot settle (whose fe80::a9fe:a9fe won duplicate address detection) can be.
   */
  peers?: readonly NetworkEvidence[]
}

/** What a chain says when another chain's evidence finds this chain's namespace for the network instead. */
export interface ServesInstead {
  /** who serves the network here: `ML2/OVN, where its metadata agent (…) serves metadata` */
  who: string
  /** the command to look at it with first, as the node's deployment spells it */
  look(ev: Scope): string
  /** the same look another way (another release's unit): the fix's alternative */
  note?(ev: Scope): CommandFix
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
  /** it never fails, only warns (the agent's restart): when it cannot be told, the verdict does not wait on it */
  warnOnly?: true
  run(ev: NetworkEvidence, ctx: CheckContext): Omit<Finding, 'id'>
}

export const pass = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'pass', summary})
export const fail = (summary: string, evidence: string[], fix: Fix): Omit<Finding, 'id'> => ({evidence, fix, status: 'fail', summary})
export const warn = (summary: string, evidence: string[], fix?: Fix): Omit<Finding, 'id'> => ({evidence, fix, status: 'warn', summary})
/** A skip: the link was not judged (Finding.unjudged), so the network cannot be called healthy (exit 3). */
export const skip = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'skip', summary, unjudged: true})
/** Not judged: the evidence lacks what the check reads (see Finding.unjudged). */
export const notJudged = (summary: string): Omit<Finding, 'id'> => skip(summary)
/** A check the operator did not ask for (no --probe, --no-api): skipped, and no verdict is held back by it. */
export const notAsked = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'skip', summary, skipped: 'not-asked'})
/** A link that is not this node's to serve (an HA backup, a router on another host): skipped, naming who serves it. */
export const notHere = (summary: string, evidence: string[] = []): Omit<Finding, 'id'> => ({evidence, status: 'skip', summary, skipped: 'not-here'})

/** The verdict on one network: its findings in chain order. */
export interface NetworkReport {
  network: string
  layout: LayoutName
  /** the chain that judged it */
  backend: BackendName
  /** every link judged and none broken (with --check: every check asked passed, see `ran`) */
  healthy: boolean
  /**
   * `healthy`; `broken`: a link failed (exit 1); `not-judged`: none failed but `unjudged` lists links not
   * judged (exit 3); `checks-pass`: --check ran a subset and each passed (exit 0, no word on the rest).
   */
  verdict: Verdict
  findings: Finding[]
  /** links not judged (Finding.unjudged): with no link broken, exit 3 */
  unjudged?: string[]
  /** with --check: how many of the chain's checks ran */
  ran?: {checks: number; of: number}
  /** how Neutron is installed where the evidence was taken, when not packages, and the agent's container */
  deployment?: {name: DeploymentName; from?: string; container?: ContainerRecord; stateOnHost?: string}
}

export type Verdict = 'healthy' | 'broken' | 'not-judged' | 'checks-pass'

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
