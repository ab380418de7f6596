/** The node's namespace list, read once per run: every chain finds its namespaces in it. */
import type {CommandRecord} from '../evidence/evidence.js'
import {cannotError} from '../errors.js'
import {command} from './records.js'

export async function listNamespaces(): Promise<CommandRecord> {
  const r = await command('ip', ['netns', 'list'])
  if (r.error) throw cannotError('ip-missing', `cannot run ip (iproute2): ${r.error}`)
  return r
}
