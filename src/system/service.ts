/**
 * Restarting the DHCP agent: systemd when it runs (unit neutron-dhcp-agent or quantum-dhcp-agent),
 * else the SysV `service` command.
 */
import {existsSync} from 'node:fs'

import {cannotError} from '../errors.js'
import {run} from './exec.js'

export interface RestartOutcome {
  unit: string
  manager: 'service' | 'systemd'
}

const UNITS = ['neutron-dhcp-agent', 'quantum-dhcp-agent']

/** The unit to restart, preferring the layout's own name when both exist. */
export async function findDhcpAgentUnit(preferred: string): Promise<RestartOutcome> {
  const order = [preferred, ...UNITS.filter((u) => u !== preferred)]
  if (existsSync('/run/systemd/system')) {
    for (const unit of order) {
      const r = await run('systemctl', ['show', '--property=LoadState', '--value', `${unit}.service`])
      if (r.exitCode === 0 && r.stdout.trim() === 'loaded') return {manager: 'systemd', unit}
    }
  }
  for (const unit of order) if (existsSync(`/etc/init.d/${unit}`)) return {manager: 'service', unit}
  return {manager: existsSync('/run/systemd/system') ? 'systemd' : 'service', unit: preferred}
}

export async function restartDhcpAgent(target: RestartOutcome): Promise<void> {
  const r =
    target.manager === 'systemd'
      ? await run('systemctl', ['restart', `${target.unit}.service`], {timeoutMs: 120_000})
      : await run('service', [target.unit, 'restart'], {timeoutMs: 120_000})
  if (r.failedToStart || r.exitCode !== 0) {
    const why = (r.stderr || r.stdout || r.failedToStart || `exit ${r.exitCode}`).trim().split('\n')[0]
    throw cannotError('restart-failed', `restarting ${target.unit} failed: ${why}`)
  }
}
