import {posix} from 'node:path'

import {metadataVerdict, readSettings} from '../config/dhcp-agent.js'
import {IniSyntaxError, parseIni} from '../config/oslo-ini.js'
import {LAYOUTS} from '../layout.js'
import {parseAgentCmdline} from '../parse/agent.js'
import {clip, quoteLines, restartAgent} from './derive.js'
import {type Check, fail, pass, skip, warn} from './types.js'

export const configMetadataEnabled: Check = {
  id: 'config.metadata-enabled',
  needs: [],
  run(ev) {
    const file = ev.config
    const fix = `quantum-meta enable --config-file ${file.path} --restart`
    if (file.state !== 'present' || file.content === undefined) {
      return fail(`cannot read the agent config ${file.path} (${file.state === 'missing' ? 'no such file' : file.error ?? file.state})`, [], `pass the agent's dhcp_agent.ini with --config-file`)
    }
    let ini
    try {
      ini = parseIni(file.content)
    } catch (error) {
      if (error instanceof IniSyntaxError) return fail(`oslo.config cannot read ${file.path}: ${error.message}; the agent does not start`, [], `fix ${file.path} line ${error.lineNumber}`)
      throw error
    }
    const s = readSettings(ini)
    const v = metadataVerdict(s)
    const lines = [s.enable_isolated_metadata.line, s.force_metadata.line, s.enable_metadata_network.line].filter((n): n is number => n !== undefined)
    const evidence = lines.length > 0 ? quoteLines(file.path, file.content, lines.sort((a, b) => a - b)) : [`${file.path}: no enable_isolated_metadata or force_metadata line in [DEFAULT]`]
    if (v.valid && v.serves) return pass(v.reason, evidence)
    return fail(v.reason, evidence, `${fix}    (then the ${LAYOUTS[ev.layout].dhcpAgentService} restart re-creates the proxy and opts)`)
  },
}

const normalize = (p: string) => posix.normalize(p)

/**
 * The agent applies its config only when it starts: a DHCP agent must run, read the file judged
 * above, and have started after that file last changed. Warnings only: the links below show
 * whether the running agent's state is actually wrong.
 */
export const configAgentRestarted: Check = {
  id: 'config.agent-restarted',
  needs: [],
  run(ev) {
    const service = LAYOUTS[ev.layout].dhcpAgentService
    if (ev.agents === undefined) return skip('DHCP agent processes were not collected (a transcript or an older snapshot)')
    if (ev.agents.length === 0) {
      return warn(
        `no ${service} process on this node: nothing applies config changes, or respawns dnsmasq and the proxy when they die`,
        ['/proc: no process runs neutron-dhcp-agent or quantum-dhcp-agent'],
        `systemctl start ${service}`,
      )
    }
    const file = ev.config
    const names = new Set([file.path, file.realpath].filter((n): n is string => n !== undefined).map(normalize))
    const agents = ev.agents.map((a) => ({...a, args: parseAgentCmdline(a.cmdline)}))
    const line = (a: (typeof agents)[number]) =>
      `pid ${a.pid}${a.startedAt ? ` started ${a.startedAt}` : ''}: ${clip(a.cmdline.replaceAll('\0', ' ').trim())}`
    const readers = agents.filter(
      (a) => a.args?.configFiles.some((f) => names.has(normalize(f))) || a.args?.configDirs.some((d) => [...names].some((n) => n.startsWith(`${normalize(d)}/`))),
    )
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
        other ? `quantum-meta diagnose ${ev.network} --config-file ${other}    (judge the file the agent reads)` : `start the agent with --config-file ${file.path}`,
      )
    }
    if (file.mtime === undefined) return skip(`${file.path} was not read, so its age is unknown`, readers.map(line))
    const changed = Date.parse(file.mtime)
    const stale = readers.filter((a) => a.startedAt !== undefined && Date.parse(a.startedAt) < changed)
    const evidence = [`${file.path}: modified ${file.mtime}`, ...readers.map(line)]
    if (stale.length > 0) {
      return warn(
        `${file.path} changed at ${file.mtime}, after the DHCP agent (pid ${stale.map((a) => a.pid).join(', ')}) started at ${stale[0].startedAt}: the running agent has not read that change`,
        evidence,
        restartAgent(ev.layout),
      )
    }
    return pass(`${service} (pid ${readers.map((a) => a.pid).join(', ')}) reads ${file.path} and started after its last change`, evidence)
  },
}
