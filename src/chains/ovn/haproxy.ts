/** The network's haproxy in ovnmeta-NET: alive, running the agent's config, listening; the agent's socket behind it; a GET. */
import {clip, shq} from '../common/text.js'
import {METADATA_IP} from '../common/net.js'
import {processArgs, processOf, pidLabel} from '../common/evidence.js'
import {bodyText, HAPROXY_NO_SERVER} from '../common/http.js'
import {proxySockets} from '../common/sockets.js'
import {type Check, cmd, fail, notAsked, pass, skip, warn} from '../types.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {isSignalablePid} from '../../evidence/ids.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import type {Socket} from '../../parse/sockets.js'
import {agentUnit, restartOvnAgent} from './facts.js'
import {namespaceGone, orphanHaproxies} from './namespace.js'

const respawn = (ev: NetworkEvidence) =>
  cmd(restartOvnAgent(ev), 'a running agent respawns a dead haproxy within check_child_processes_interval, 60 s by default; a restart provisions it at once')

export const ovnHaproxy: Check = {
  id: 'ovn.haproxy',
  needs: ['ovn.namespace'],
  title: 'the haproxy of the pid file (STATE/external/pids/NET.pid.haproxy) is alive in the namespace',
  run(ev) {
    const gone = namespaceGone(ev)
    if (gone) return gone
    const f = ev.haproxyPidFile
    const evidence = [`${f.path}: ${f.state === 'present' ? clip(f.content?.trim() ?? '') : f.state === 'error' ? (f.error ?? 'unreadable') : 'no such file'}`]
    const proc = processOf(ev, 'proxy')
    const orphans = orphanHaproxies(ev)
    if (orphans.length > 0) {
      return fail(
        `the network's haproxy runs outside ${ev.namespace} (pid ${orphans.map((p) => p.pid).join(', ')}, in a namespace deleted earlier): while it lives the agent starts no haproxy in the new ${ev.namespace}, so instances get "connection refused" or no answer`,
        [...evidence, ...orphans.map((p) => `pid ${p.pid} (${p.netns ?? 'netns ?'}): ${clip((processArgs(p) ?? []).join(' '), 200)}`)],
        cmd(
          `kill ${orphans.map((p) => p.pid).join(' ')}; ${restartOvnAgent(ev)}`,
          `the haproxy left in the deleted namespace goes; the agent starts one in ${ev.namespace}`,
        ),
      )
    }
    if (!proc) return fail(`no haproxy for this network (no pid in ${f.path}): instances get "connection refused"`, evidence, respawn(ev))
    if (!proc.alive)
      return fail(
        `haproxy pid ${proc.pid} (from ${proc.from}) is not running: it died, and instances get "connection refused" until the agent respawns it`,
        evidence,
        respawn(ev),
      )
    const args = processArgs(proc) ?? []
    evidence.push(`${pidLabel(proc)}: ${clip(args.join(' '), 300)}`)
    if (!args.join(' ').includes(ev.network))
      return fail(`pid ${proc.pid} from ${f.path} is not this network's haproxy (a stale pid file, the pid reused)`, evidence, respawn(ev))
    if (ev.namespaceInode && proc.netns && proc.netns !== ev.namespaceInode) {
      return fail(
        `haproxy pid ${proc.pid} runs outside ${ev.namespace} (${proc.netns}, the namespace is ${ev.namespaceInode})`,
        evidence,
        isSignalablePid(proc.pid)
          ? cmd(`kill ${proc.pid}; ${restartOvnAgent(ev)}`, `the haproxy outside the namespace goes; the agent starts one in ${ev.namespace}`)
          : cmd(restartOvnAgent(ev), `the agent starts a haproxy in ${ev.namespace}`),
      )
    }
    return pass(`haproxy pid ${proc.pid} runs in ${ev.namespace}`, evidence)
  },
}

export const ovnHaproxyConfig: Check = {
  id: 'ovn.haproxy-config',
  needs: ['ovn.haproxy'],
  title: `haproxy runs the agent's config: bind ${METADATA_IP}:80, server metadata <the agent's socket>, X-OVN-Network-ID of this network`,
  run(ev) {
    const proc = processOf(ev, 'proxy')!
    const args = processArgs(proc) ?? []
    const conf = ev.haproxyConfig
    const fi = args.indexOf('-f')
    const used = fi >= 0 ? args[fi + 1] : undefined
    const evidence = [`pid ${proc.pid}: -f ${used ?? '(none)'}`]
    if (used !== undefined && used !== conf.path && !(conf.realpath && used === conf.realpath)) {
      return warn(`haproxy pid ${proc.pid} runs ${used}, not the agent's ${conf.path}`, evidence, respawn(ev))
    }
    if (conf.state !== 'present' || conf.content === undefined)
      return fail(
        `${conf.path}: ${conf.state === 'missing' ? 'no such file' : (conf.error ?? conf.state)}: the agent wrote no config for this network`,
        evidence,
        respawn(ev),
      )
    const cfg = parseHaproxyConfig(conf.content)
    evidence.push(
      ...cfg.binds.map((b) => `${conf.path}: bind ${b.address}:${b.port}`),
      ...cfg.servers.map((s) => `${conf.path}: server ${s.name} ${s.address}`),
      `${conf.path}: X-OVN-Network-ID ${cfg.networkId ?? '(none)'}`,
    )
    const problems: string[] = []
    if (!cfg.binds.some((b) => b.address === METADATA_IP && b.port === 80)) problems.push(`binds no ${METADATA_IP}:80`)
    if (cfg.servers.length === 0) problems.push('has no server line')
    else if (cfg.servers[0].address !== ev.upstreamSocket.path) problems.push(`forwards to ${cfg.servers[0].address}, not ${ev.upstreamSocket.path}`)
    if (cfg.networkId !== undefined && cfg.networkId.toLowerCase() !== ev.network) problems.push(`sends X-OVN-Network-ID ${cfg.networkId}, another network`)
    if (problems.length > 0)
      return fail(
        `${conf.path} ${problems.join('; ')}`,
        evidence,
        cmd(restartOvnAgent(ev), 'the agent rewrites the file; if it stays wrong, compare state_path and metadata_proxy_socket in its config'),
      )
    return pass(`${conf.path}: ${METADATA_IP}:80 -> ${cfg.servers[0].address}`, evidence)
  },
}

export const ovnHaproxyListening: Check = {
  id: 'ovn.haproxy-listening',
  needs: ['ovn.haproxy'],
  title: `haproxy listens on ${METADATA_IP}:80 in the namespace`,
  run(ev) {
    const proc = processOf(ev, 'proxy')!
    const seen = proxySockets(ev, proc.pid)
    if (!seen) return skip('no socket table in the evidence')
    const fmt = (s: Socket) => `${seen.source}: ${s.proto} ${s.localAddress}:${s.localPort} LISTEN${s.inode ? ` inode ${s.inode}` : ''}`
    const on80 = seen.sockets.filter((s) => s.state === 'LISTEN' && s.localPort === 80)
    const mine = on80.filter((s) => seen.owned(s) && [METADATA_IP, '0.0.0.0'].includes(s.localAddress))
    if (mine.length > 0) return pass(`haproxy (pid ${proc.pid}) listens on ${mine.map((s) => `${s.localAddress}:80`).join(', ')}`, mine.map(fmt))
    if (on80.length > 0) return fail(`port 80 in ${ev.namespace} is held by something other than haproxy pid ${proc.pid}`, on80.map(fmt), respawn(ev))
    return fail(`haproxy pid ${proc.pid} listens on nothing at :80 in ${ev.namespace}`, seen.sockets.filter((s) => s.state === 'LISTEN').map(fmt), respawn(ev))
  },
}

export const ovnUpstream: Check = {
  id: 'ovn.upstream-socket',
  needs: ['ovn.local-vif'],
  title: "the agent's UNIX socket (metadata_proxy_socket) exists and accepts connections",
  run(ev) {
    const sock = ev.upstreamSocket
    const unit = agentUnit(ev.ovn!)
    const fix = cmd(restartOvnAgent(ev), `it creates ${sock.path}`)
    const answer = `503 from haproxy ("${HAPROXY_NO_SERVER}")`
    if (sock.state === 'not-collected') return skip(`${sock.path} is not in the evidence`)
    if (sock.state === 'missing')
      return fail(
        `haproxy forwards to ${sock.path}, which does not exist: ${unit} is down or uses another metadata_proxy_socket; instances get ${answer}`,
        [`${sock.path}: no such file`],
        fix,
      )
    if (sock.state === 'error') return fail(`cannot inspect ${sock.path}: ${sock.error}`, [], fix)
    if (sock.type !== 'socket') return fail(`${sock.path} is a ${sock.type}, not a UNIX socket: instances get ${answer}`, [`${sock.path}: ${sock.type}`], fix)
    if (sock.connect === 'EAGAIN')
      return warn(
        `${sock.path}: the agent's accept queue stayed full for ${sock.busyMs ?? '?'} ms: it is overloaded or hung`,
        [`${sock.path}: connect: EAGAIN`],
        fix,
      )
    if (sock.connect && sock.connect !== 'ok')
      return fail(
        `nothing accepts connections on ${sock.path} (${sock.connect}): ${unit} is not serving, instances get ${answer}`,
        [`${sock.path}: socket, connect: ${sock.connect}`],
        fix,
      )
    return pass(`${sock.path} accepts connections`, [`${sock.path}: socket${sock.connect ? `, connect: ${sock.connect}` : ''}`])
  },
}

export const ovnProbe: Check = {
  id: 'ovn.probe',
  needs: ['ovn.namespace'],
  title: `with --probe: GET http://${METADATA_IP}/ from inside ovnmeta-NET answers`,
  run(ev, ctx) {
    if (!ctx.probe || !ev.probe)
      return namespaceGone(ev) ? skip(`not run: ${ev.namespace} does not exist`) : notAsked('not run (add --probe to send one GET from inside the namespace)')
    const p = ev.probe
    const text = p.body === undefined ? undefined : bodyText(p.body) || undefined
    const evidence = [`${p.argv.join(' ')}: ${p.status === undefined ? p.error : `HTTP ${p.status}`}${p.ms === undefined ? '' : ` in ${p.ms} ms`}`]
    if (text !== undefined && p.status !== 200) evidence.push(`body: ${JSON.stringify(clip(text, 200))}`)
    // the namespace's own address is no instance's: the agent finds no port for it and answers 404
    if (p.status === 200 || p.status === 404) return pass(`GET from inside ${ev.namespace} answered ${p.status}: haproxy and the agent answer`, evidence)
    if (p.status === 503 && text?.includes(HAPROXY_NO_SERVER))
      return fail(
        `GET from inside ${ev.namespace}: 503 from haproxy: it cannot reach the agent's socket`,
        evidence,
        cmd(restartOvnAgent(ev), "the agent re-creates its socket and haproxy's config"),
      )
    const what = p.status === undefined ? (p.error ?? 'no answer') : `HTTP ${p.status}`
    return fail(
      `GET http://${METADATA_IP}/ from inside ${ev.namespace}: ${what}`,
      evidence,
      cmd(
        `grep -E '^[[:space:]]*(nova_metadata_(host|port|protocol)|metadata_proxy_shared_secret)' ${ev.ovn?.configs.map((f) => shq(f.path)).join(' ') || '/etc/neutron/neutron_ovn_metadata_agent.ini'}`,
        "see the failing links above first; 403: metadata_proxy_shared_secret must equal nova.conf's [neutron] one; 500: Nova's metadata API must answer at nova_metadata_host:nova_metadata_port",
      ),
    )
  },
}
