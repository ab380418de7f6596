/**
 * The router's metadata proxy: its process (l3.proxy), its config (l3.proxy-config), its listener in
 * the namespace (l3.listener) and the metadata agent's socket it forwards to (l3.upstream, judged as the
 * DHCP chain judges it).
 */
import {clip} from '../common/text.js'
import {processArgs, processOf, pidLabel} from '../common/evidence.js'
import {proxySockets} from '../common/sockets.js'
import {type Check, cmd, fail, notJudged, pass, skip} from '../types.js'
import {upstreamFinding} from '../common/upstream.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {notInEvidence} from '../common/evidence.js'
import {apiRouterPorts, gatewaysOf, proxyPort, routerNamespace, settingsOf} from './facts.js'
import {METADATA_NETWORK_PORT, metadataNetworkPort, restartMetadataNetworkProxy} from './mdnet.js'
import {restartL3Agent} from './restart.js'
import {isSignalablePid} from '../../evidence/ids.js'

function routerOf(ev: NetworkEvidence): string {
  if (ev.router?.id) return ev.router.id
  const gw = gatewaysOf(ev)
  return (gw && apiRouterPorts(ev, gw.ips)?.[0]?.router) ?? ''
}

const respawn = (ev: NetworkEvidence) =>
  metadataNetworkPort(ev)
    ? restartMetadataNetworkProxy(ev)
    : cmd(
        restartL3Agent(ev),
        `a running agent respawns a dead proxy within check_child_processes_interval, 60 s by default; if it stays down, check that ${ev.layout === 'quantum' ? 'quantum-ns-metadata-proxy' : 'haproxy'} is installed and the agent's log`,
      )

export const l3Proxy: Check = {
  id: 'l3.proxy',
  needs: ['l3.ha', 'l3.config'],
  title: "the router's proxy pid file points at a live process in the router's namespace, naming the router",
  run(ev) {
    const router = routerOf(ev)
    const proc = processOf(ev, 'proxy')
    const files = [ev.haproxyPidFile, ev.proxyPidFile].filter((f) => f.state !== 'not-collected')
    if (!proc && files.length === 0) return notJudged(notInEvidence(ev.haproxyPidFile))
    const evidence = files.map(
      (f) => `${f.path}: ${f.state === 'present' ? clip(f.content?.trim() ?? '') : f.state === 'error' ? (f.error ?? 'unreadable') : 'no such file'}`,
    )
    if (!proc) return fail(`no metadata proxy for router ${router} (no pid file ${files.map((f) => f.path).join(' or ')})`, evidence, respawn(ev))
    if (!proc.alive)
      return fail(
        `the router's metadata proxy pid ${proc.pid} (from ${proc.from}) is not running: it died; instances get "connection refused"`,
        evidence,
        respawn(ev),
      )
    const args = processArgs(proc) ?? []
    evidence.push(`${pidLabel(proc)}: ${clip(args.join(' '), 400)}`)
    if (!args.join(' ').includes(router))
      return fail(`pid ${proc.pid} from ${proc.from} is not router ${router}'s proxy (a stale pid file)`, evidence, respawn(ev))
    if (ev.namespaceInode && proc.netns && proc.netns !== ev.namespaceInode && !metadataNetworkPort(ev)) {
      return fail(
        `the proxy pid ${proc.pid} runs outside ${ev.namespace} (${proc.netns}, the namespace is ${ev.namespaceInode}): it was left in a deleted namespace, and the router's own namespace has no proxy`,
        evidence,
        isSignalablePid(proc.pid)
          ? cmd(
              `kill ${proc.pid} && ${restartL3Agent(ev)}`,
              "the proxy left in the deleted namespace goes; the agent's full sync starts one in the router's namespace",
            )
          : cmd(restartL3Agent(ev), "its full sync starts a proxy in the router's namespace"),
      )
    }
    const name =
      args
        .find((a) => /ns-metadata-proxy|haproxy/.test(a))
        ?.split('/')
        .pop() ?? args[0]
    return pass(`${name} pid ${proc.pid} runs for router ${router}`, evidence)
  },
}

export const l3ProxyConfig: Check = {
  id: 'l3.proxy-config',
  needs: ['l3.proxy'],
  title: "the proxy binds the agent's metadata_port and sends X-Neutron-Router-ID of this router",
  run(ev) {
    const router = routerOf(ev)
    const s = settingsOf(ev)
    const mdnet = metadataNetworkPort(ev)
    const port = mdnet ? METADATA_NETWORK_PORT : (s.metadataPort.value ?? 9697)
    const proc = processOf(ev, 'proxy')!
    const args = processArgs(proc) ?? []
    const again = mdnet ? restartMetadataNetworkProxy(ev) : cmd(restartL3Agent(ev), "the agent restarts the router's proxy with the router id and port it uses")
    if (args.some((a) => /ns-metadata-proxy$/.test(a))) {
      // the Python proxy (Grizzly–Ocata) has no config file: its command line says it all
      const id = args.find((a) => a.startsWith('--router_id='))?.slice('--router_id='.length)
      const p = proxyPort(ev)!
      const evidence = [`pid ${proc.pid}: ${clip(args.join(' '), 400)}`]
      if (id !== router) return fail(`the proxy pid ${proc.pid} serves router ${id ?? '(none: --network_id)'}, not ${router}`, evidence, again)
      if (p.port !== port) return fail(`the proxy listens on ${p.port} (${p.from}), but the agent redirects to metadata_port ${port}`, evidence, again)
      return pass(`the proxy serves router ${router} on port ${port} (--router_id, X-${ev.layout === 'quantum' ? 'Quantum' : 'Neutron'}-Router-ID)`, evidence)
    }
    const conf = ev.haproxyConfig
    if (conf.state === 'not-collected') return notJudged(notInEvidence(conf))
    if (conf.state !== 'present' || conf.content === undefined)
      return fail(`no proxy config ${conf.path} (${conf.state === 'missing' ? 'no such file' : (conf.error ?? conf.state)})`, [], again)
    const cfg = parseHaproxyConfig(conf.content)
    const lines = conf.content.split('\n')
    const lineOf = (re: RegExp) => {
      const i = lines.findIndex((l) => re.test(l))
      return i < 0 ? [] : [`${conf.path}:${i + 1}: ${clip(lines[i].trim())}`]
    }
    const evidence = [...lineOf(/^\s*bind\s/), ...lineOf(/^\s*server\s/), ...lineOf(/set-header\s+X-Neutron-Router-ID/i)]
    const problems: string[] = []
    if (!cfg.binds.some((b) => b.port === port))
      problems.push(`it binds ${cfg.binds.map((b) => `${b.address}:${b.port}`).join(', ') || 'nothing'}, not port ${port} (metadata_port)`)
    if (cfg.routerId !== router) {
      problems.push(
        cfg.routerId
          ? `it sends X-Neutron-Router-ID ${cfg.routerId}, not ${router}`
          : `it sends no X-Neutron-Router-ID${cfg.networkId ? ` (X-Neutron-Network-ID ${cfg.networkId}: a DHCP agent's proxy config)` : ''}: the metadata agent cannot tell which router's instance asks`,
      )
    }
    const server = cfg.servers[0]?.address
    if (server !== undefined && server !== ev.upstreamSocket.path) problems.push(`it forwards to ${server}, not ${ev.upstreamSocket.path}`)
    if (problems.length > 0)
      return fail(
        `${conf.path}: ${problems.join('; ')}`,
        evidence,
        mdnet ? again : cmd(restartL3Agent(ev), `the agent rewrites ${conf.path} and restarts the proxy`),
      )
    return pass(`the proxy binds port ${port}, sends X-Neutron-Router-ID ${router} and forwards to ${server ?? ev.upstreamSocket.path}`, evidence)
  },
}

export const l3Listener: Check = {
  id: 'l3.listener',
  needs: ['l3.proxy'],
  title: "the proxy listens on metadata_port in the router's namespace",
  run(ev) {
    const proc = processOf(ev, 'proxy')!
    const port = proxyPort(ev)?.port ?? settingsOf(ev).metadataPort.value ?? 9697
    const seen = proxySockets(ev, proc.pid)
    if (!seen) return skip('no socket table in the evidence')
    const listening = seen.sockets.filter((x) => x.state === 'LISTEN' && x.localPort === port)
    const fmt = (x: (typeof listening)[number]) => `${seen.source}: ${x.proto} ${x.localAddress}:${x.localPort} LISTEN${x.inode ? ` inode ${x.inode}` : ''}`
    const mine = listening.filter((x) => seen.owned(x))
    if (mine.length > 0)
      return pass(
        `the proxy (pid ${proc.pid}) listens on ${mine.map((x) => `${x.localAddress}:${x.localPort}`).join(', ')} in ${metadataNetworkPort(ev) ? "the metadata network's qdhcp namespace" : routerNamespace(routerOf(ev))}`,
        mine.map(fmt),
      )
    if (listening.length > 0)
      return fail(`port ${port} in the namespace is held by something other than the proxy pid ${proc.pid}`, listening.map(fmt), respawn(ev))
    return fail(
      `the proxy pid ${proc.pid} listens on nothing at port ${port}: instances get "connection refused"`,
      seen.sockets.filter((x) => x.state === 'LISTEN').map(fmt),
      respawn(ev),
    )
  },
}

export const l3Upstream: Check = {
  id: 'l3.upstream',
  needs: ['l3.ha'],
  title: 'the UNIX socket the proxy forwards to (the metadata agent) exists and accepts connections',
  run: (ev) => upstreamFinding(ev.upstreamSocket, ev, 'L3'),
}
