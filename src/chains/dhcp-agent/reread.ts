/**
 * For `enable --restart` when nothing changed: has the running DHCP agent read the config file? A
 * run before may have written it and failed to restart; config.agent-restarted's rule, on this node.
 */
import {realpath, stat} from 'node:fs/promises'

import {LiveView} from '../../sources/live.js'
import {dhcpAgents} from './collect.js'
import {staleReaders} from './config.js'

/** The pids of the running agents that read `file` and started before its last change (none: all read it, or none runs). */
export async function agentsNotReread(file: string): Promise<number[]> {
  const [found, st, real] = await Promise.all([dhcpAgents(new LiveView()), stat(file), realpath(file).catch(() => file)])
  if (!found) return []
  const config = {mtime: st.mtime.toISOString(), path: file, realpath: real, state: 'present' as const}
  return staleReaders({agents: found.agents, config}).map((a) => a.pid)
}
