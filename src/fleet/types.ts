/**
 * Several hosts serving one network (issue 11): what each host gave (a snapshot, over ssh or from a
 * file, or why it could not), and the verdict on all of them. Transports (ssh, snapshot files,
 * sosreports) produce HostInput; judging (fleet.ts) produces FleetReport; renderers read FleetReport.
 */
import type {AffectedInstance, Finding, Verdict} from '../chains/types.js'
import type {BackendName, LayoutName, Snapshot} from '../evidence/evidence.js'

export type {AffectedInstance, HostEvidence} from '../chains/types.js'

export interface HostInput {
  /** the host as the operator named it (ssh destination, or the snapshot's `host`) */
  host: string
  /** the host's evidence: a schema-checked snapshot */
  snapshot?: Snapshot
  /** why there is none: ssh's own message, a remote that printed garbage, a timeout */
  error?: string
  /** --hosts-from-api: why the API names this host (`DHCP agent ID (alive)`, `chassis of port ID (compute:nova)`) */
  listed?: string[]
}

export interface HostReport {
  host: string
  reachable: boolean
  error?: string
  layout?: LayoutName
  backend?: BackendName
  /** every link judged here and none broken (NetworkReport.healthy) */
  healthy?: boolean
  /** this host's verdict (NetworkReport.verdict); absent when it was not reached */
  verdict?: Verdict
  findings: Finding[]
  /** links of this host's chain not judged (NetworkReport.unjudged) */
  unjudged?: string[]
  /** --hosts-from-api: why the API names this host; absent for hosts given by --host or a file */
  listed?: string[]
  /**
   * A reachable host whose chain is broken: the instances that leased from it (its dnsmasq lease
   * file), each mapped by MAC to its port and device through the API's ports this host recorded.
   * Absent when the host is healthy or recorded no lease file (older snapshots, OVN).
   */
  affected?: AffectedInstance[]
}

export interface FleetReport {
  network: string
  /** every host reached and every link judged, none broken, no cross-host finding failing (fleet/verdict.ts) */
  healthy: boolean
  hosts: HostReport[]
  /** findings only several hosts together reveal (ids `cross.*`) */
  cross: Finding[]
}

/** What one host gave to `diagnose --all --host`: reachable or not, and the networks its snapshot holds. */
export interface FleetHostSummary {
  host: string
  reachable: boolean
  error?: string
  networks: string[]
}

/** `diagnose --all` over several hosts: one FleetReport per network any host holds, in network-id order. */
export interface FleetAllReport {
  /** every network's report is healthy */
  healthy: boolean
  networks: FleetReport[]
  /** each host as given: so a host holding no network at all, or none answering, is still shown */
  hosts: FleetHostSummary[]
}
