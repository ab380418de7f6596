/**
 * The signs of this node, read live: the agent processes in /proc (or the ones a collection already
 * found), each one's cgroup and environment (root reads another user's environ; unreadable is left
 * out), and the filesystem for marker paths.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import {type AgentProcess, agentProgram, type NodeSigns} from './detect.js'

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}

/** Every agent process in /proc: one pass over the command lines. */
function scanAgents(proc: string): {pid: number; cmdline: string}[] {
  const out: {pid: number; cmdline: string}[] = []
  let pids: string[]
  try {
    pids = readdirSync(proc)
  } catch {
    return out
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue
    const cmdline = read(`${proc}/${pid}/cmdline`)
    // every program of SIGN_PROGRAMS ends in -agent, -server or is ovn-controller: the rest (dnsmasq,
    // haproxy, one each per network) is passed over without being split
    if (cmdline === undefined || !/-agent|-server|ovn-controller/.test(cmdline)) continue
    if (agentProgram(cmdline) !== undefined) out.push({cmdline, pid: Number(pid)})
  }
  return out
}

/**
 * This node's signs. `known`: the agent processes a collection already looked for (pid and cmdline,
 * maybe none: then the marker paths decide), so /proc is not walked again; undefined: walk /proc.
 */
export function liveSigns(known?: {pid: number; cmdline: string}[], proc = '/proc'): NodeSigns {
  const found = known ?? scanAgents(proc)
  const seen = new Set<number>()
  const agents: AgentProcess[] = []
  for (const a of found) {
    if (seen.has(a.pid)) continue
    seen.add(a.pid)
    // a recorded pid may have gone and been reused since: only the same command line is that agent
    if (known && read(`${proc}/${a.pid}/cmdline`) !== a.cmdline) continue
    agents.push({cgroup: read(`${proc}/${a.pid}/cgroup`), cmdline: a.cmdline, environ: read(`${proc}/${a.pid}/environ`), pid: a.pid})
  }
  return {agents, exists: existsSync}
}
