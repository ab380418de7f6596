/**
 * Which dhcp_agent.ini `enable` and `disable` edit on this node. Packages (and the other deployments
 * whose agents read the host's files): --config-file, else the layout's default. A deployment that
 * generates the agent's config (kolla-ansible, TripleO) rewrites the host file on its next deploy, and
 * its container reads a copy made at start: the file is not edited there unless the operator names it
 * (--config-file) or, on kolla-ansible, asks for the override (--override: the operator's
 * /etc/kolla/config/neutron/dhcp_agent.ini, which kolla-ansible merges into the generated file). A
 * check reads the generated file, as the agent gets it.
 */
import {constants} from 'node:fs'
import {mkdir, open} from 'node:fs/promises'
import {dirname} from 'node:path'

import {deploymentNamed, reconfigure} from '../deployments/registry.js'
import type {DeploymentName} from '../evidence/evidence.js'
import {cannotError, usageError} from '../errors.js'
import {agentConfigPath} from '../layout.js'
import type {Mode} from './apply.js'

export interface ConfigTarget {
  path: string
  /** how the change is applied when it is not a restart of the agent on this node (kolla: reconfigure on the deploy host) */
  applyHint?: string
}

/** The file to edit (or check) on a node of `deployment`; refuses (exit 2, saying where the setting goes) where the host file is generated. */
export async function configPathOn(
  deployment: DeploymentName,
  req: {given?: string; mode: Mode; override: boolean},
  exists?: (p: string) => boolean,
): Promise<ConfigTarget> {
  const dep = deploymentNamed(deployment)
  const entry = dep.services['dhcp-agent']
  const generated = entry?.configs.at(-1)
  if (req.override) {
    if (!entry?.edit) throw usageError('no-override', `--override: ${dep.title} has no operator override file for the DHCP agent's config (kolla-ansible has)`)
    if (req.mode === 'write') await createEmpty(entry.edit)
    return {
      applyHint: `${reconfigure({deployment, layout: 'neutron'})} on the deploy host (this file belongs there: kolla-ansible merges it into ${generated} and restarts the container)`,
      path: entry.edit,
    }
  }
  if (req.given !== undefined || !dep.containers || generated === undefined) return {path: agentConfigPath(req.given, exists)}
  // a generated file: the check reads it as the agent gets it; a change there lasts until the next deploy
  if (req.mode === 'check') return {path: generated}
  const lasting = reconfigure({deployment, layout: 'neutron'})
  const how = entry?.edit
    ? `set it in the override ${entry.edit} on the deploy host and run ${lasting} (--override writes that file here)`
    : `set it where ${dep.title} keeps it${lasting ? ` (${lasting})` : ''}`
  throw usageError(
    'generated-config',
    `this node is ${dep.title}: ${generated} is generated, and the next deploy rewrites it; ${how}, or give --config-file ${generated} to edit it anyway until then`,
  )
}

/** The override file, made empty when missing (its directory too), never truncated when there. */
export async function createEmpty(path: string): Promise<void> {
  try {
    await mkdir(dirname(path), {mode: 0o755, recursive: true})
    const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    await fh.close()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    throw cannotError('config-write-failed', `${path}: cannot create it (${code ?? String(error)})`)
  }
}
