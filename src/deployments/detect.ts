/**
 * Telling the deployment from the node, purely: what the agents' processes show (their command line,
 * cgroup, environment) and which marker paths exist, against each deployment's signs
 * (../shared/reference/containers-nova.md 1.6). A sign on an agent process wins over a marker path
 * (a leftover /etc/kolla does not make a node of host agents kolla); when an agent runs on the host,
 * outside any container, the container deployments' marker paths are not asked; with no sign at all
 * the node is packages. `--deployment NAME` says it instead.
 */
import {DEFAULT_DEPLOYMENT, type DeploymentName} from '../evidence/evidence.js'
import {parseAgentCmdline} from '../parse/agent.js'
import {CONTAINER_CGROUP} from './common.js'
import {SIGN_PROGRAMS} from './programs.js'
import {DEPLOYMENTS} from './registry.js'
import type {Deployment, Sign} from './types.js'

/** One agent process as /proc shows it: cmdline verbatim (NUL-separated), cgroup and environ when readable. */
export interface AgentProcess {
  pid: number
  cmdline: string
  cgroup?: string
  environ?: string
}

/** What detection reads of a node: its agent processes, and whether a path exists. */
export interface NodeSigns {
  agents: AgentProcess[]
  exists(path: string): boolean
}

/** The deployment, and how it was told (recorded in the evidence as deploymentFrom). */
export interface Told {
  name: DeploymentName
  from: string
}

const clip = (s: string, max = 160) => (s.length > max ? `${s.slice(0, max)}…` : s)

/** The program of an agent process (neutron-dhcp-agent ...), else undefined: not an agent. */
export const agentProgram = (cmdline: string): string | undefined => parseAgentCmdline(cmdline, SIGN_PROGRAMS)?.program

/** The line of a multi-line (or NUL-separated) text that matches, to say what was seen. */
function matchedLine(text: string, re: RegExp, sep: RegExp): string | undefined {
  return text.split(sep).find((l) => re.test(l))
}

/** How `sign` holds on the node (with `agent` for the process conditions), in words; undefined when it does not. */
function holds(sign: Sign, node: NodeSigns, agent?: AgentProcess): string | undefined {
  const seen: string[] = []
  if (sign.cmdline || sign.cgroup || sign.environ) {
    if (!agent) return undefined
    if (sign.cmdline) {
      const m = sign.cmdline.exec(agent.cmdline)
      if (!m) return undefined
      // what matched, not the whole command line (it is not redacted here)
      seen.push(`its command line holds ${clip(m[0].replaceAll('\0', ' '))}`)
    }
    if (sign.cgroup) {
      const line = agent.cgroup === undefined ? undefined : matchedLine(agent.cgroup, sign.cgroup, /\n/)
      if (line === undefined) return undefined
      seen.push(`its cgroup ${clip(line)}`)
    }
    if (sign.environ) {
      const line = agent.environ === undefined ? undefined : matchedLine(agent.environ, sign.environ, /\0/)
      if (line === undefined) return undefined
      // only the variable the sign names is kept (the environment may hold secrets)
      seen.push(`${clip(line, 120)} in its environment`)
    }
  }
  if (sign.paths) {
    const path = sign.paths.find((p) => node.exists(p))
    if (path === undefined) return undefined
    seen.push(`${path} exists`)
  }
  const what = seen.join(' and ')
  return agent ? `pid ${agent.pid} (${agentProgram(agent.cmdline) ?? 'agent'}): ${what}` : what
}

const isProcessSign = (s: Sign) => Boolean(s.cmdline || s.cgroup || s.environ)

/** The deployment of a node, from its signs; packages when none shows. */
export function detectDeployment(node: NodeSigns, deployments: readonly Deployment[] = DEPLOYMENTS): Told {
  const agents = node.agents.filter((a) => agentProgram(a.cmdline) !== undefined)
  for (const dep of deployments) {
    for (const sign of dep.signs.filter(isProcessSign)) {
      for (const agent of agents) {
        const why = holds(sign, node, agent)
        if (why !== undefined) return {from: why, name: dep.name}
      }
    }
  }
  // an agent whose cgroup shows no container runs on the host: no container deployment's leftover path counts
  const onHost = agents.find((a) => a.cgroup !== undefined && !CONTAINER_CGROUP.test(a.cgroup))
  for (const dep of deployments) {
    if (onHost && dep.containers) continue
    for (const sign of dep.signs.filter((s) => !isProcessSign(s))) {
      const why = holds(sign, node)
      if (why !== undefined) return {from: why, name: dep.name}
    }
  }
  return {from: `no other deployment's sign on this node: ${DEFAULT_DEPLOYMENT} (the default)`, name: DEFAULT_DEPLOYMENT}
}

/** --deployment NAME when given, else what the node shows (`node` is read only then). */
export function pickDeployment(flag: DeploymentName | undefined, node: () => NodeSigns): Told {
  if (flag !== undefined) return {from: '--deployment', name: flag}
  return detectDeployment(node())
}
