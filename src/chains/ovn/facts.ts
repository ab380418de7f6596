/**
 * What the OVN evidence of a network says, parsed once per evidence object: the chassis as the local
 * Open_vSwitch DB names it, the SB rows (chassis, agent registration, the network's Port_Bindings),
 * the NB rows (DHCP_Options), the agent's settings. Checks read these facts; each fact keeps the
 * command that gave it, for the finding's evidence.
 */
import type {CommandRecord, NetworkEvidence} from '../../evidence/evidence.js'
import type {OvnEvidence} from './evidence.js'
import {OVN_METADATA} from '../../layout.js'
import {parseAgentCmdline} from '../../parse/agent.js'
import {mapOf, numOf, type OvsdbRow, OvsdbFormatError, parseOvsdbOutput, setOf, strOf} from '../../parse/ovsdb.js'
import {clip} from '../common/text.js'
import {OVN_AGENT_PROGRAMS} from './paths.js'
import {ovnSettings, type OvnSettings} from './settings.js'
import {restart} from '../../deployments/registry.js'
import type {ServiceName} from '../../deployments/types.js'

export interface Read<T> {
  ok: true
  value: T
}
export interface Unread {
  ok: false
  /** why: the command failed (its stderr), did not run, or printed something else */
  why: string
}

export interface OvsInterface {
  name: string
  ifaceId?: string
  ofport?: number
  error?: string
  linkState?: string
  adminState?: string
  mac?: string
}

export interface OvsFacts {
  systemId?: string
  ovnRemote?: string
  ovnBridge: string
  hostname?: string
  interfaces: OvsInterface[]
}

export interface PortBinding {
  uuid: string
  logicalPort: string
  type: string
  chassis?: string
  /** `MAC IP...` entries */
  mac: string[]
  externalIds: Record<string, string>
  up?: boolean
}

export interface SbFacts {
  chassis: {uuid: string; name: string; hostname?: string; otherConfig: Record<string, string>}[]
  chassisPrivate: {name: string; externalIds: Record<string, string>; nbCfg?: number}[]
  nbCfg?: number
  ports: PortBinding[]
}

export interface DhcpOptionsRow {
  uuid: string
  cidr: string
  options: Record<string, string>
  externalIds: Record<string, string>
}

export interface NbFacts {
  ports: {uuid: string; name: string; type: string; dhcpv4Options: string[]; externalIds: Record<string, string>}[]
  dhcpOptions: DhcpOptionsRow[]
}

const strMap = (c: OvsdbRow[string] | undefined): Record<string, string> => {
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of Object.entries(mapOf(c))) out[k] = String(v)
  return out
}

function readTables(rec: CommandRecord | undefined, count: number): Read<OvsdbRow[][]> | Unread {
  if (!rec) return {ok: false, why: 'not collected'}
  const shown = rec.argv.slice(0, 2).join(' ')
  if (rec.error) return {ok: false, why: `${shown}: ${rec.error}`}
  if (rec.exitCode !== 0) return {ok: false, why: `${shown} exited ${rec.exitCode}: ${clip(rec.stderr.trim().split('\n').pop() ?? '', 200) || 'no message'}`}
  try {
    const tables = parseOvsdbOutput(rec.stdout)
    if (tables.length < count) return {ok: false, why: `${shown}: ${tables.length} tables printed, ${count} expected`}
    return {ok: true, value: tables.map((t) => t.rows)}
  } catch (error) {
    if (error instanceof OvsdbFormatError) return {ok: false, why: `${shown}: not ovsdb --format=json output (${error.message})`}
    throw error
  }
}

export function ovsFacts(ovn: OvnEvidence): Read<OvsFacts> | Unread {
  const r = readTables(ovn.ovs, 2)
  if (!r.ok) return r
  const [[vs], ifaces] = r.value
  const ids = strMap(vs?.external_ids)
  return {
    ok: true,
    value: {
      hostname: ids.hostname,
      interfaces: ifaces.map((i) => {
        const ext = strMap(i.external_ids)
        const error = strOf(i.error)
        return {
          adminState: strOf(i.admin_state),
          error,
          ifaceId: ext['iface-id'],
          linkState: strOf(i.link_state),
          mac: strOf(i.mac_in_use),
          name: String(strOf(i.name)),
          ofport: numOf(i.ofport),
        }
      }),
      ovnBridge: ids['ovn-bridge'] ?? 'br-int',
      ovnRemote: ids['ovn-remote'],
      systemId: ids['system-id'],
    },
  }
}

export function sbFacts(ovn: OvnEvidence): Read<SbFacts> | Unread {
  const r = readTables(ovn.sb, 4)
  if (!r.ok) return r
  const [chassis, priv, global, ports] = r.value
  return {
    ok: true,
    value: {
      chassis: chassis.map((c) => ({
        hostname: strOf(c.hostname),
        name: String(strOf(c.name)),
        otherConfig: strMap(c.other_config),
        uuid: String(strOf(c._uuid)),
      })),
      chassisPrivate: priv.map((c) => ({externalIds: strMap(c.external_ids), name: String(strOf(c.name)), nbCfg: numOf(c.nb_cfg)})),
      nbCfg: numOf(global[0]?.nb_cfg),
      ports: ports.map((p) => ({
        chassis: strOf(p.chassis),
        externalIds: strMap(p.external_ids),
        logicalPort: String(strOf(p.logical_port)),
        mac: setOf(p.mac).map(String),
        type: strOf(p.type) ?? '',
        up: setOf(p.up)[0] === undefined ? undefined : setOf(p.up)[0] === true,
        uuid: String(strOf(p._uuid)),
      })),
    },
  }
}

export function nbFacts(ovn: OvnEvidence): Read<NbFacts> | Unread {
  if (!ovn.nb) return {ok: false, why: ovn.nbSkipped ?? 'the northbound DB was not read'}
  const r = readTables(ovn.nb, 2)
  if (!r.ok) return r
  const [lsps, opts] = r.value
  return {
    ok: true,
    value: {
      dhcpOptions: opts.map((o) => ({
        cidr: String(strOf(o.cidr)),
        externalIds: strMap(o.external_ids),
        options: strMap(o.options),
        uuid: String(strOf(o._uuid)),
      })),
      ports: lsps.map((p) => ({
        dhcpv4Options: setOf(p.dhcpv4_options).map(String),
        externalIds: strMap(p.external_ids),
        name: String(strOf(p.name)),
        type: strOf(p.type) ?? '',
        uuid: String(strOf(p._uuid)),
      })),
    },
  }
}

/** The chassis this node is: the SB Chassis named by the Open_vSwitch system-id. */
export function localChassis(ovs: OvsFacts, sb: SbFacts) {
  return ovs.systemId === undefined ? undefined : sb.chassis.find((c) => c.name === ovs.systemId)
}

/** The network's metadata ports: localport Port_Bindings owned by network:distributed (Neutron's OVN metadata port). */
export function metadataPorts(sb: SbFacts): PortBinding[] {
  return sb.ports.filter(
    (p) =>
      p.type === 'localport' &&
      (p.externalIds['neutron:device_owner'] === 'network:distributed' || (p.externalIds['neutron:device_id'] ?? '').startsWith('ovnmeta-')),
  )
}

/** `neutron:cidrs` of a port: `198.51.100.1/24 2001:db8::1/64` -> [{ip, prefixlen}] */
export function portCidrs(p: PortBinding): {ip: string; prefixlen: number; v6: boolean}[] {
  return (p.externalIds['neutron:cidrs'] ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((c) => {
      const m = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(c)
      return m ? [{ip: m[1], prefixlen: Number(m[2]), v6: m[1].includes(':')}] : []
    })
}

/** The MAC of a port's `mac` column (`fa:16:3e:… 198.51.100.1`). */
export const portMac = (p: PortBinding) => p.mac[0]?.split(/\s+/)[0]?.toLowerCase()

/** The agent's settings as the evidence's configs give them. */
export function settingsOf(ev: NetworkEvidence): OvnSettings {
  return ovnSettings(ev.ovn?.configs ?? [], {})
}

/** The unit to restart: the running agent's program, else by its config's name, else neutron-ovn-metadata-agent. */
export function agentUnit(ovn: OvnEvidence): string {
  const running = ovn.agents.map((a) => parseAgentCmdline(a.cmdline, OVN_AGENT_PROGRAMS)?.program).find(Boolean)
  if (running) return running
  if (ovn.configs.some((c) => /neutron[-_]ovn[-_]agent\.ini$/.test(c.path))) return OVN_METADATA.agentServiceSince2025_2
  return OVN_METADATA.agentService
}

/** The agent's service: neutron-ovn-agent's when that is the agent (agentUnit), else neutron-ovn-metadata-agent's. */
export const agentService = (ovn: OvnEvidence | undefined): ServiceName =>
  ovn && agentUnit(ovn) === OVN_METADATA.agentServiceSince2025_2 ? 'ovn-agent' : 'ovn-metadata-agent'

/** The command that restarts the OVN metadata agent where the evidence was taken: its deployment's. */
export const restartOvnAgent = (ev: NetworkEvidence) => restart(ev, agentService(ev.ovn))
