/** The OVN metadata agent: its config, its process, its registration in the southbound DB. */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import type {OvnEvidence} from './evidence.js'
import {clip, plural, shq} from '../common/text.js'
import {type Check, cmd, conf, fail, pass, skip, warn} from '../types.js'
import {OVN_METADATA} from '../../layout.js'
import {agentService, agentUnit, localChassis, ovsFacts, restartOvnAgent, sbFacts, settingsOf} from './facts.js'
import {alsoAction, command, restart} from '../../deployments/registry.js'

const ovnOf = (ev: NetworkEvidence): OvnEvidence => {
  if (!ev.ovn) throw new Error('no OVN evidence in this network (collected by an older quantum-meta?)')
  return ev.ovn
}

export const ovnAgentConfig: Check = {
  id: 'ovn.agent-config',
  needs: [],
  title: "the OVN metadata agent's config is readable and names the SB and local OVSDB, the state path and Nova",
  run(ev) {
    const ovn = ovnOf(ev)
    const files = ovn.configs
    const evidence = files.map(
      (f) =>
        `${f.path}: ${f.state === 'present' ? 'read' : f.state === 'error' ? (f.error ?? 'unreadable') : f.state === 'missing' ? 'no such file' : (f.error ?? f.state)}`,
    )
    const read = files.filter((f) => f.state === 'present')
    if (read.length === 0) {
      return fail(
        `no config of the OVN metadata agent could be read (${files.map((f) => f.path).join(', ') || 'none found'})`,
        evidence,
        cmd(
          'pgrep -af neutron-ovn-',
          `the agent's --config-file arguments: pass its ini to quantum-meta diagnose ${ev.network} with --config-file (e.g. /etc/neutron/neutron_ovn_metadata_agent.ini; kolla: /etc/kolla/neutron-ovn-metadata-agent/), and --state-path if it differs`,
        ),
      )
    }
    const s = settingsOf(ev)
    // what the collection used (a stopped agent's parts may have filled in what no config said)
    const used = ovn.connections
    const src = (k: string) => {
      // `FILE:LINE [section] key`, or `WHERE, as no agent runs for key`
      const from = used.from.findLast((f) => f.endsWith(` ${k}`))
      return from ? ` (${from.endsWith(` for ${k}`) ? from.slice(0, -` for ${k}`.length) : from})` : ' (default)'
    }
    evidence.push(
      `ovn_sb_connection = ${used.sb}${src('ovn_sb_connection')}`,
      `ovsdb_connection = ${used.ovs}${src('ovsdb_connection')}`,
      `state_path = ${ev.statePath}${src('state_path')}`,
      `metadata_proxy_socket = ${ev.upstreamSocket.path}${src('metadata_proxy_socket')}`,
      `Nova metadata API: ${clip(s.nova, 120)}`,
      `metadata_proxy_shared_secret: ${s.secret === 'set' ? 'set (value not shown)' : s.secret}${src('metadata_proxy_shared_secret')}`,
    )
    const unreadable = files.filter((f) => f.state === 'error')
    if (unreadable.length > 0) {
      return fail(
        `cannot read ${unreadable.map((f) => f.path).join(', ')}: ${unreadable[0].error}`,
        evidence,
        cmd(`ls -l ${unreadable.map((f) => shq(f.path)).join(' ')}`, "the file's type and permissions: the agent reads it as root"),
      )
    }
    if (agentUnit(ovn) === OVN_METADATA.agentServiceSince2025_2 && !(s.extensions ?? []).includes('metadata')) {
      const where = s.sources.extensions ?? `[agent] of ${read.at(-1)!.path}`
      return fail(
        `neutron-ovn-agent runs without its metadata extension ([agent] extensions = ${s.extensions?.join(',') || '(unset)'}): it makes no ovnmeta namespace and no haproxy`,
        [...evidence, `[agent] extensions = ${s.extensions?.join(',') ?? '(unset)'}${s.sources.extensions ? ` (${s.sources.extensions})` : ''}`],
        conf(
          s.sources.extensions?.replace(/:\d+ \[.*$/, '') ?? read.at(-1)!.path,
          'agent',
          `extensions = ${[...(s.extensions ?? []), 'metadata'].join(',')}`,
          `metadata added to the extensions (${where}); then ${restart(ev, 'ovn-agent')}`,
        ),
      )
    }
    const guess =
      ovn.agents.length === 0 ? ` (no agent runs to say which files it reads: these are the packaged paths; give --config-file if it reads others)` : ''
    if (s.secret !== 'set') {
      const where = s.sources.metadata_proxy_shared_secret ?? `[DEFAULT] of ${read.at(-1)!.path}`
      return warn(
        `metadata_proxy_shared_secret is ${s.secret === 'empty' ? 'empty' : 'not set'}: the agent signs instance ids with an empty key, so Nova answers 403 unless its [neutron] metadata_proxy_shared_secret is empty too${guess}`,
        evidence,
        cmd(
          "grep -E '^[[:space:]]*metadata_proxy_shared_secret' /etc/nova/nova.conf",
          `on a Nova API node: Nova's [neutron] secret; set the same value as metadata_proxy_shared_secret in ${where}, then ${restartOvnAgent(ev)}`,
        ),
      )
    }
    return pass(`${plural(read.length, 'config file')} read: SB ${used.sb}, local OVSDB ${used.ovs}, state ${ev.statePath}${guess}`, evidence)
  },
}

export const ovnAgentRunning: Check = {
  id: 'ovn.agent-running',
  needs: [],
  title: 'the OVN metadata agent runs, and started after its config last changed',
  run(ev) {
    const ovn = ovnOf(ev)
    const unit = agentUnit(ovn)
    if (ovn.agents.length === 0) {
      const also = alsoAction(ev, 'start', agentService(ovn))
      return fail(
        `${unit} is not running on this node: haproxy has no one behind ${ev.upstreamSocket.path}, so instances get 503 ("No server is available to handle this request"), and no namespace is made for new VMs`,
        ['no neutron-ovn-metadata-agent or neutron-ovn-agent process in /proc'],
        cmd(
          command(ev, 'start', agentService(ovn)),
          'then see its log for why it stopped: a lost SB connection is the usual one',
          also && {command: also.command, why: `where it runs in ${also.label}'s containers`},
        ),
      )
    }
    const evidence = ovn.agents.map((a) => `pid ${a.pid}${a.startedAt ? `, started ${a.startedAt}` : ''}: ${clip(a.cmdline.replaceAll('\0', ' ').trim(), 200)}`)
    const elsewhere = ovn.agents.filter((a) => a.sameMountNamespace === false)
    const started = ovn.agents.map((a) => (a.startedAt ? Date.parse(a.startedAt) : NaN)).filter((t) => !Number.isNaN(t))
    const changed = ovn.configs.filter((f) => f.mtime && started.length > 0 && Date.parse(f.mtime) > Math.max(...started) + 50)
    if (changed.length > 0) {
      return warn(
        `${unit} started before ${changed.map((f) => f.path).join(', ')} last changed: it still runs the old settings`,
        [...evidence, ...changed.map((f) => `${f.path}: modified ${f.mtime}`)],
        cmd(restartOvnAgent(ev), 'the agent reads its config only when it starts'),
      )
    }
    const note = elsewhere.length > 0 ? ` (in another mount namespace, a container: its config paths are the container's)` : ''
    return pass(`${unit} runs (pid ${ovn.agents.map((a) => a.pid).join(', ')})${note}`, evidence)
  },
}

export const ovnChassis: Check = {
  id: 'ovn.chassis',
  needs: [],
  title: 'the local OVSDB names this chassis (system-id, ovn-remote), the SB knows it, and ovn-controller runs',
  run(ev) {
    const ovn = ovnOf(ev)
    const o = ovsFacts(ovn)
    if (!o.ok) {
      return fail(
        `cannot read the local Open_vSwitch DB at ${ovn.connections.ovs}: ${o.why}`,
        [ovn.ovs.argv.join(' ')],
        cmd('ovs-vsctl show', `ovsdb-server must run, and [ovs] ovsdb_connection in the agent's config must be where it listens (now ${ovn.connections.ovs})`),
      )
    }
    const evidence = [
      `Open_vSwitch external_ids: system-id=${o.value.systemId ?? '(none)'} ovn-remote=${o.value.ovnRemote ?? '(none)'} ovn-bridge=${o.value.ovnBridge}`,
    ]
    if (!o.value.systemId)
      return fail(
        'the Open_vSwitch row has no external_ids:system-id: ovn-controller cannot register this chassis',
        evidence,
        cmd(
          'ovs-vsctl set Open_vSwitch . external_ids:system-id="$(hostname)"',
          `the chassis name (this host's name, unless the cloud names chassis otherwise: keep the name it had in the SB); then ${restart(ev, 'ovn-controller')}`,
        ),
      )
    const sb = sbFacts(ovn)
    if (!sb.ok) {
      return fail(
        `cannot read the OVN southbound DB at ${ovn.connections.sb}: ${sb.why}: the agent cannot work without it`,
        [...evidence, ovn.sb.argv.join(' ')],
        cmd(
          `ovn-sbctl --db=${shq(ovn.connections.sb)} show`,
          "the SB must answer from this node at [ovn] ovn_sb_connection of the agent's config (ssl: add --private-key, --certificate and --ca-cert as ovn_sb_private_key/certificate/ca_cert say)",
        ),
      )
    }
    const ch = localChassis(o.value, sb.value)
    if (!ch) {
      return fail(
        `the southbound DB has no Chassis named ${o.value.systemId}: ovn-controller on this node never registered (or was removed), so no port binds here`,
        [...evidence, `SB Chassis: ${sb.value.chassis.map((c) => c.name).join(', ') || '(none)'}`],
        cmd(
          restart(ev, 'ovn-controller'),
          'it registers the chassis; ovn-remote (ovs-vsctl get Open_vSwitch . external_ids:ovn-remote) must point at the SB the agent reads',
        ),
      )
    }
    evidence.push(`SB Chassis ${ch.name} (${ch.uuid}), hostname ${ch.hostname ?? '?'}`)
    if (ovn.controllers.length === 0) {
      return fail(
        `ovn-controller is not running on this node: ports are not bound or updated here and OVN's DHCP (pinctrl) does not answer`,
        evidence,
        cmd(command(ev, 'start', 'ovn-controller'), 'it binds the ports here and answers DHCP (pinctrl)'),
      )
    }
    evidence.push(...ovn.controllers.map((c) => `ovn-controller pid ${c.pid}`))
    return pass(`this node is chassis ${ch.name}, known to the SB; ovn-controller runs`, evidence)
  },
}

export const ovnAgentRegistered: Check = {
  id: 'ovn.agent-registered',
  needs: ['ovn.chassis'],
  title: 'the agent registered this chassis in the SB (Chassis_Private neutron:ovn-metadata-id) and keeps up with nb_cfg',
  run(ev) {
    const ovn = ovnOf(ev)
    const o = ovsFacts(ovn)
    const sb = sbFacts(ovn)
    if (!o.ok || !sb.ok) return skip('the OVSDB rows are not readable (see ovn.chassis)')
    const name = o.value.systemId!
    const priv = sb.value.chassisPrivate.find((c) => c.name === name)
    const unit = agentUnit(ovn)
    if (!priv)
      return fail(
        `the SB has no Chassis_Private row for ${name}`,
        [],
        cmd(`${restart(ev, 'ovn-controller')} && ${restartOvnAgent(ev)}`, 'ovn-controller writes the row; the agent then registers in it'),
      )
    const id = priv.externalIds['neutron:ovn-metadata-id']
    const cfg = priv.externalIds['neutron:ovn-metadata-sb-cfg']
    const evidence = [
      `Chassis_Private ${name}: neutron:ovn-metadata-id=${id ?? '(none)'} neutron:ovn-metadata-sb-cfg=${cfg ?? '(none)'} nb_cfg=${priv.nbCfg ?? '?'}`,
      `SB_Global nb_cfg=${sb.value.nbCfg ?? '?'}`,
    ]
    if (!id) {
      return fail(
        `no metadata agent has registered on chassis ${name} (Chassis_Private has no neutron:ovn-metadata-id): Neutron counts it as having no OVN metadata agent`,
        evidence,
        cmd(restartOvnAgent(ev), 'the agent registers on the chassis when it starts'),
      )
    }
    const lag = sb.value.nbCfg !== undefined && cfg !== undefined && /^\d+$/.test(cfg) ? sb.value.nbCfg - Number(cfg) : undefined
    if (lag !== undefined && lag > 1 && ovn.agents.length > 0) {
      return fail(
        `${unit} runs but stopped following the SB: it acknowledged nb_cfg ${cfg}, the SB is at ${sb.value.nbCfg} (${lag} behind): it no longer sees port bindings, so new VMs here get no namespace (and the API shows it dead)`,
        evidence,
        cmd(restartOvnAgent(ev), 'look for SB connection errors in its log first'),
      )
    }
    return pass(
      `the metadata agent is registered on chassis ${name}${lag === undefined ? '' : lag <= 1 ? ' and up to date with nb_cfg' : ` (nb_cfg ${lag} behind while the agent is down)`}`,
      evidence,
    )
  },
}
