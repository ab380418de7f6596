/**
 * The deployments, and what a fix asks them: the unit of a service, the command that restarts,
 * starts, reloads or shows it, how a setting is made to last. A fix names a service and passes the
 * evidence (its `layout`, the release, and `deployment`); it never writes a command itself.
 */
import {DEFAULT_DEPLOYMENT, type DeploymentName, type LayoutName} from '../evidence/evidence.js'
import {charms} from './charms.js'
import {edpm} from './edpm.js'
import {kolla} from './kolla.js'
import {openstackAnsible} from './openstack-ansible.js'
import {openstackHelm} from './openstack-helm.js'
import {packages} from './packages.js'
import {PROGRAMS} from './programs.js'
import {rdo} from './rdo.js'
import {snap} from './snap.js'
import {tripleo} from './tripleo.js'
import type {Action, Deployment, ServiceEntry, ServiceName} from './types.js'

/**
 * In detection order: the signs of the deployments that put agents in containers or snaps first (a
 * RHEL host of TripleO containers is TripleO, not RDO), then the host ones; packages, with no sign,
 * is what is left.
 */
export const DEPLOYMENTS: readonly Deployment[] = [snap, openstackHelm, kolla, tripleo, edpm, openstackAnsible, charms, rdo, packages]

const BY_NAME = new Map<DeploymentName, Deployment>(DEPLOYMENTS.map((d) => [d.name, d]))

export function deploymentNamed(name: DeploymentName): Deployment {
  return BY_NAME.get(name) ?? packages
}

/** What a command is for: the release's naming (evidence.layout) and the deployment (absent: packages, as in older snapshots). */
export interface Scope {
  layout: LayoutName
  deployment?: DeploymentName
  /** the agent's container, where the evidence found one: its engine names the container commands (`podman restart ...`) */
  container?: {engine?: string}
  /** the engine of a stopped container's volume, when no running agent showed one */
  containerEngine?: string
}

/** The container engine a command names: the one the agent's cgroup showed, else docker (kolla's default). */
const engineOf = (scope: Pick<Scope, 'container' | 'containerEngine'>): string =>
  (scope.container?.engine ?? scope.containerEngine) === 'podman' ? 'podman' : 'docker'

export const deploymentOf = (scope: Pick<Scope, 'deployment'>): Deployment => deploymentNamed(scope.deployment ?? DEFAULT_DEPLOYMENT)

/** The deployment and entry that run `service`: a deployment without it (a snap has no DHCP agent) is read as packages. */
function entryOf(scope: Scope, service: ServiceName): {dep: Deployment; entry: ServiceEntry} {
  const dep = deploymentOf(scope)
  const entry = dep.services[service]
  if (entry) return {dep, entry}
  return {dep: packages, entry: packages.services[service]!}
}

/** A template with `{project}` (neutron or quantum), `{unit}` and `{engine}` filled in; other braces are left as they are. */
export function fill(template: string, vars: {project: string; unit?: string; engine?: string}): string {
  return template.replace(/\{(project|unit|engine)\}/g, (whole, key: 'project' | 'unit' | 'engine') => vars[key] ?? whole)
}

/** The unit a command names: the systemd unit, container, snap app or daemonset of `service`. */
export function unitOf(scope: Scope, service: ServiceName): string {
  return fill(entryOf(scope, service).entry.unit, {project: scope.layout})
}

/** The program (console script) of `service` in this release, as a process list shows it. */
export const programOf = (scope: Pick<Scope, 'layout'>, service: ServiceName): string => fill(PROGRAMS[service], {project: scope.layout})

type Control = Exclude<Action, 'reconfigure'>

/**
 * The command that does `action` to `service`, as an operator types it. Where the service has no
 * such action (no Neutron agent reloads; a daemonset is not started) the restart does it.
 */
export function command(scope: Scope, action: Control, service: ServiceName): string {
  const {dep, entry} = entryOf(scope, service)
  const template = entry.control?.[action] ?? dep.control[action] ?? entry.control?.restart ?? dep.control.restart!
  return fill(template, {engine: engineOf(scope), project: scope.layout, unit: fill(entry.unit, {project: scope.layout})})
}

export const restart = (scope: Scope, service: ServiceName) => command(scope, 'restart', service)

/** How a config change is made to last where a tool writes the config (kolla-ansible, TripleO, charms...); undefined on packages, where the file is the config. */
export function reconfigure(scope: Scope): string | undefined {
  return deploymentOf(scope).control.reconfigure
}

/**
 * The same action in the deployment most often met instead, labelled (`kolla: docker start
 * neutron_ovn_metadata_agent`), for a fix on a deployment that may only be the default; undefined
 * for the others.
 */
export function alsoCommand(scope: Scope, action: Control, service: ServiceName): string | undefined {
  const other = alsoAction(scope, action, service)
  return other && `${other.label}: ${other.command}`
}

/** alsoCommand as parts: the other deployment's label and its command alone (a fix's alternative). */
export function alsoAction(scope: Scope, action: Control, service: ServiceName): {label: string; command: string} | undefined {
  const other = deploymentOf(scope).also
  if (other === undefined) return undefined
  return {command: command({...scope, deployment: other}, action, service), label: deploymentNamed(other).label}
}

/**
 * The restart of `service` as enable prints it when it did not restart: the command, and where the
 * deployment drives services through a second manager (SysV `service` on packages) that one too.
 */
export function restartHint(scope: Scope, service: ServiceName, unit = unitOf(scope, service)): string {
  const {dep, entry} = entryOf(scope, service)
  const vars = {engine: engineOf(scope), project: scope.layout, unit}
  const first = fill(entry.control?.restart ?? dep.control.restart!, vars)
  const other = dep.exec?.fallback.run.restart
  return other ? `${first}  (or: ${other.map((a) => fill(a, vars)).join(' ')})` : first
}

/** Every unit name `service` has in this deployment across releases (Neutron's, Quantum's): the layout's own first. */
export function unitsOf(scope: Scope, service: ServiceName): string[] {
  const order: LayoutName[] = scope.layout === 'quantum' ? ['quantum', 'neutron'] : ['neutron', 'quantum']
  return [...new Set(order.map((layout) => unitOf({...scope, layout}, service)))]
}
