/** The whole live collection for diagnose and collect: node evidence, plus the API's when credentials exist. */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import type {BackendName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import {SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {LAYOUTS, type NodePaths} from '../layout.js'
import {isOvnAgentConfig, OVN_PATHS} from '../chains/ovn/paths.js'
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
 * is OVN's); else the network's namespace (qdhcp- or ovnmeta-); else the agents' config files that
 * exist; else a running OVN metadata agent; else the DHCP agent's.
 */
export function nodeBackend(
  req: Pick<LiveRequest, 'backend' | 'given' | 'network'>,
  exists: (p: string) => boolean = existsSync,
  isRunning = running,
): BackendName {
  if (req.backend) return req.backend
  if (req.given?.configFile !== undefined) return isOvnAgentConfig(req.given.configFile) ? 'ovn' : 'dhcp-agent'
  if (req.network !== undefined) {
    if (exists(`/run/netns/qdhcp-${req.network}`)) return 'dhcp-agent'
    if (exists(`/run/netns/ovnmeta-${req.network}`)) return 'ovn'
  }
  const dhcp = exists(LAYOUTS.neutron.agentConfig) || exists(LAYOUTS.quantum.agentConfig)
  const ovn = OVN_PATHS.agentConfigs.some((p) => exists(p))
  if (ovn && !dhcp) return 'ovn'
  if (dhcp && !ovn) return 'dhcp-agent'
  return isRunning(/(^|[/ ])(neutron-ovn-metadata-agent|neutron-ovn-agent|ovn-controller)(\0| |$)/) &&
    !isRunning(/(^|[/ ])(neutron|quantum)-dhcp-agent(\0| |$)/)
    ? 'ovn'
    : 'dhcp-agent'
}

export async function collectLive(req: LiveRequest): Promise<Snapshot> {
  const backend = nodeBackend(req)
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
