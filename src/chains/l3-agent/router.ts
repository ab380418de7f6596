/** Which router serves the network (l3.router), its namespace here (l3.namespace), keepalived's word on it (l3.ha) and its qr- port (l3.gateway-device). */
import {clip, plural, shq} from '../common/text.js'
import {METADATA_IP} from '../common/net.js'
import {devicesShown, namespaceLine, namespaceList, ran} from '../common/evidence.js'
import {routedMetadata} from '../common/routed.js'
import {type Check, cmd as fixCmd, fail, notHere, notJudged, pass, skip, warn} from '../types.js'
import {serverText} from '../../openstack/server-text.js'
import {API, apiList, apiObject, apiRouterPorts, gatewaysOf, haDevices, haRole, qrDevices, routerNamespace} from './facts.js'
import {restartL3Agent} from './restart.js'

export const l3Router: Check = {
  id: 'l3.router',
  needs: [],
  title: "a router serves the network: its interface holds a subnet's gateway IP (API), or a qrouter namespace here has a qr- device with it",
  run(ev) {
    const r = ev.router
    if (!r) return notJudged('the evidence has no router part')
    const gw = gatewaysOf(ev)
    const ports = gw ? apiRouterPorts(ev, gw.ips) : undefined
    const dhcp = `quantum-meta diagnose ${ev.network} --backend dhcp-agent`
    if (ports && ports.length > 0) {
      const routers = [...new Set(ports.map((p) => p.router))]
      const evidence = [
        `${gw!.from}: gateway ${gw!.ips.join(', ')}`,
        ...ports.map(
          (p) => `GET /v2.0${API.ports(ev.network)}: port ${p.port} ${p.owner} of router ${p.router} holds ${p.ip}${p.host ? ` (host ${p.host})` : ''}`,
        ),
      ]
      if (r.id !== undefined && !routers.includes(r.id))
        return warn(`the API names router ${routers.join(', ')}, but the evidence was collected for router ${r.id}`, [...evidence, ...r.found])
      return pass(`router ${routers.join(', ')} serves this network (its interface holds the gateway ${ports[0].ip})`, evidence)
    }
    if (ports && gw) {
      return notHere(
        `no router interface holds the gateway ${gw.ips.join(', ') || '(none: no subnet has one)'}: the network is not routed, so no router serves its metadata (the DHCP agent does: ${dhcp})`,
        [`${gw.from}: gateway ${gw.ips.join(', ') || 'none'}`, `GET /v2.0${API.ports(ev.network)}: no ${'network:router_interface*'} port holds it`],
      )
    }
    if (r.id !== undefined) return pass(`router ${r.id} serves this network here (found by its namespace; no API answer in the evidence)`, r.found)
    if (!gw) {
      return skip('the gateway of the network is not known (no API answer, no DHCP opts on this node): which router serves it cannot be told', r.found)
    }
    const routed = routedMetadata(ev)
    if (routed && (r.agents?.length ?? 0) > 0)
      // the DHCP agent here says a router holds the gateway, and this node runs an L3 agent: its namespace may be gone
      return warn(
        `${ev.opts.path} routes ${METADATA_IP} via the gateway ${gw.ips.join(', ')} (a router holds it), but no qrouter namespace on this node has it: the router is hosted elsewhere, or its namespace here is gone`,
        [...routed.map((o) => `${ev.opts.path}:${o.line}: ${clip(o.raw)}`), ...r.found],
        fixCmd(
          `openstack port list --network ${shq(ev.network)} --device-owner network:router_interface -c device_id -f value | xargs -rn1 openstack network agent list --router`,
          `the L3 agents hosting the network's router; if one is this node, ${restartL3Agent(ev)} (its full sync re-creates the namespace)`,
          {command: restartL3Agent(ev), why: 'when the list names this node'},
        ),
      )
    return skip(
      `no qrouter namespace on this node has a qr- device with the gateway ${gw.ips.join(', ')}: no router serves this network here (another L3 agent host may; an isolated network is the DHCP agent's: ${dhcp})`,
      [`${gw.from}: gateway ${gw.ips.join(', ')}`, ...r.found],
    )
  },
}

/** The router id the checks after l3.router judge: the collected one, else the API's. */
function routerId(ev: Parameters<Check['run']>[0]): string | undefined {
  if (ev.router?.id) return ev.router.id
  const gw = gatewaysOf(ev)
  return gw ? apiRouterPorts(ev, gw.ips)?.[0]?.router : undefined
}

export const l3Namespace: Check = {
  id: 'l3.namespace',
  needs: ['l3.router'],
  title: 'the qrouter-ROUTER namespace exists on this node',
  run(ev) {
    const id = routerId(ev)!
    const ns = routerNamespace(id)
    if (ev.namespaces.notCollected !== undefined) return notJudged(`\`${ran(ev.namespaces)}\`: ${ev.namespaces.notCollected}`)
    const list = namespaceList(ev)
    if (!list)
      return fail(
        `\`${ran(ev.namespaces)}\` failed: ${clip(ev.namespaces.stderr.trim() || ev.namespaces.error || 'no output')}`,
        [],
        fixCmd(
          `sudo quantum-meta diagnose ${shq(ev.network)} --backend l3-agent`,
          'listing the namespaces needs root: run diagnose as root on the L3 agent node',
        ),
      )
    const line = namespaceLine(ev, ns)
    if (line) return pass(`${ns} exists`, [`${ran(ev.namespaces)}: ${line.trim()}`])
    const evidence = [`${ran(ev.namespaces)}: ${plural(list.filter((n) => n.startsWith('qrouter-')).length, 'qrouter namespace')}, none for router ${id}`]
    const agents = apiList(ev, API.routerAgents(id), 'agents')
    const here = ev.api?.host
    if (agents && here !== undefined) {
      const hosts = agents.map((a) => serverText(a.host, 100))
      evidence.push(`GET /v2.0${API.routerAgents(id)}: ${hosts.join(', ') || 'no agent'}`)
      if (hosts.length > 0 && !hosts.includes(here))
        return notHere(
          `router ${id} is hosted by the L3 agent${hosts.length === 1 ? '' : 's'} on ${hosts.join(', ')}, not this node (${here}): diagnose it there`,
          evidence,
        )
      if (hosts.length === 0)
        return fail(
          `no L3 agent hosts router ${id}: nothing serves this network's metadata`,
          evidence,
          fixCmd(
            `openstack network agent add router --l3 "$(openstack network agent list --agent-type l3 --host ${shq(here)} -f value -c ID)" ${shq(id)}`,
            `schedule the router to the L3 agent on ${here} (or another live one: openstack network agent list --agent-type l3)`,
          ),
        )
    }
    return fail(
      `no namespace ${ns} on this node: the router is not set up here`,
      evidence,
      fixCmd(restartL3Agent(ev), 'its full sync re-creates the namespace'),
    )
  },
}

export const l3Ha: Check = {
  id: 'l3.ha',
  needs: ['l3.namespace'],
  title:
    'HA routers: keepalived made this node the master (a backup is skipped: the master serves; one whose ha- device is down fails: it cannot take over); other routers pass',
  run(ev) {
    const id = routerId(ev)!
    const state = ev.router?.haState
    const conf = ev.router?.keepalived
    const router = apiObject(ev, API.router(id), 'router')
    const apiHa = router?.ha === true
    const agents = apiList(ev, API.routerAgents(id), 'agents')
    const apiStates = (agents ?? []).filter((a) => typeof a.ha_state === 'string').map((a) => `${serverText(a.host, 100)}: ${serverText(a.ha_state, 20)}`)
    const apiLine = apiStates.length > 0 ? [`GET /v2.0${API.routerAgents(id)}: ha_state ${apiStates.join(', ')}`] : []
    if (!state || state.state === 'not-collected') {
      if (apiHa) return notJudged(`router ${id} is HA (API), but its keepalived state here is not in the evidence`)
      return skip('keepalived state not collected')
    }
    if (state.state === 'missing' && conf?.state !== 'present') {
      if (apiHa)
        return fail(
          `router ${id} is HA (API ha: true), but this node has no ${state.path}: keepalived does not run for it here`,
          [`${state.path}: no such file`, ...apiLine],
          fixCmd(restartL3Agent(ev), 'it writes keepalived.conf and starts keepalived'),
        )
      return pass(`router ${id} is not an HA router here (no keepalived state): this node serves it`, [`${state.path}: no such file`])
    }
    if (state.state !== 'present' || state.content === undefined) {
      return warn(
        `cannot read ${state.path}: ${state.error ?? state.state}`,
        [],
        fixCmd(`cat ${shq(state.path)}`, 'the keepalived state of the router, read as root'),
      )
    }
    const role = haRole(state.content)
    const evidence = [`${state.path}: ${clip(state.content.trim(), 40)}`, ...apiLine]
    if (role === 'master') return pass(`keepalived made this node the master of router ${id}: it serves the network's metadata`, evidence)
    if (role === 'backup') {
      // Zed's keepalived-state-change writes only primary or backup: keepalived's FAULT (its ha- device
      // down, so it hears no master and never takes over) reads as backup in the state file
      const down = ev.addresses?.exitCode === 0 ? haDevices(ev).filter((i) => i.flags.length > 0 && !i.up) : []
      if (down.length > 0) {
        const names = down.map((i) => i.ifname)
        return fail(
          `this node is a backup of HA router ${id}, but its HA device ${names.join(', ')} is down: keepalived here hears no master and cannot take over when the master fails`,
          [...evidence, ...down.map((i) => `${ran(ev.addresses!)}: ${i.ifname} <${i.flags.join(',')}>`)],
          fixCmd(
            names.map((n) => `ip netns exec ${shq(routerNamespace(id))} ip link set ${shq(n)} up`).join('; '),
            'the ha- device carries VRRP between the hosts of the router',
          ),
        )
      }
      return notHere(`this node is a backup of HA router ${id}: the master serves the network's metadata, not here (cross-host: exactly one master)`, evidence)
    }
    if (role === 'fault')
      return fail(
        `keepalived reports fault for router ${id} on this node (its HA interface or a tracked one is down): it serves nothing`,
        evidence,
        fixCmd(`ip netns exec ${shq(routerNamespace(id))} ip link`, `the ha- device must be up; then ${restartL3Agent(ev)}`),
      )
    return warn(`${state.path} holds ${JSON.stringify(clip(state.content.trim(), 40))}, not primary/master or backup`, evidence)
  },
}

export const l3GatewayDevice: Check = {
  id: 'l3.gateway-device',
  needs: ['l3.ha'],
  title: "a qr- device in the router's namespace is up with the subnet's gateway IP",
  run(ev) {
    const ns = routerNamespace(routerId(ev)!)
    if (ev.addresses?.notCollected !== undefined) return notJudged(`\`${ran(ev.addresses)}\`: ${ev.addresses.notCollected}`)
    if (!ev.addresses) return notJudged(`the addresses in ${ns} are not in the evidence`)
    const cmd = ran(ev.addresses)
    if (ev.addresses.exitCode !== 0)
      return fail(
        `\`${cmd}\` failed: ${clip(ev.addresses.stderr.trim() || ev.addresses.error || 'no output')}`,
        [],
        fixCmd(
          `sudo quantum-meta diagnose ${shq(ev.network)} --backend l3-agent`,
          'reading the namespace needs root: run diagnose as root on the L3 agent node',
        ),
      )
    const gw = gatewaysOf(ev)?.ips ?? []
    const qr = qrDevices(ev)
    const v4 = (i: (typeof qr)[number]) => i.addresses.filter((a) => a.family === 'inet')
    const shown = qr.map(
      (i) =>
        `${cmd}: ${i.ifname} ${
          v4(i)
            .map((a) => `${a.local}/${a.prefixlen}`)
            .join(', ') || 'no IPv4 address'
        }`,
    )
    const holder = qr.find((i) => v4(i).some((a) => gw.length === 0 || gw.includes(a.local)))
    const restart = restartL3Agent(ev)
    if (!holder) {
      return fail(
        qr.length === 0
          ? `no qr- device in ${ns}: the router has no port on any network here`
          : `no qr- device in ${ns} holds the gateway ${gw.join(', ')}: instances send 169.254.169.254 to their gateway, and nothing here answers for it`,
        shown.length > 0 ? shown : devicesShown(ev.addresses, (t) => clip(t)),
        fixCmd(restart, "its full sync plugs the router's ports"),
      )
    }
    const addr = v4(holder).find((a) => gw.length === 0 || gw.includes(a.local))!
    if (holder.flags.length > 0 && !holder.up)
      return fail(
        `${holder.ifname} is down`,
        [`${cmd}: ${holder.ifname} <${holder.flags.join(',')}>`],
        fixCmd(`ip netns exec ${shq(ns)} ip link set ${shq(holder.ifname)} up`, 'the gateway device is down'),
      )
    return pass(`${holder.ifname} holds the gateway ${addr.local}/${addr.prefixlen}`, [`${cmd}: ${holder.ifname} inet ${addr.local}/${addr.prefixlen}`])
  },
}
