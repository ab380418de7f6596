/**
 * What `enable` and `disable` share: flags -> apply the wanted settings -> render -> exit code. A
 * service above config/ and render/ (in config/ it made config <-> render a folder cycle).
 */
import {type ApplyResult, type Mode, applyAgentConfig} from './config/apply.js'
import type {Wanted} from './config/edit.js'
import {renderConfigResult} from './render/config-result.js'

export async function runConfigCommand(
  cmd: {jsonEnabled(): boolean},
  flags: {backup: boolean; check: boolean; 'config-file'?: string; 'dry-run': boolean; override?: boolean; restart: boolean},
  wanted: Wanted[],
  wantServing: boolean,
): Promise<ApplyResult> {
  const mode: Mode = flags.check ? 'check' : flags['dry-run'] ? 'dry-run' : 'write'
  const {findDhcpAgentUnit, restartDhcpAgent} = await import('./system/service.js')
  // which unit and how it restarts: told from the node (src/deployments/)
  const [{detectDeployment}, {liveSigns}] = await Promise.all([import('./deployments/detect.js'), import('./deployments/live.js')])
  const deployment = detectDeployment(liveSigns()).name
  const {configPathOn} = await import('./config/deployed.js')
  const where = await configPathOn(deployment, {given: flags['config-file'], mode, override: flags.override === true})
  const outcome = await applyAgentConfig(
    {backup: flags.backup, deployment, wantServing, mode, path: where.path, restart: flags.restart, wanted},
    {
      async notReread(file) {
        const {agentsNotReread} = await import('./chains/dhcp-agent/reread.js')
        return agentsNotReread(file)
      },
      async restart(unit) {
        const target = await findDhcpAgentUnit(unit, deployment)
        await restartDhcpAgent(target)
        return target.unit
      },
    },
  )
  if (where.applyHint) outcome.restartHint = where.applyHint
  if (!cmd.jsonEnabled()) {
    const text = renderConfigResult(outcome, mode, flags.restart, wantServing ? 'enable' : 'disable')
    process.stdout.write(text.stdout)
    process.stderr.write(text.stderr)
  }
  process.exitCode = outcome.exit
  return outcome.result
}
