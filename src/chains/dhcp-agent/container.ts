/**
 * The DHCP agent in a container (kolla-ansible, TripleO, openstack-helm): where its files are, told
 * from the running agent, without flags. The agent's own command line names its config files as it
 * sees them; they, the state path they set, the pid files and the socket are read through its root
 * (sources/container.ts). The metadata agent, in its own container, is read through its root; when it
 * does not run, its config is the deployment's host copy. The host files the deployment copies into
 * the container at start are recorded beside the copies, so that a change made on the host and not
 * yet read by the container shows.
 */
import {existsSync} from 'node:fs'
import {posix} from 'node:path'

import {BOOL_KEYS} from '../../config/dhcp-agent.js'
import {effective, parseIni} from '../../config/oslo-ini.js'
import {keepOnlyKeys} from '../../config/secrets.js'
import {detectDeployment, type Told} from '../../deployments/detect.js'
import {liveSigns} from '../../deployments/live.js'
import {deploymentNamed} from '../../deployments/registry.js'
import type {ContainerRecord, FileRecord} from '../../evidence/evidence.js'
import {containerOf} from '../../node/container.js'
import {type AgentArgs, DHCP_AGENT_PROGRAMS} from '../../parse/agent.js'
import {agentsOf, containedAgent} from '../common/container.js'
import {ContainerView, VolumeView} from '../../sources/container.js'
import {LiveView} from '../../sources/live.js'
import type {NodeView, ProcessList} from '../../sources/view.js'

/** The DHCP agent's container is not running: its state read from the host's source of its volume, its configs from the host. */
export interface StoppedPlan {
  kind: 'stopped'
  view: NodeView
  configFile: string
  statePath: string
  metadataAgentConfig: string
  told: Told
  /** the engine whose volume holds the state (kolla: podman's or docker's) */
  engine?: 'podman' | 'docker'
  /** where the state is on the host */
  hostStatePath: string
}

export interface ContainerPlan {
  kind: 'running'
  view: ContainerView
  container: ContainerRecord
  /** the agent's dhcp_agent.ini, as it sees it */
  configFile: string
  /** state_path as the agent's config sets it (neutron's default /var/lib/neutron) */
  statePath: string
  metadataAgentConfig: string
  told: Told
  /** the host sources of the agent's copies, read from the host, cut to the metadata switches */
  hostConfigs: {host: FileRecord; copy: string}[]
}

const DEFAULT_STATE_PATH = '/var/lib/neutron'

/** The ML2/OVS metadata agent's programs (Neutron's, Quantum's). */
const METADATA_AGENT_PROGRAMS = ['neutron-metadata-agent', 'quantum-metadata-agent']

/** The files an agent's config sources name, in oslo's order (a --config-dir: its *.conf, sorted). */
async function configFiles(view: NodeView, sources: AgentArgs['sources']): Promise<string[]> {
  const out: string[] = []
  for (const s of sources) {
    if (!s.path.startsWith('/')) continue
    if (s.kind === 'file') out.push(s.path)
    else for (const n of await view.list(s.path)) if (n.endsWith('.conf')) out.push(posix.join(s.path, n))
  }
  return out
}

/** state_path as oslo.config reads it from these files: the last [DEFAULT] state_path set. */
async function statePathOf(view: NodeView, files: string[]): Promise<string> {
  let found = DEFAULT_STATE_PATH
  for (const f of files) {
    const rec = await view.readFile(f)
    if (rec.content === undefined) continue
    try {
      const v = effective(parseIni(rec.content), 'DEFAULT', 'state_path')?.value.trim()
      if (v?.startsWith('/')) found = v
    } catch {
      // a file oslo cannot read: the config checks say so
    }
  }
  return found
}

/**
 * The plan when this node's DHCP agent runs in a container (its mount namespace is not ours);
 * undefined when it runs on the host, or none runs. `proc`: where /proc is (tests).
 */
export async function containerPlan(): Promise<ContainerPlan | StoppedPlan | undefined> {
  const live = new LiveView()
  const list = await live.processes()
  const dhcpAgents = agentsOf(list, DHCP_AGENT_PROGRAMS, 'dhcp-agent')
  if (dhcpAgents.length === 0) return stoppedPlan(list)
  const dhcp = containedAgent(dhcpAgents)
  if (!dhcp) return undefined
  const container = dhcp.container
  const view = new ContainerView(container, live)
  const files = await configFiles(view, dhcp.args.sources)
  const configFile = files.findLast((f) => /dhcp_agent\.ini$/.test(f)) ?? files.at(-1) ?? '/etc/neutron/dhcp_agent.ini'
  const statePath = await statePathOf(view, files)
  const mdAgents = agentsOf(list, METADATA_AGENT_PROGRAMS, 'metadata-agent')
  const told = detectDeployment(liveSigns([dhcp, ...mdAgents].map(({cmdline, pid}) => ({cmdline, pid}))))
  const dep = deploymentNamed(told.name)
  let metadataAgentConfig = posix.join(posix.dirname(configFile), 'metadata_agent.ini')
  const md = mdAgents[0]
  if (md) {
    const mdFiles = await configFiles(view, md.args.sources)
    metadataAgentConfig = mdFiles.findLast((f) => /metadata_agent\.ini$/.test(f)) ?? metadataAgentConfig
    const other = containerOf(md.pid)
    if (other) view.readThrough(metadataAgentConfig, other)
  } else {
    // the metadata agent does not run: its config as the deployment keeps it on the host
    const host = dep.services['metadata-agent']?.configs.findLast((f) => /metadata_agent\.ini$/.test(f))
    if (host) {
      metadataAgentConfig = host
      view.readFromHost(host)
    }
  }
  // the host sources of the copies the agent reads, paired by file name
  const hostConfigs: ContainerPlan['hostConfigs'] = []
  for (const host of dep.containers ? (dep.services['dhcp-agent']?.configs ?? []) : []) {
    const copy = files.findLast((f) => posix.basename(f) === posix.basename(host))
    if (copy === undefined) continue
    const rec = await live.readFile(host, {resolve: true})
    if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, BOOL_KEYS)
    hostConfigs.push({copy, host: rec})
  }
  return {configFile, container, hostConfigs, kind: 'running', metadataAgentConfig, statePath, told, view}
}

/**
 * No DHCP agent runs, on a node whose marker paths say a deployment that runs it in a container
 * (kolla's generated config dir, TripleO's puppet-generated tree): the state as the stopped container
 * would see it, read from its host source (kolla: the neutron_metadata_socket volume, podman's or
 * docker's; TripleO: the same path), the configs the deployment generates on the host.
 */
function stoppedPlan(list: ProcessList): StoppedPlan | undefined {
  const mdAgents = agentsOf(list, METADATA_AGENT_PROGRAMS, 'metadata-agent')
  const told = detectDeployment(liveSigns(mdAgents.map(({cmdline, pid}) => ({cmdline, pid}))))
  const dep = deploymentNamed(told.name)
  const configFile = dep.services['dhcp-agent']?.configs.at(-1)
  if (!dep.containers || configFile === undefined) return undefined
  const metadataAgentConfig =
    dep.services['metadata-agent']?.configs.findLast((f) => /metadata_agent\.ini$/.test(f)) ?? posix.join(posix.dirname(configFile), 'metadata_agent.ini')
  // the engine whose volume holds the state (kolla: podman's or docker's), else the one host path
  const byEngine = dep.hostStatePathByEngine
  const candidates: [string, 'podman' | 'docker' | undefined][] = byEngine
    ? [
        [byEngine.podman, 'podman'],
        [byEngine.docker, 'docker'],
      ]
    : [[dep.hostStatePath, undefined]]
  const [hostStatePath, engine] = candidates.find(([p]) => existsSync(p)) ?? candidates[0]
  const view = hostStatePath === dep.statePath ? new LiveView() : new VolumeView(dep.statePath, hostStatePath)
  return {configFile, engine, hostStatePath, kind: 'stopped', metadataAgentConfig, statePath: dep.statePath, told, view}
}
