import type {Socket} from '../../parse/sockets.js'
import {proxySockets} from '../common/sockets.js'
import {METADATA_IP} from '../common/net.js'
import {clip} from '../common/text.js'
import {notInEvidence, processArgs, processOf, pidLabel} from '../common/evidence.js'
import {restartAgent, routedMetadata} from './facts.js'
import {type Check, cmd, fail, notHere, notJudged, pass, skip} from '../types.js'
import {upstreamFinding} from '../common/upstream.js'
import type {Scope} from '../../deployments/registry.js'

const proxyFix = (ev: Scope) =>
  ev.layout === 'quantum'
    ? cmd(restartAgent(ev), 'the agent respawns the proxy', {
        command: 'quantum-meta enable --root-helper "sudo /usr/bin/quantum-rootwrap /etc/quantum/rootwrap.conf" --restart',
        why: 'before 2013.1.2 the agent needs root_helper in dhcp_agent.ini to start the proxy',
      })
    : cmd(
        restartAgent(ev),
        'a running agent respawns a dead haproxy within check_child_processes_interval, 60 s by default; if it stays down, check that haproxy is installed and the agent log',
      )

export const proxyRunning: Check = {
  id: 'proxy.running',
  needs: ['namespace.exists'],
  title: "the proxy's pid file points at a live process holding the network id",
  run(ev) {
    const proc = processOf(ev, 'proxy')
    const files = [ev.haproxyPidFile, ev.proxyPidFile].filter((f) => f.state !== 'not-collected')
    if (!proc && files.length === 0) return notJudged(notInEvidence(ev.haproxyPidFile))
    const evidence = files.map(
      (f) => `${f.path}: ${f.state === 'present' ? clip(f.content?.trim() ?? '') : f.state === 'error' ? (f.error ?? 'unreadable') : 'no such file'}`,
    )
    if (!proc) {
      const routed = routedMetadata(ev)
      if (routed) {
        // the agent runs no proxy for a network a router serves (unless force_metadata): its absence is expected
        return notHere(
          `no metadata proxy, as expected: opts routes ${METADATA_IP} via the subnet gateway, so the router serves metadata for this network (see opts.metadata-route)`,
          [...evidence, ...routed.map((o) => `${ev.opts.path}:${o.line}: ${clip(o.raw)}`)],
        )
      }
      return fail(`no metadata proxy for this network (no pid file ${files.map((f) => f.path).join(' or ')})`, evidence, proxyFix(ev))
    }
    if (!proc.alive) return fail(`the metadata proxy pid ${proc.pid} (from ${proc.from}) is not running: it died`, evidence, proxyFix(ev))
    const args = processArgs(proc) ?? []
    evidence.push(`${pidLabel(proc)}: ${clip(args.join(' '), 400)}`)
    if (!args.join(' ').includes(ev.network)) {
      return fail(`pid ${proc.pid} from ${proc.from} is not this network's proxy (stale pid file)`, evidence, proxyFix(ev))
    }
    if (ev.namespaceInode && proc.netns && proc.netns !== ev.namespaceInode) {
      return fail(`the proxy pid ${proc.pid} runs outside ${ev.namespace}`, evidence, proxyFix(ev))
    }
    const name =
      args
        .find((a) => /ns-metadata-proxy|haproxy/.test(a))
        ?.split('/')
        .pop() ?? args[0]
    return pass(`${name} pid ${proc.pid} runs for this network`, evidence)
  },
}

export const proxyListening: Check = {
  id: 'proxy.listening',
  needs: ['proxy.running'],
  title: 'the proxy listens on TCP 80 (0.0.0.0 or 169.254.169.254) in the namespace',
  run(ev) {
    const proc = processOf(ev, 'proxy')!
    const seen = proxySockets(ev, proc.pid)
    if (!seen) return skip('no socket table in the evidence')
    const on80 = seen.sockets.filter((s) => s.state === 'LISTEN' && s.localPort === 80)
    const fmt = (s: Socket) =>
      `${seen.source}: ${s.proto} ${s.localAddress}:${s.localPort} LISTEN${s.inode ? ` inode ${s.inode}` : ''}${s.pid ? ` ${s.pid}/${s.program ?? ''}` : ''}`
    const mine = on80.filter((s) => seen.owned(s) && ['0.0.0.0', METADATA_IP, '::', '*', 'fe80::a9fe:a9fe'].includes(s.localAddress))
    if (mine.length > 0) return pass(`the proxy (pid ${proc.pid}) listens on ${mine.map((s) => `${s.localAddress}:80`).join(', ')}`, mine.map(fmt))
    if (on80.length > 0) {
      return fail(`port 80 in the namespace is held by something other than the proxy pid ${proc.pid}`, on80.map(fmt), proxyFix(ev))
    }
    return fail(
      `the proxy pid ${proc.pid} listens on nothing at :80 (haproxy binds ${METADATA_IP}:80 since Stein: the address must be on the device)`,
      seen.sockets.filter((s) => s.state === 'LISTEN').map(fmt),
      proxyFix(ev),
    )
  },
}

export const proxyUpstream: Check = {
  id: 'proxy.upstream',
  needs: ['namespace.exists'],
  title: 'the UNIX socket the proxy forwards to exists and accepts connections',
  run(ev) {
    return upstreamFinding(ev.upstreamSocket, ev, 'DHCP')
  },
}
