/**
 * Several hosts serving one network (issue 11): what each host gave (a snapshot, over ssh or from a
 * file, or why it could not), and the verdict on all of them. Transports (ssh, snapshot files,
 * sosreports) produce HostInput; judging (fleet.ts) produces FleetReport; renderers read FleetReport.
 */
import type {BackendName, LayoutName, Snapshot} from '../evidence/evidence.js'
import type {Finding} from '../checks/types.js'

export interface HostInput {
  /** the host as the operator named it (ssh destination, or the snapshot's `host`) */
  host: string
  /** the host's evidence: a schema-checked snapshot */
  snapshot?: Snapshot
  /** why there is none: ssh's own message, a remote that printed garbage, a timeout */
  error?: string
}

export interface HostReport {
  host: string
  reachable: boolean
  error?: string
  layout?: LayoutName
  backend?: BackendName
  healthy?: boolean
  findings: Finding[]
}

export interface FleetReport {
  network: string
  /** no reachable host has a broken link and no cross-host finding fails */
  healthy: boolean
  hosts: HostReport[]
  /** findings only several hosts together reveal (ids `cross.*`) */
  cross: Finding[]
}
