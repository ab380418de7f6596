/**
 * A deployment as data: where an agent's files are and how its services are run, for one way of
 * installing Neutron (packages, kolla-ansible, TripleO, ...). One file per deployment holds it; the
 * registry (./registry.ts) lists them in detection order; checks ask it for a command, never write one.
 * The model is kube-bench's per-platform config overlays: the checks are the same, the facts differ.
 *
 * Templates: `{project}` is neutron, or quantum on Grizzly (the release axis, evidence.layout);
 * `{unit}` is the service's unit (a systemd unit, a container, a snap app, a daemonset).
 */
import type {DeploymentName} from '../evidence/evidence.js'

export type {DeploymentName} from '../evidence/evidence.js'

/** The services a fix may name. ovn-agent is neutron-ovn-agent (2025.2 on, metadata as its extension). */
export type ServiceName = 'dhcp-agent' | 'metadata-agent' | 'ovn-metadata-agent' | 'ovn-agent' | 'ovn-controller' | 'l3-agent' | 'server'

export const SERVICES: readonly ServiceName[] = ['dhcp-agent', 'metadata-agent', 'ovn-metadata-agent', 'ovn-agent', 'ovn-controller', 'l3-agent', 'server']

/**
 * What a fix asks a service to do. reload: re-read the config without a restart, where the service
 * can (no Neutron agent can: there, reload is the restart). reconfigure: make a config change last
 * where a tool writes the config (kolla-ansible, TripleO, ...); on packages the file is the config.
 */
export type Action = 'restart' | 'start' | 'status' | 'reload' | 'reconfigure'

export interface ServiceEntry {
  /** what the control commands name: a systemd unit, a container, a snap app, a daemonset */
  unit: string
  /** the config files the agent reads, in the order it reads them, as paths on the host (`{project}`) */
  configs: string[]
  /** where an operator changes a setting so that it lasts, when not the last of `configs` (a tool regenerates them) */
  edit?: string
  /** where the service logs, on the host ('journal' when only the journal has it) */
  logs: string[]
  /** the service's own pid file, when the deployment writes one */
  pidFile?: string
  /** a command of this service that differs from the deployment's template */
  control?: Partial<Record<Action, string>>
}

/**
 * One sign of a deployment on a node; every condition given must hold. The process conditions are
 * matched against one agent process (its /proc/PID/cmdline, cgroup and environment), `paths` against
 * the node's filesystem (any one of them exists).
 */
export interface Sign {
  cmdline?: RegExp
  cgroup?: RegExp
  /** a NAME=value line of the agent's environment (only the matched line is ever recorded) */
  environ?: RegExp
  paths?: string[]
}

export interface Deployment {
  name: DeploymentName
  /** the name an operator knows it by */
  title: string
  /** the short label a fix gives another deployment's command (`kolla: docker start ...`) */
  label: string
  /**
   * true: detected and used (paths, fixes, enable --restart) by this version; false: the facts are
   * recorded here, the collectors do not read through containers yet (issue 18)
   */
  works: boolean
  /** the agents run in containers (a container's cgroup on a host process rules it out) */
  containers: boolean
  /** state_path as the agent sees it */
  statePath: string
  /** where state_path is on the host */
  hostStatePath: string
  /** where state_path is on the host per container engine, when the engines keep it apart (kolla's named volume: docker's, podman's) */
  hostStatePathByEngine?: {docker: string; podman: string}
  /** metadata_proxy_socket as the agent sees it */
  metadataSocket: string
  /** the command per action, `{unit}` the service's unit; an action absent here and on the service falls back to restart (reload, start) or has none (reconfigure) */
  control: Partial<Record<Action, string>>
  /** enable --restart on this node: how to find the unit and run the action (packages: systemd, else SysV) */
  exec?: ExecPlan
  /** the deployment a fix may also name when this one is only the default (packages: kolla, the one most often met instead) */
  also?: DeploymentName
  /** the signs, in the order they are tried */
  signs: Sign[]
  services: Partial<Record<ServiceName, ServiceEntry>>
  /**
   * Nova's metadata API where this deployment puts it on a node that runs it (a controller, an
   * all-in-one, a Sunbeam hypervisor): its nova.conf and its log, as host paths; absent where not known
   */
  novaMetadata?: {configs: string[]; logs: string[]}
}

/**
 * How a service is found and driven on the node itself (argv, never a shell): `probe` asks the
 * service manager whether the unit exists (its stdout `loaded`), `script` is the SysV script whose
 * presence means the other manager, `run` the action's argv for each.
 */
export interface ExecPlan {
  /** the service manager is running when this path exists */
  managerRunning: string
  probe: string[]
  run: Record<'restart', string[]>
  fallback: {script: string; run: Record<'restart', string[]>}
}
