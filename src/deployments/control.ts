/**
 * Driving a service on this node (enable --restart): which unit, through which manager, with which
 * argv. Packages: the first of the service's units (the layout's own name first) that systemd has
 * loaded, else the first with a SysV script, else the first under whichever manager runs. Another
 * deployment: its restart command, split into words. The running is the caller's (system/service.ts).
 */
import {deploymentOf, fill, restart, type Scope, unitsOf} from './registry.js'
import type {ServiceName} from './types.js'

export interface ControlTarget {
  unit: string
  /** the manager that runs it: systemd, service (SysV), or the deployment's own tool */
  manager: string
  argv: string[]
}

export interface ControlDeps {
  run(cmd: string, args: string[]): Promise<{exitCode: number | null; stdout: string}>
  exists(path: string): boolean
}

/** The restart of `service` on this node, `preferred` the unit to try first. */
export async function restartTarget(scope: Scope, service: ServiceName, preferred: string, deps: ControlDeps): Promise<ControlTarget> {
  const dep = deploymentOf(scope)
  const exec = dep.exec
  if (!exec) {
    const argv = restart(scope, service).split(' ').filter(Boolean)
    return {argv, manager: argv[0], unit: preferred}
  }
  const order = [preferred, ...unitsOf(scope, service).filter((u) => u !== preferred)]
  const argvOf = (template: string[], unit: string) => template.map((a) => fill(a, {project: scope.layout, unit}))
  const managed = deps.exists(exec.managerRunning)
  if (managed) {
    for (const unit of order) {
      const [cmd, ...args] = argvOf(exec.probe, unit)
      const r = await deps.run(cmd, args)
      if (r.exitCode === 0 && r.stdout.trim() === 'loaded') return {argv: argvOf(exec.run.restart, unit), manager: exec.probe[0], unit}
    }
  }
  for (const unit of order) {
    if (deps.exists(fill(exec.fallback.script, {project: scope.layout, unit})))
      return {argv: argvOf(exec.fallback.run.restart, unit), manager: exec.fallback.run.restart[0], unit}
  }
  return managed
    ? {argv: argvOf(exec.run.restart, preferred), manager: exec.probe[0], unit: preferred}
    : {argv: argvOf(exec.fallback.run.restart, preferred), manager: exec.fallback.run.restart[0], unit: preferred}
}
