/**
 * Restarting the DHCP agent: the deployment says which unit and how (src/deployments/control.ts;
 * packages: systemd when it runs, else the SysV `service` command); this runs it.
 */
import {existsSync} from 'node:fs'

import {type ControlTarget, restartTarget} from '../deployments/control.js'
import {cannotError} from '../errors.js'
import type {DeploymentName} from '../evidence/evidence.js'
import {run} from './exec.js'

export type RestartOutcome = ControlTarget

/** The unit to restart, preferring the layout's own name when both exist. */
export async function findDhcpAgentUnit(preferred: string, deployment?: DeploymentName): Promise<RestartOutcome> {
  const layout = /^quantum-/.test(preferred) ? 'quantum' : 'neutron'
  return restartTarget({deployment, layout}, 'dhcp-agent', preferred, {exists: existsSync, run: (cmd, args) => run(cmd, args)})
}

export async function restartDhcpAgent(target: RestartOutcome): Promise<void> {
  const [cmd, ...args] = target.argv
  const r = await run(cmd, args, {timeoutMs: 120_000})
  if (r.failedToStart || r.exitCode !== 0) {
    const why = (r.stderr || r.stdout || r.failedToStart || `exit ${r.exitCode}`).trim().split('\n')[0]
    throw cannotError('restart-failed', `restarting ${target.unit} failed: ${why}`)
  }
}
