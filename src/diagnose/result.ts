/**
 * What `diagnose` found (DiagnoseResult) and its --json documents: the shapes src/diagnose/run.ts
 * produces and emit.ts and exit.ts read. Types only, in a module of their own so those three import
 * them without importing one another (run.ts loads emit.ts, and fleet/fleet.ts exit.ts).
 */
import type {NetworkReport, Verdict} from '../chains/types.js'
import type {BackendName} from '../evidence/evidence.js'
import type {FleetAllReport, FleetReport} from '../fleet/types.js'
import type {Instance} from '../openstack/instance.js'

/** `--list-checks --json` */
export interface ChecksJson {
  checks: {chain: BackendName; id: string; needs: string[]; title: string}[]
}

/** `diagnose --all --json`, and a snapshot or sosreport of several networks */
export interface NetworksJson extends Partial<Provenance> {
  /** every network healthy (every link judged, none broken) */
  healthy: boolean
  /** the worst network's verdict (NetworkReport.verdict) */
  verdict: Verdict
  networks: NetworkReport[]
}

/** Whose evidence, when, collected by which version (a snapshot's own): in --json, the table and --report. */
export interface Provenance {
  host: string
  takenAt: string
  /** the tool that collected the evidence: quantum-meta/VERSION (this one for a live run) */
  tool: string
}

/** One host's networks judged (this node, one snapshot, one sosreport): what JUnit names them by. */
export interface OneHost extends Provenance {
  reports: NetworkReport[]
}

/** What `diagnose` found; `json` is the --json document, the same shapes as before the split. */
export type DiagnoseResult =
  | {kind: 'checks'; json: ChecksJson}
  | ({kind: 'network'; json: NetworkReport & Partial<Provenance> & {instance?: InstanceJson}} & OneHost)
  | ({kind: 'networks'; json: NetworksJson} & OneHost)
  | {kind: 'fleet'; json: FleetReport & {instance?: InstanceJson}}
  | {kind: 'fleet-all'; json: FleetAllReport}

/**
 * `diagnose --server/--port/--ip`: the instance started from, in the --json document (src/diagnose/instance.ts):
 * the port's fields as the API gave them (openstack/instance.ts), and `lease`: each host whose DHCP leases file
 * holds the instance's MAC, and that line; [] none does; absent none was read.
 */
export type InstanceJson = Pick<Instance, 'port' | 'network' | 'ip' | 'mac' | 'server' | 'host'> & {lease?: {host: string; line: string}[]}

/** The --json document of any result. */
export type DiagnoseJson = DiagnoseResult['json']
