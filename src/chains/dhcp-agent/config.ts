import {posix} from 'node:path'

import {type AgentSettings, BOOL_KEYS, type BoolKey, type BoolSetting, metadataVerdict, readSettings} from '../../config/dhcp-agent.js'
import {IniSyntaxError, parseIni} from '../../config/oslo-ini.js'
import {command, deploymentOf, programOf, reconfigure, unitOf} from '../../deployments/registry.js'
import {parseAgentCmdline} from '../../parse/agent.js'
import {clip, quoteLines, shq} from '../common/text.js'
import {notInEvidence} from '../common/evidence.js'
import {restartAgent} from './facts.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {type Check, type Finding, type Fix, cmd, conf, fail, notJudged, pass, skip, warn} from '../types.js'
import {START_TOLERANCE_MS} from '../common/evidence.js'

export const configMetadataEnabled: Check = {
  id: 'config.metadata-enabled',
  needs: [],
  title: 'enable_isolated_metadata or force_metadata is true in the agent config',
  run(ev) {
    const file = ev.config
    const fix = `quantum-meta enable --config-file ${shq(file.path)} --restart`
    if (file.state === 'not-collected') return notJudged(notInEvidence(file))
    if (file.state !== 'present' || file.content === undefined) {
      return fail(
        `cannot read the agent config ${file.path} (${file.state === 'missing' ? 'no such file' : (file.error ?? file.state)})`,
        [],
        cmd(
          `pgrep -af ${shq(programOf(ev, 'dhcp-agent'))}`,
          `the running agent's --config-file arguments: pass its dhcp_agent.ini to quantum-meta diagnose ${ev.network} with --config-file`,
        ),
      )
    }
    let ini
    try {
      ini = parseIni(file.content)
    } catch (error) {
      if (error instanceof IniSyntaxError)
        return fail(
          `oslo.config cannot read ${file.path}: ${error.message}; the agent does not start`,
          [],
          cmd(
            `"\${EDITOR:-vi}" +${error.lineNumber} ${shq(file.path)}`,
            `correct line ${error.lineNumber}, keeping every other line; then ${restartAgent(ev)}`,
          ),
        )
      throw error
    }
    const s = readSettings(ini)
    const merged = mergedWithAgentFiles(ev, s)
    if (merged) return merged
    const v = metadataVerdict(s)
    const lines = [s.enable_isolated_metadata.line, s.force_metadata.line, s.enable_metadata_network.line].filter((n): n is number => n !== undefined)
    const evidence =
      lines.length > 0
        ? quoteLines(
            file.path,
            file.content,
            lines.sort((a, b) => a - b),
          )
        : [`${file.path}: no enable_isolated_metadata or force_metadata line in [DEFAULT]`]
    if (v.valid && v.serves) return pass(v.reason, evidence)
    return fail(
      v.reason,
      evidence,
      containerConfigFix(ev, file.path, 'enable_isolated_metadata = True') ??
        cmd(fix, `sets enable_isolated_metadata = True, keeping the rest of the file; the ${unitOf(ev, 'dhcp-agent')} restart re-creates the proxy and opts`),
    )
  },
}

const normalize = (p: string) => posix.normalize(p)

/** Whether a config's metadata switches serve isolated metadata (false when it cannot be read). */
function serves(content: string): boolean {
  try {
    const v = metadataVerdict(readSettings(parseIni(content)))
    return v.valid && v.serves
  } catch {
    return false
  }
}

/**
 * The fix of a metadata switch in `path` when the agent runs in a container: the file it reads is a
 * copy the deployment made when the container started. When the host's source already serves, the
 * container has not been restarted since it changed: the restart is the fix. Else the setting goes
 * where the deployment keeps it: kolla's override on the deploy host (then its reconfigure; the host
 * copy and a restart as the quick way), TripleO's puppet-generated file (then the unit's restart).
 * Undefined where the agent shares the host's files (the file is the config).
 */
export function containerConfigFix(ev: NetworkEvidence, path: string, set: string): Fix | undefined {
  if (!ev.container) return undefined
  const entry = deploymentOf(ev).services['dhcp-agent']
  const pair = ev.hostConfigs?.find((h) => h.copy === path)
  if (pair?.host.content !== undefined && serves(pair.host.content))
    return cmd(restartAgent(ev), `${pair.host.path} on the host already serves metadata; the container reads ${path}, the copy made when it last started`)
  const host = pair?.host.path ?? entry?.configs.find((c) => posix.basename(c) === posix.basename(path))
  if (host === undefined) return undefined
  const lasting = reconfigure(ev)
  const quick = conf(
    host,
    'DEFAULT',
    set,
    `the container copies ${host} to ${path} when it starts: then ${restartAgent(ev)}${lasting ? `; the next deploy rewrites ${host} (${lasting})` : ''}`,
  )
  if (entry?.edit && lasting)
    return conf(entry.edit, 'DEFAULT', set, `on the deploy host, the override the deployment merges into ${host}; then ${lasting}`, quick)
  return quick
}

/** The running agents (in our mount namespace) whose --config-file/--config-dir include the judged file. */
function agentsReading(ev: Pick<NetworkEvidence, 'agents' | 'config'>) {
  const file = ev.config
  const names = new Set([file.path, file.realpath].filter((n): n is string => n !== undefined).map(normalize))
  const reads = (path: string) => names.has(normalize(path))
  const agents = (ev.agents ?? []).map((a) => ({...a, args: parseAgentCmdline(a.cmdline)}))
  const readers = agents.filter(
    (a) => a.args?.configFiles.some(reads) || a.args?.configDirs.some((d) => [...names].some((n) => n.startsWith(`${normalize(d)}/`))),
  )
  return {agents, reads, readers}
}

/**
 * oslo.config reads every --config-file/--config-dir of the agent, later ones winning: a switch in
 * neutron.conf or in a conf.d file counts too (RDO runs the agent with --config-dir). When another
 * file the running agent reads sets one of the switches, the verdict is the merged one, naming the
 * file that decides. Undefined when no other file sets any (the verdict is dhcp_agent.ini's alone).
 */
function mergedWithAgentFiles(ev: NetworkEvidence, own: AgentSettings): Omit<Finding, 'id'> | undefined {
  const {reads, readers} = agentsReading(ev)
  const configs = readers.find((a) => a.configs !== undefined)?.configs
  if (!configs) return undefined
  type Merged = BoolSetting & {path: string; content: string}
  const merged = Object.fromEntries(BOOL_KEYS.map((k) => [k, {path: ev.config.path, content: ev.config.content ?? '', ...own[k]}])) as Record<BoolKey, Merged>
  let foreign = false
  for (const rec of configs) {
    if (reads(rec.path) || (rec.realpath && reads(rec.realpath))) {
      for (const k of BOOL_KEYS) if (own[k].line !== undefined) merged[k] = {...own[k], content: ev.config.content ?? '', path: ev.config.path}
      continue
    }
    if (rec.content === undefined) continue
    let theirs: AgentSettings
    try {
      theirs = readSettings(parseIni(rec.content))
    } catch {
      continue // the agent itself would not start; the file judged is what this check reads
    }
    for (const k of BOOL_KEYS) {
      if (theirs[k].line === undefined) continue
      merged[k] = {...theirs[k], content: rec.content, path: rec.path}
      foreign = true
    }
  }
  if (!foreign) return undefined
  const at = (k: BoolKey) =>
    merged[k].line === undefined ? `${k} is not set (default False)` : `${k} = ${merged[k].raw} (${merged[k].path}:${merged[k].line})`
  const evidence = BOOL_KEYS.filter((k) => merged[k].line !== undefined).flatMap((k) => quoteLines(merged[k].path, merged[k].content, [merged[k].line!]))
  const order = `the agent reads ${configs.map((c) => c.path).join(', ')}; later files win`
  const bad = BOOL_KEYS.find((k) => merged[k].value === null)
  if (bad)
    return fail(
      `${at(bad)} is not a boolean oslo.config accepts: the agent will refuse to start (${order})`,
      evidence,
      cmd(
        `"\${EDITOR:-vi}" +${merged[bad].line} ${shq(merged[bad].path)}`,
        `put True or False in place of the value of ${bad} oslo.config rejects (line ${merged[bad].line}), keeping every other line; then ${restartAgent(ev)}`,
      ),
    )
  if (merged.force_metadata.value) return pass(`${at('force_metadata')}: every network gets a metadata proxy (${order})`, evidence)
  if (merged.enable_isolated_metadata.value) return pass(`${at('enable_isolated_metadata')} (${order})`, evidence)
  const decisive = merged.enable_isolated_metadata
  const fix =
    containerConfigFix(ev, decisive.line !== undefined ? decisive.path : ev.config.path, 'enable_isolated_metadata = True') ??
    (decisive.line !== undefined && decisive.path !== ev.config.path
      ? conf(decisive.path, 'DEFAULT', 'enable_isolated_metadata = True', `it overrides ${ev.config.path}; then ${restartAgent(ev)}`)
      : cmd(
          `quantum-meta enable --config-file ${shq(ev.config.path)} --restart`,
          'sets enable_isolated_metadata = True, keeping the rest of the file, and restarts the agent',
        ))
  return fail(`${at('enable_isolated_metadata')} and force_metadata is off: isolated metadata is not served (${order})`, evidence, fix)
}

/** The metadata switches a config sets, in words (`enable_isolated_metadata = True, force_metadata unset`); undefined when unreadable. */
function switchesOf(content: string): Record<BoolKey, string> | undefined {
  try {
    const s = readSettings(parseIni(content))
    return Object.fromEntries(BOOL_KEYS.map((k) => [k, s[k].line === undefined ? 'unset' : s[k].raw])) as Record<BoolKey, string>
  } catch {
    return undefined
  }
}

/** The host sources whose metadata switches differ from the container's copy of them (ev.hostConfigs against the agent's configs). */
export function changedOnHost(ev: NetworkEvidence): {host: string; copy: string; keys: string[]; hostSays: string; copySays: string}[] {
  const copies = new Map((ev.agents ?? []).flatMap((a) => a.configs ?? []).map((c) => [c.path, c]))
  if (ev.config.content !== undefined) copies.set(ev.config.path, ev.config)
  const out = []
  for (const {host, copy} of ev.hostConfigs ?? []) {
    const theirs = copies.get(copy)
    if (host.content === undefined || theirs?.content === undefined) continue
    const [h, c] = [switchesOf(host.content), switchesOf(theirs.content)]
    if (!h || !c) continue
    const keys = BOOL_KEYS.filter((k) => h[k] !== c[k])
    if (keys.length === 0) continue
    const say = (x: Record<BoolKey, string>) => keys.map((k) => `${k} ${x[k] === 'unset' ? 'unset' : `= ${x[k]}`}`).join(', ')
    out.push({copy, copySays: say(c), host: host.path, hostSays: say(h), keys})
  }
  return out
}

/**
 * The agent applies its config only when it starts: a DHCP agent must run, read the file judged
 * above, and have started after that file last changed. Warnings only: the links below show
 * whether the running agent's state is actually wrong.
 */
/** The running agents that read the config file and started before its last change: they have not read it. */
export function staleReaders(ev: Pick<NetworkEvidence, 'agents' | 'config'>) {
  if (ev.config.mtime === undefined) return []
  const changed = Date.parse(ev.config.mtime)
  return agentsReading(ev).readers.filter((a) => a.startedAt !== undefined && Date.parse(a.startedAt) < changed - START_TOLERANCE_MS)
}

export const configAgentRestarted: Check = {
  id: 'config.agent-restarted',
  needs: [],
  warnOnly: true,
  title: 'a running DHCP agent reads this config file and started after its last change (warns only)',
  run(ev) {
    const service = programOf(ev, 'dhcp-agent')
    if (ev.agents === undefined) return skip('DHCP agent processes were not collected (a transcript or an older snapshot)')
    if (ev.agents.length === 0) {
      return warn(
        `no ${service} process on this node: nothing applies config changes, or respawns dnsmasq and the proxy when they die`,
        [`${ev.agentsFrom ?? '/proc'}: no process runs neutron-dhcp-agent or quantum-dhcp-agent`],
        cmd(command(ev, 'start', 'dhcp-agent'), 'the agent applies its config, and respawns dnsmasq and the proxy'),
      )
    }
    const file = ev.config
    const {agents, readers} = agentsReading(ev)
    const line = (a: (typeof agents)[number]) => `pid ${a.pid}${a.startedAt ? ` started ${a.startedAt}` : ''}: ${clip(a.cmdline.replaceAll('\0', ' ').trim())}`
    if (readers.length === 0 && agents.some((a) => a.sameMountNamespace === false)) {
      const boxed = agents.filter((a) => a.sameMountNamespace === false)
      return skip(
        `the DHCP agent (pid ${boxed.map((a) => a.pid).join(', ')}) runs in a container (another mount namespace): the files it names are inside it, so whether it reads ${file.path} cannot be told from here`,
        boxed.map(line),
      )
    }
    if (readers.length === 0) {
      const reads = agents.map((a) => `pid ${a.pid} reads ${a.args?.configFiles.join(', ') || 'only its default files'}`).join('; ')
      const other = agents.flatMap((a) => a.args?.configFiles ?? []).find((f) => /dhcp_agent\.ini$/.test(f))
      return warn(
        `no running DHCP agent reads ${file.path} (${reads}): what it says does not reach the agent`,
        agents.map(line),
        other
          ? cmd(`quantum-meta diagnose ${shq(ev.network)} --config-file ${shq(other)}`, 'judge the file the agent reads')
          : cmd(
              `pgrep -af ${shq(programOf(ev, 'dhcp-agent'))}`,
              `the agent's command line: its service must start it with --config-file ${file.path}, or judge the file it reads with --config-file`,
            ),
      )
    }
    const moved = changedOnHost(ev)
    if (moved.length > 0) {
      return warn(
        `${moved.map((m) => m.host).join(', ')} on the host differ${moved.length === 1 ? 's' : ''} from the copy the container reads (${moved.map((m) => m.copy).join(', ')}) in ${moved.map((m) => m.keys.join(', ')).join('; ')}: the container has not been restarted since the change`,
        [...moved.map((m) => `${m.host}: ${m.hostSays}; ${m.copy}: ${m.copySays}`), ...readers.map(line)],
        cmd(restartAgent(ev), 'the container copies the host files when it starts'),
      )
    }
    if (file.mtime === undefined) return skip(`${file.path} was not read, so its age is unknown`, readers.map(line))
    const changed = Date.parse(file.mtime)
    const stale = staleReaders(ev)
    const evidence = [`${file.path}: modified ${file.mtime}`, ...readers.map(line)]
    if (stale.length > 0) {
      return warn(
        `${file.path} changed at ${file.mtime}, after the DHCP agent (pid ${stale.map((a) => a.pid).join(', ')}) started at ${stale[0].startedAt}: the running agent has not read that change`,
        evidence,
        cmd(restartAgent(ev), 'the agent reads its config only when it starts'),
      )
    }
    const close = Math.max(0, ...readers.map((a) => (a.startedAt === undefined ? 0 : changed - Date.parse(a.startedAt))))
    const when =
      close > 0 ? `with its last change (${close} ms before it, within the ${START_TOLERANCE_MS} ms the two clocks can differ)` : 'after its last change'
    return pass(`${service} (pid ${readers.map((a) => a.pid).join(', ')}) reads ${file.path} and started ${when}`, evidence)
  },
}
