/** The whole live collection for diagnose and collect: node evidence, plus the API's when credentials exist. */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import type {BackendName, DeploymentName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import {SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {isOvnAgentConfig, LAYOUTS, type NodePaths, OVN_PATHS} from '../layout.js'
import type {OsFlags} from '../openstack/credentials.js'
import {collectMany, listNamespaces, qdhcpNetworks, requireInspectable} from '../chains/dhcp-agent/collect.js'
import {cannotError} from '../errors.js'

export interface LiveRequest {
  /** one network, or undefined for every network the node serves */
  network?: string
  paths: NodePaths
  /** what the operator gave: --config-file and --state-path (undefined: not given) */
  given?: {configFile?: string; statePath?: string}
  /** --backend: which chain serves the network(s) here; undefined: told from the node */
  backend?: BackendName
  /** --deployment: how Neutron is installed here (src/deployments/); undefined: told from the node */
  deployment?: DeploymentName
  probe: boolean
  /** the --os-* flags; the API is asked only when `api` and credentials are present */
  os: OsFlags
  api: boolean
  agentHost?: string
  /** e.g. quantum-meta/0.1.0, recorded in the snapshot */
  tool?: string
}

/** Whether a process runs whose command line names one of these programs (one pass over /proc). */
function running(programs: RegExp): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1')
      if (programs.test(cmd)) return true
    } catch {
      // gone meanwhile
    }
  }
  return false
}

/**
 * Which chain serves metadata here: --backend; else the --config-file's name (neutron_ovn_metadata_agent.ini
 * is OVN's, l3_agent.ini the L3 agent's); else the network's namespace (qdhcp- or ovnmeta-); else the agents'
 * config files that exist (an l3_agent.ini alone: the L3 agent's); else a running OVN metadata agent; else the
 * DHCP agent's.
 */
export function nodeBackend(
  req: Pick<LiveRequest, 'backend' | 'given' | 'network'>,
  exists: (p: string) => boolean = existsSync,
  isRunning = running,
): BackendName {
  if (req.backend) return req.backend
  if (req.given?.configFile !== undefined)
    return isOvnAgentConfig(req.given.configFile) ? 'ovn' : /(^|\/)l3_agent\.ini$/.test(req.given.configFile) ? 'l3-agent' : 'dhcp-agent'
  if (req.network !== undefined) {
    if (exists(`/run/netns/qdhcp-${req.network}`)) return 'dhcp-agent'
    if (exists(`/run/netns/ovnmeta-${req.network}`)) return 'ovn'
  }
  const dhcp = exists(LAYOUTS.neutron.agentConfig) || exists(LAYOUTS.quantum.agentConfig)
  const ovn = OVN_PATHS.agentConfigs.some((p) => exists(p))
  // a node with an L3 agent only (a DVR compute node): its routers serve the networks
  if (!dhcp && !ovn && (exists('/etc/neutron/l3_agent.ini') || exists('/etc/quantum/l3_agent.ini'))) return 'l3-agent'
  if (ovn && !dhcp) return 'ovn'
  if (dhcp && !ovn) return 'dhcp-agent'
  return isRunning(/(^|[/ ])(neutron-ovn-metadata-agent|neutron-ovn-agent|ovn-controller)(\0| |$)/) &&
    !isRunning(/(^|[/ ])(neutron|quantum)-dhcp-agent(\0| |$)/)
    ? 'ovn'
    : 'dhcp-agent'
}

export async function collectLive(req: LiveRequest): Promise<Snapshot> {
  const backend = nodeBackend(req)
  if (backend === 'l3-agent') return (await import('../chains/l3-agent/collect.js')).collectL3Live(req, listNamespaces)
  let networks: string[]
  let evidence: NetworkEvidence[]
  let snap: Snapshot
  if (backend === 'ovn') {
    if (process.getuid?.() !== 0)
      throw cannotError('not-root', "diagnose inspects namespaces and other users' processes: run it as root (or diagnose a snapshot with --snapshot)")
    const {collectOvnMany} = await import('../chains/ovn/collect.js')
    evidence = await collectOvnMany(req.network, {configFile: req.given?.configFile, probe: req.probe, statePath: req.given?.statePath}, listNamespaces)
    networks = evidence.map((e) => e.network)
    const {hostname} = await import('node:os')
    snap = {format: SNAPSHOT_FORMAT, host: hostname(), networks: evidence, takenAt: new Date().toISOString(), tool: req.tool ?? 'quantum-meta'}
  } else {
    await requireInspectable(req.paths.statePath)
    const ctx = {...req.paths, probe: req.probe}
    const list = req.network === undefined ? await listNamespaces() : undefined
    networks = list ? qdhcpNetworks(list) : [req.network!]
    snap = await collectMany(networks, ctx, {batch: Boolean(list), listed: list, tool: req.tool})
  }
  // how Neutron is installed here: --deployment, else the signs of the agents the collection found (their
  // cgroup, environment, path; /proc is walked again only when it looked for none) and the marker paths;
  // recorded in each network's evidence, which its fixes read
  const [{pickDeployment}, {liveSigns}] = await Promise.all([import('../deployments/detect.js'), import('../deployments/live.js')])
  const looked = snap.networks.some((ev) => ev.agents !== undefined || ev.ovn !== undefined)
  const found = snap.networks.flatMap((ev) => [...(ev.agents ?? []), ...(ev.ovn?.agents ?? []), ...(ev.ovn?.controllers ?? [])])
  const told = pickDeployment(req.deployment, () => liveSigns(looked ? found : undefined))
  for (const ev of snap.networks) Object.assign(ev, {deployment: told.name, deploymentFrom: told.from})
  const {hasCredentials} = await import('../openstack/credentials.js')
  if (req.api && networks.length > 0 && hasCredentials(req.os, process.env)) {
    const api = await import('../node/api.js')
    const byNet = await api.collectApi(networks, req.os, api.agentHost(req.paths.configFile, req.agentHost))
    for (const ev of snap.networks) ev.api = byNet.get(ev.network)
  }
  // no secret leaves the node: every file and command line kept (records shared between networks once)
  const {redactEvidence} = await import('../config/secrets.js')
  const seen = new WeakSet<object>()
  for (const ev of snap.networks) redactEvidence(ev, seen)
  return snap
}
