/**
 * The L3 agent chain's evidence from a recorded node (a sosreport, through a NodeView): the routed
 * networks whose gateway a qrouter namespace's qr- device holds, found by the DHCP agent's opts
 * (option:router) in the copied state path, as the live collector finds them without the API. What sos
 * kept: per namespace `ip address show` and `iptables-save` (its networking plugin), the agent's config
 * and the proxy's pid file and config (openstack_neutron copies /etc/neutron and /var/lib/neutron), the
 * processes (`ps auxwww`), the metadata agent's socket as the root namespace's socket table shows it.
 * What it did not keep is recorded as not collected (the checks that need it are not judged, never
 * failed). A sosreport cannot connect, probe, or tell a namespace's inode.
 */
import {join} from 'node:path'

import type {CommandRecord, FileRecord, LayoutName, NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {LAYOUTS} from '../../layout.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {parseIpAddr} from '../../parse/ip-addr.js'
import {parseNetnsList} from '../../parse/netns.js'
import {isRouterOption, parseOpts} from '../../parse/opts.js'
import type {NodeView} from '../../sources/view.js'
import {L3_AGENT_PROGRAMS, l3Settings} from './facts.js'

const notCollected = (path: string, why: string): FileRecord => ({error: why, path, state: 'not-collected'})
const pidIn = (f: FileRecord) => {
  const n = Number.parseInt(f.content?.trim() ?? '', 10)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** Every routed network the recorded node shows a router for: its evidence for the L3 agent's chain. */
export async function l3FromView(view: NodeView, req: {layout: LayoutName; statePath?: string}): Promise<NetworkEvidence[]> {
  const namespaces = (await view.command('netns-list', ['ip', 'netns', 'list'])) ?? {
    argv: ['ip', 'netns'],
    exitCode: null,
    notCollected: 'not in the source',
    stderr: '',
    stdout: '',
  }
  const listed = namespaces.exitCode === 0 ? parseNetnsList(namespaces.stdout) : []
  const routers = listed.filter((n) => n.startsWith('qrouter-') && UUID.test(n.slice('qrouter-'.length)))
  if (routers.length === 0) return []
  const layout = LAYOUTS[req.layout]
  const etc = layout.agentConfig.slice(0, layout.agentConfig.lastIndexOf('/'))
  const configs = await Promise.all([view.readFile(join(etc, `${req.layout}.conf`)), view.readFile(join(etc, 'l3_agent.ini'))])
  const settings = l3Settings(configs, req.layout)
  const state = req.statePath ?? settings.statePath.value
  // which qrouter namespace holds which address
  const addrs = new Map<string, CommandRecord>()
  const holder = new Map<string, string>()
  for (const ns of routers) {
    const rec = await view.command('netns-addresses', ['ip', '-j', '-n', ns, 'addr', 'show'], {ns})
    if (!rec) continue
    addrs.set(ns, rec)
    if (rec.exitCode !== 0) continue
    for (const i of parseIpAddr(rec.stdout).filter((x) => x.ifname.startsWith('qr-')))
      for (const a of i.addresses) if (a.family === 'inet' && !holder.has(a.local)) holder.set(a.local, ns)
  }
  const procs = await view.processes()
  const agents = procs.notCollected
    ? undefined
    : procs.entries.filter((p) => L3_AGENT_PROGRAMS.some((prog) => p.cmdline.includes(prog))).map((p) => ({cmdline: p.cmdline, pid: p.pid}))
  const upstream = await view.connect?.(settings.socket.value)
  const out: NetworkEvidence[] = []
  for (const net of (await view.list(join(state, 'dhcp'))).filter((n) => UUID.test(n)).sort()) {
    const opts = await view.readFile(join(state, 'dhcp', net, 'opts'))
    const gws =
      opts.content === undefined
        ? []
        : parseOpts(opts.content)
            .filter((o) => !o.ipv6 && isRouterOption(o) && o.values[0])
            .map((o) => o.values[0])
    const gw = gws.find((g) => holder.has(g))
    if (gw === undefined) continue
    const ns = holder.get(gw)!
    const id = ns.slice('qrouter-'.length).toLowerCase()
    const [haproxyPidFile, proxyPidFile, haproxyConfig, haState] = await Promise.all([
      view.readFile(join(state, 'external', 'pids', `${id}.pid.haproxy`)),
      view.readFile(join(state, 'external', 'pids', `${id}.pid`)),
      view.readFile(join(state, 'ns-metadata-proxy', `${id}.conf`)),
      view.readFile(join(settings.haConfsPath.value, id, 'state')),
    ])
    const rules = await view.command('netns-rules', ['ip', 'netns', 'exec', ns, 'iptables-save'], {ns})
    const sockets = await view.command('netns-sockets', ['ip', 'netns', 'exec', ns, 'ss', '-ltnp'], {ns})
    const pidFile = pidIn(haproxyPidFile) === undefined ? proxyPidFile : haproxyPidFile
    const pid = pidIn(pidFile)
    const proc = pid === undefined ? undefined : await view.process(pid, 'proxy', pidFile.path, {sockets: false})
    const server = haproxyConfig.content ? parseHaproxyConfig(haproxyConfig.content).servers[0]?.address : undefined
    const socketPath = server?.startsWith('/') ? server : settings.socket.value
    const ev: NetworkEvidence = {
      addresses: addrs.get(ns),
      backend: 'l3-agent',
      config: configs[1],
      dnsmasqPidFile: notCollected(join(state, 'dhcp', net, 'pid'), 'not read for the router chain'),
      haproxyConfig,
      haproxyPidFile,
      layout: req.layout,
      metadataAgentConfig: await view.readFile(join(etc, 'metadata_agent.ini')),
      namespace: ns,
      namespaces,
      network: net,
      opts,
      processes: proc && 'pid' in proc ? [proc] : [],
      proxyPidFile,
      router: {
        agents,
        configs,
        found: [`${ns}: a qr- device holds the gateway ${gw} (${opts.path}: option:router)`],
        foundBy: 'namespace',
        haState,
        id,
        rules: rules ? [rules] : [],
      },
      statePath: state,
      upstreamSocket:
        socketPath === settings.socket.value && upstream
          ? upstream
          : ((await view.connect?.(socketPath)) ?? notCollected(socketPath, 'the source cannot tell')),
      ...(sockets ? {sockets} : {}),
    }
    out.push(ev)
  }
  return out
}
