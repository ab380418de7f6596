/** The L3 agent itself: running and having read its config (l3.agent), and its metadata switches (l3.config). */
import {posix} from 'node:path'

import {clip, shq} from '../common/text.js'
import {notInEvidence} from '../common/evidence.js'
import {type Check, cmd, conf, fail, notJudged, pass, skip, warn} from '../types.js'
import {parseAgentCmdline} from '../../parse/agent.js'
import {START_TOLERANCE_MS} from '../common/evidence.js'
import {L3_AGENT_PROGRAMS, type Setting, settingsOf} from './facts.js'
import {metadataNetworkPort, viaMetadataNetwork} from './mdnet.js'
import {l3AgentService, restartL3Agent, startL3Agent} from './restart.js'
import {programOf} from '../../deployments/registry.js'

const at = (s: Setting<unknown>, name: string, shown: string) =>
  s.path === undefined ? `${name} is not set (default ${shown})` : `${name} = ${clip(s.raw ?? '', 60)} (${s.path}:${s.line})`

export const l3Agent: Check = {
  id: 'l3.agent',
  needs: [],
  title: 'a neutron-l3-agent runs, reads the config judged, and started after its last change (warns only)',
  run(ev) {
    const service = l3AgentService(ev)
    const agents = ev.router?.agents
    if (agents === undefined) return skip('L3 agent processes were not collected (a transcript or an older snapshot)')
    if (agents.length === 0) {
      return warn(
        `no ${service} process on this node: nothing re-applies the router's rules or respawns its metadata proxy when they go (instances keep being served by what runs)`,
        ['/proc: no process runs neutron-l3-agent or quantum-l3-agent'],
        cmd(startL3Agent(ev), "the agent re-applies the router's rules and respawns its metadata proxy"),
      )
    }
    const line = (a: (typeof agents)[number]) => `pid ${a.pid}${a.startedAt ? ` started ${a.startedAt}` : ''}: ${clip(a.cmdline.replaceAll('\0', ' ').trim())}`
    const here = agents.filter((a) => a.sameMountNamespace !== false)
    if (here.length === 0) {
      return skip(
        `the L3 agent (pid ${agents.map((a) => a.pid).join(', ')}) runs in a container (another mount namespace): the files it names are inside it`,
        agents.map(line),
      )
    }
    const files = (ev.router?.configs ?? [ev.config]).filter((f) => f.state === 'present')
    const norm = (p: string) => posix.normalize(p)
    const readers = here.filter((a) => {
      const args = parseAgentCmdline(a.cmdline, L3_AGENT_PROGRAMS)
      return files.some((f) => args?.configFiles.some((c) => norm(c) === norm(f.path) || (f.realpath !== undefined && norm(c) === norm(f.realpath))))
    })
    if (readers.length === 0) {
      const reads = here.map((a) => `pid ${a.pid} reads ${parseAgentCmdline(a.cmdline, L3_AGENT_PROGRAMS)?.configFiles.join(', ') || 'only its default files'}`)
      return warn(
        `no running L3 agent reads ${files.map((f) => f.path).join(', ') || ev.config.path} (${reads.join('; ')}): what the files judged say does not reach the agent`,
        here.map(line),
        cmd(
          `pgrep -af ${shq(programOf(ev, 'l3-agent'))}`,
          `the agent's --config-file arguments: judge the l3_agent.ini it reads with quantum-meta diagnose ${ev.network} --backend l3-agent --config-file`,
        ),
      )
    }
    const evidence = [...files.filter((f) => f.mtime).map((f) => `${f.path}: modified ${f.mtime}`), ...readers.map(line)]
    const stale = files.flatMap((f) =>
      f.mtime === undefined
        ? []
        : readers.filter((a) => a.startedAt !== undefined && Date.parse(a.startedAt) < Date.parse(f.mtime!) - START_TOLERANCE_MS).map((a) => ({a, f})),
    )
    if (stale.length > 0) {
      const {a, f} = stale[0]
      return warn(
        `${f.path} changed at ${f.mtime}, after the L3 agent (pid ${a.pid}) started at ${a.startedAt}: the running agent has not read that change`,
        evidence,
        cmd(restartL3Agent(ev), 'the agent reads its config only when it starts'),
      )
    }
    return pass(`${service} (pid ${readers.map((a) => a.pid).join(', ')}) runs and started after its config last changed`, evidence)
  },
}

export const l3Config: Check = {
  id: 'l3.config',
  needs: [],
  title: 'the L3 agent config: enable_metadata_proxy is true and metadata_port is a port',
  run(ev) {
    const files = ev.router?.configs ?? [ev.config]
    if (files.length > 0 && files.every((f) => f.state === 'not-collected')) return notJudged(notInEvidence(files[0]))
    const s = settingsOf(ev)
    if (s.read.length === 0) {
      const f = files.at(-1) ?? ev.config
      return fail(
        `cannot read the L3 agent config ${f.path} (${f.state === 'missing' ? 'no such file' : (f.error ?? f.state)})`,
        [],
        cmd(
          `pgrep -af ${shq(programOf(ev, 'l3-agent'))}`,
          `the agent's --config-file arguments: pass its l3_agent.ini to quantum-meta diagnose ${ev.network} with --config-file`,
        ),
      )
    }
    if (s.broken.length > 0) {
      const b = s.broken[0]
      return fail(
        `oslo.config cannot read ${b.path}: line ${b.line}: ${b.reason}; the L3 agent does not start`,
        [],
        cmd(`"\${EDITOR:-vi}" +${b.line} ${shq(b.path)}`, `correct line ${b.line}, keeping every other line; then ${restartL3Agent(ev)}`),
      )
    }
    const restart = restartL3Agent(ev)
    const evidence = [
      at(s.enableMetadataProxy, 'enable_metadata_proxy', 'True'),
      at(s.metadataPort, 'metadata_port', '9697'),
      `the agent's files, later ones winning: ${s.read.join(', ')}`,
    ]
    const where = (x: Setting<unknown>) => x.path ?? files.at(-1)?.path ?? ev.config.path
    if (s.enableMetadataProxy.value === null) {
      return fail(
        `enable_metadata_proxy = ${s.enableMetadataProxy.raw} is not a boolean oslo.config accepts: the L3 agent refuses to start`,
        evidence,
        conf(where(s.enableMetadataProxy), 'DEFAULT', 'enable_metadata_proxy = True', `in place of the value oslo.config rejects; then ${restart}`),
      )
    }
    const mdnet = metadataNetworkPort(ev)
    if (mdnet) return pass(`enable_metadata_proxy is off, as a metadata network wants: ${viaMetadataNetwork(mdnet)}`, evidence)
    if (!s.enableMetadataProxy.value) {
      return fail(
        'enable_metadata_proxy is off: the L3 agent runs no metadata proxy and redirects nothing for its routers (instances on routed networks get no metadata)',
        evidence,
        conf(where(s.enableMetadataProxy), 'DEFAULT', 'enable_metadata_proxy = True', `then ${restart}: its full sync adds the redirect and starts the proxy`),
      )
    }
    if (s.metadataPort.value === undefined) {
      return fail(
        `metadata_port = ${s.metadataPort.raw} is not a TCP port: the L3 agent refuses to start`,
        evidence,
        conf(where(s.metadataPort), 'DEFAULT', 'metadata_port = 9697', `the default port; then ${restart}`),
      )
    }
    return pass(`enable_metadata_proxy is on, metadata_port ${s.metadataPort.value}`, evidence)
  },
}
