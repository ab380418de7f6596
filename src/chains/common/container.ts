/**
 * Which running agent of a chain is in a container this node's tool should read through
 * (sources/container.ts): an agent on the host wins (its files are the host's, and the chain reads them
 * as it always has); else the first agent whose cgroup names a container. An agent in another mount
 * namespace with no container in its cgroup is not taken (another host of a test rig, a sandbox).
 */
import {containerOf} from '../../node/container.js'
import {type AgentArgs, parseAgentCmdline} from '../../parse/agent.js'
import type {ContainerRecord} from '../../evidence/evidence.js'
import type {ProcessList} from '../../sources/view.js'

export interface ContainedAgent {
  pid: number
  cmdline: string
  args: AgentArgs
  container: ContainerRecord
}

/** The agents of `programs` in the list, each with its container (undefined: it shares our mount namespace). */
export function agentsOf(list: ProcessList, programs: readonly string[], hint: string): {pid: number; cmdline: string; args: AgentArgs}[] {
  return list.entries.flatMap(({cmdline, pid}) => {
    if (!cmdline.includes(hint)) return []
    const args = parseAgentCmdline(cmdline, programs)
    return args ? [{args, cmdline, pid}] : []
  })
}

/** The agent to read through its container, or undefined: none runs, or one runs on the host. `proc`: where /proc is. */
export function containedAgent(agents: readonly {pid: number; cmdline: string; args: AgentArgs}[], proc = '/proc'): ContainedAgent | undefined {
  const boxed = agents.map((a) => ({...a, container: containerOf(a.pid, proc)}))
  if (boxed.length === 0 || boxed.some((a) => a.container === undefined)) return undefined
  const found = boxed.find((a) => a.container?.engine !== undefined)
  return found?.container ? {...found, container: found.container} : undefined
}
