/**
 * `diagnose`, step 2 of 3 (plan, run, emit): a DiagnosePlan run against its source, to a
 * DiagnoseResult. Prints nothing but the ssh progress on a terminal; every module a source needs is
 * imported when that source is used (start-up time matters on every run).
 */
import {CHAINS} from '../chains/registry.js'
import {worstVerdict} from '../chains/run.js'
import {usageError} from '../errors.js'
import type {Snapshot} from '../evidence/evidence.js'
import type {HostInput} from '../fleet/types.js'

import type {HeldEvidence} from './instance.js'
import type {LiveRequest} from './live.js'
import type {DiagnoseOutput, DiagnosePlan, DiagnoseSource} from './plan.js'
import type {ChecksJson, DiagnoseResult, OneHost} from './result.js'

export type {ChecksJson, DiagnoseJson, DiagnoseResult, NetworksJson} from './result.js'

export interface RunContext {
  /** how to look at this node (called only when the source is this node) */
  live: () => Omit<LiveRequest, 'network' | 'probe'>
  /** e.g. quantum-meta/0.1.0, recorded in what a sosreport is read into */
  tool: string
}

interface Judging {
  only?: string[]
  probe: boolean
  /** --no-api: the API checks skip as asked */
  noApi?: boolean
}

export async function runDiagnose(plan: DiagnosePlan, ctx: RunContext): Promise<DiagnoseResult> {
  if (plan.kind === 'list-checks') return {json: {checks: listChecks()}, kind: 'checks'}
  const opts: Judging = {noApi: plan.noApi, only: plan.only, probe: plan.probe}
  // each host's evidence, kept for --server/--port/--ip (which host's leases hold the instance)
  const held: HeldEvidence[] = []
  const result = await judge(plan.source, opts, plan.output, ctx, held)
  if (!plan.instance) return result
  const {withInstance} = await import('./instance.js')
  return withInstance(result, plan.instance, held)
}

async function judge(source: DiagnoseSource, opts: Judging, output: DiagnoseOutput, ctx: RunContext, held: HeldEvidence[]): Promise<DiagnoseResult> {
  switch (source.kind) {
    case 'ssh':
      return overSsh(source, opts, output, held, ctx.tool)
    case 'files':
      return files(source, opts, ctx.tool, held)
    case 'sosreport':
      return oneFile(source.dir, await readSosreport(source.dir, ctx.tool), source.network, opts, held)
    case 'snapshot': {
      const {readSnapshot} = await import('./service.js')
      return oneFile(source.path, await readSnapshot(source.path), source.network, opts, held)
    }
    case 'live': {
      const {diagnoseLive} = await import('./service.js')
      const {host, reports, takenAt, networks} = await diagnoseLive({live: ctx.live(), network: source.network, ...opts})
      held.push(...networks.map((ev) => ({ev, host})))
      return oneHost({host, reports, takenAt, tool: ctx.tool}, source.network === undefined)
    }
  }
}

/** The hosts' evidence for `network`, as run() keeps it for the instance's lease. */
function holdInputs(inputs: readonly HostInput[], network: string | undefined, held: HeldEvidence[]): void {
  for (const input of inputs) for (const ev of input.snapshot?.networks ?? []) if (ev.network === network) held.push({ev, host: input.host})
}

/** One snapshot file or sosreport directory: its networks (or the one asked for) judged. */
async function oneFile(path: string, snapshot: Snapshot, network: string | undefined, opts: Judging, held: HeldEvidence[]): Promise<DiagnoseResult> {
  const svc = await import('./service.js')
  const picked = svc.pickNetworks(path, snapshot, network)
  held.push(...picked.map((ev) => ({ev, host: snapshot.host})))
  const reports = picked.map((ev) => svc.diagnoseEvidence(ev, opts))
  return oneHost({host: snapshot.host, reports, takenAt: snapshot.takenAt, tool: snapshot.tool}, network === undefined && picked.length > 1)
}

/** Every check of every chain, in chain order. */
function listChecks(): ChecksJson['checks'] {
  return CHAINS.flatMap((chain) => chain.checks.map((c) => ({chain: chain.backend, id: c.id, needs: c.needs, title: c.title})))
}

function oneHost(judged: OneHost, many: boolean): DiagnoseResult {
  const from = {host: judged.host, takenAt: judged.takenAt, tool: judged.tool}
  const verdict = worstVerdict(judged.reports.map((r) => r.verdict))
  return many
    ? {...judged, json: {...from, healthy: judged.reports.every((r) => r.healthy), networks: judged.reports, verdict}, kind: 'networks'}
    : {...judged, json: {...from, ...judged.reports[0]}, kind: 'network'}
}

/** --host, --hosts-from-api: each host's snapshot over ssh (src/fleet/ssh.ts), judged together like several --snapshot files. */
async function overSsh(
  source: Extract<DiagnoseSource, {kind: 'ssh'}>,
  opts: Judging,
  output: DiagnoseOutput,
  held: HeldEvidence[],
  tool: string,
): Promise<DiagnoseResult> {
  const [transport, fleet, {sshProgress}] = await Promise.all([import('../fleet/ssh.js'), import('../fleet/fleet.js'), import('./emit.js')])
  const {network, ssh} = source
  const progress = sshProgress(output)
  // --hosts-from-api: the API's hosts first, then any --host it does not name
  const apiHosts = source.api ? await import('../fleet/api-hosts.js') : undefined
  const api = apiHosts && source.api ? (network ? await apiHosts.hostsFromApi(network, source.api) : await apiHosts.hostsForAll(source.api)) : undefined
  const hosts = api ? [...api.hosts.map((h) => h.host), ...source.hosts.filter((g) => !api.hosts.some((h) => h.host === g))] : source.hosts
  if (api) progress?.listed(api)
  const asked = await transport.collectOverSsh(hosts, network, {
    connectTimeoutS: ssh.connectTimeoutS ?? transport.SSH_DEFAULTS.connectTimeoutS,
    hostTimeoutS: ssh.hostTimeoutS ?? transport.SSH_DEFAULTS.hostTimeoutS,
    onHost: progress?.answered,
    parallel: ssh.parallel ?? transport.SSH_DEFAULTS.parallel,
    remoteCommand: ssh.remoteCommand ?? transport.SSH_DEFAULTS.remoteCommand,
    ...(ssh.agentless ? {agentless: {probe: opts.probe, tool}} : {}),
    sshConfig: ssh.sshConfig,
    sshOptions: ssh.sshOptions,
  })
  const inputs = api && apiHosts ? apiHosts.withApiAnswers(asked, api) : asked
  holdInputs(inputs, network, held)
  // --all: every network any host holds, one table each (an unreachable host is a row in each)
  if (network === undefined) return {json: fleet.judgeFleetAll(inputs, opts), kind: 'fleet-all'}
  return {json: fleet.judgeFleet(network, inputs, opts), kind: 'fleet'}
}

/** A sosreport directory as a snapshot (src/fleet/sosreport.ts); one showing no DHCP network is bad input. */
async function readSosreport(dir: string, tool: string): Promise<Snapshot> {
  const [sos, {checkSnapshot}] = await Promise.all([import('../fleet/sosreport.js'), import('../chains/snapshot.js')])
  const {snapshot} = await sos.readSosreport(dir, {tool})
  if (snapshot.networks.length === 0)
    throw usageError(
      'not-in-sosreport',
      `${dir}: the sosreport shows no DHCP network (no qdhcp-<network> namespace in sos_commands/networking/ip_netns, no var/lib/neutron/dhcp/<network>): nothing to diagnose`,
    )
  // the same schema as a snapshot file: what the reader built is what a collect would have written
  const checked = checkSnapshot(snapshot)
  if (!checked.ok) throw usageError('not-in-sosreport', `${dir}: ${checked.field}: ${checked.problem}`)
  // the reader's own objects, not the schema's copy: the networks share one `ip netns` record, which
  // the checks index once per record (a copy per network made 1000 networks quadratic)
  return snapshot
}

/** Several --snapshot files and --sosreport directories: one host each (its `host` field, a sosreport's hostname), judged together. */
async function files(source: Extract<DiagnoseSource, {kind: 'files'}>, opts: Judging, tool: string, held: HeldEvidence[]): Promise<DiagnoseResult> {
  const [svc, fleet] = await Promise.all([import('./service.js'), import('../fleet/fleet.js')])
  const {network, snapshots, sosreports} = source
  const inputs: HostInput[] = []
  const seen = new Map<string, string>()
  const all = [...snapshots.map((path) => ({kind: 'snapshot' as const, path})), ...sosreports.map((path) => ({kind: 'sosreport' as const, path}))]
  for (const {kind, path} of all) {
    const snapshot = kind === 'snapshot' ? await svc.readSnapshot(path) : await readSosreport(path, tool)
    // the network asked for must be in every file, as with one snapshot (bad input otherwise)
    svc.pickNetworks(path, snapshot, network)
    if (snapshot.host.trim() === '')
      throw usageError('snapshot-invalid', `${path}: its host field is empty: several snapshots are told apart by their host names`)
    const other = seen.get(snapshot.host)
    if (other !== undefined) {
      const what = sosreports.length === 0 ? ['snapshots of host', 'one file per host'] : ['of host', 'one file or sosreport per host']
      throw usageError('duplicate-host', `${path} and ${other} are both ${what[0]} ${JSON.stringify(snapshot.host)}: give ${what[1]}`)
    }
    seen.set(snapshot.host, path)
    inputs.push({host: snapshot.host, snapshot})
  }
  holdInputs(inputs, network, held)
  return {json: fleet.judgeFleet(network, inputs, opts), kind: 'fleet'}
}
