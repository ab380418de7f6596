/**
 * Agentless hosts (issue 19, item 1): a host with neither Node.js nor quantum-meta, diagnosed over the
 * one ssh connection by a read-only POSIX sh script (sources/agentless/script.ts) whose framed output
 * (frame.ts) becomes a NodeView here (view.ts), under the DHCP agent chain's own collector: the same
 * collector that reads this node and a sosreport, so the same checks judge the same evidence.
 *
 * What the script reads is generated from the collectors' needs, named here: the layouts' paths
 * (layout.ts), the agents' programs and the deployments' signs and log paths (src/deployments/), the
 * host's IPv6 switch and Python package directories (chains/common/ipv6.ts); with --probe, the GET
 * from inside each namespace (python3 there). Not gathered yet: Nova's config on the host and the
 * agent asked as an instance (--probe-as), the journal, the L3 and OVN chains' evidence (a routed
 * network or an OVN chassis is judged by the DHCP chain's evidence here).
 */
import {collectLogs, JOURNAL_LINES} from '../chains/common/log-collect.js'
import {IPV6_SWITCH} from '../chains/common/ipv6.js'
import {collectDhcpNetworks, netnsList, qdhcpNetworks, stateNetworks} from '../chains/dhcp-agent/collect.js'
import {redactNetwork} from '../chains/redact.js'
import {pickDeployment} from '../deployments/detect.js'
import {SIGN_PROGRAMS} from '../deployments/programs.js'
import {DEPLOYMENTS, fill, unitsOf} from '../deployments/registry.js'
import {LOG_TAIL_MAX_BYTES, type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {LAYOUTS, nodePaths} from '../layout.js'
import {DHCP_AGENT_PROGRAMS} from '../parse/agent.js'
import {type Bundle, FRAME_LIMITS} from '../sources/agentless/frame.js'
import {remoteScript, type ScriptNeeds} from '../sources/agentless/script.js'
import {AgentlessView} from '../sources/agentless/view.js'

/** The metadata agent's programs, whose log the checks read (log-collect.ts PROGRAMS['metadata-agent']). */
const METADATA_AGENT_PROGRAMS = ['neutron-metadata-agent', 'quantum-metadata-agent']

/** The Python package directories collectRelease (chains/common/ipv6.ts) lists, and what it looks for in them. */
const PACKAGE_LISTS = [
  {dir: '/usr/lib/python3/dist-packages', glob: 'neutron-*-info'},
  ...['/usr/lib', '/usr/lib64', '/usr/local/lib'].flatMap((base) => [
    {dir: base, glob: 'python3*'},
    {dir: `${base}/python3*/site-packages`, glob: 'neutron-*-info'},
    {dir: `${base}/python3*/dist-packages`, glob: 'neutron-*-info'},
  ]),
]

/** What the script reads, from the collectors' own tables. */
export function scriptNeeds(): ScriptNeeds {
  const layouts = [LAYOUTS.neutron, LAYOUTS.quantum]
  const environNames = new Set<string>()
  // /run/systemd/system: whether the host runs systemd (log-collect.ts then reads the agent's journal)
  const markers = new Set<string>([...layouts.flatMap((l) => [l.configDir, l.agentConfig]), '/run/systemd/system'])
  const logs = new Set<string>()
  const units = new Set<string>()
  for (const dep of DEPLOYMENTS) {
    for (const u of unitsOf({deployment: dep.name, layout: 'neutron'}, 'metadata-agent')) if (/^[\w@.:-]+$/.test(u)) units.add(u)
    for (const sign of dep.signs) {
      const name = sign.environ ? /^\^([A-Za-z_][A-Za-z0-9_]*)=/.exec(sign.environ.source)?.[1] : undefined
      if (name) environNames.add(name)
      for (const p of sign.paths ?? []) markers.add(p)
    }
    for (const layout of layouts)
      for (const where of dep.services['metadata-agent']?.logs ?? []) {
        const path = fill(where, {project: layout.name})
        if (path.startsWith('/')) logs.add(path)
      }
    for (const where of dep.novaMetadata?.logs ?? []) logs.add(where)
  }
  return {
    agentPatterns: [...new Set([...SIGN_PROGRAMS, ...DHCP_AGENT_PROGRAMS, ...METADATA_AGENT_PROGRAMS])],
    environNames: [...environNames].sort(),
    fileCap: FRAME_LIMITS.fileCap,
    files: [IPV6_SWITCH],
    journalLines: JOURNAL_LINES,
    journalUnits: [...units],
    layouts,
    lists: PACKAGE_LISTS,
    logPrograms: METADATA_AGENT_PROGRAMS,
    logs: [...logs],
    markers: [...markers],
    procsCap: FRAME_LIMITS.fileCap,
    tailCap: LOG_TAIL_MAX_BYTES,
  }
}

let script: string | undefined
/** The script, as sent to every host (and printed by --print-remote-script). */
export function agentlessScript(): string {
  script ??= remoteScript(scriptNeeds())
  return script
}

/** The remote words: `[sudo -n] sh -c SCRIPT qm-agentless [--probe] NET` (a checked UUID, an argument, never in the script's text), or `--all`. */
export function agentlessWords(network: string | undefined, user: string, probe = false): string[] {
  return [...(user === 'root' ? [] : ['sudo', '-n']), 'sh', '-c', agentlessScript(), 'qm-agentless', ...(probe ? ['--probe'] : []), network ?? '--all']
}

/**
 * The host's snapshot from what its script sent: the DHCP chain's collector over the bundle's view,
 * the deployment told from the agents' signs it sent, the metadata agent's log end, every secret
 * redacted (again: the bundle was redacted as it arrived).
 */
export async function snapshotOfBundle(bundle: Bundle, host: string, network: string | undefined, tool: string, probe = false): Promise<Snapshot> {
  const view = new AgentlessView(bundle, host)
  const exists = (p: string) => bundle.exists.has(p)
  const paths = nodePaths({}, exists)
  const listed = await netnsList(view)
  const ids = network === undefined ? [...new Set([...qdhcpNetworks(listed), ...(await stateNetworks(view, paths.statePath))])].sort() : [network]
  const networks = await collectDhcpNetworks(view, ids, {...paths, probe}, {listed})
  // the deployment, from the DHCP agents the collection found (their cgroup and signed environment lines) and the marker paths
  const found = networks[0]?.agents
  const signs = (found ?? []).map((a) => ({
    cgroup: bundle.files.get(`/proc/${a.pid}/cgroup`)?.content,
    cmdline: a.cmdline,
    environ: bundle.env.get(a.pid),
    pid: a.pid,
  }))
  const told = pickDeployment(undefined, () => ({agents: signs, exists}))
  for (const ev of networks) Object.assign(ev, {deployment: told.name, deploymentFrom: told.from})
  if (networks.length > 0) {
    const logs = await collectLogs(view, {deployment: told.name, layout: paths.layout}, 'metadata-agent')
    for (const ev of networks) ev.logs = logs
  }
  const seen = new WeakSet<object>()
  for (const ev of networks) redactNetwork(ev, seen)
  return {
    format: SNAPSHOT_FORMAT,
    host: bundle.host ?? host,
    networks,
    note: `agentless: read over ssh from ${host} by quantum-meta's read-only script (nothing installed there)`,
    takenAt: new Date(bundle.nowMs ?? Date.now()).toISOString(),
    tool,
  }
}
