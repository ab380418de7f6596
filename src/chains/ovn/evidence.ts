/**
 * The OVN chain's part of a network's evidence (the `ovn` field) and of the snapshot schema. The
 * field is declared on NetworkEvidence from here (a module augmentation), so the evidence floor
 * names no chain and every reader of NetworkEvidence still sees `ev.ovn`.
 */
import type * as v from 'valibot'

import {redactAgentRecord, redactCmdline, redactFileRecord, redactIniSecrets} from '../../config/secrets.js'
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence, ProcessRecord} from '../../evidence/evidence.js'
import {OVNMETA_NAMESPACE} from './paths.js'
import type {SchemaBlocks, SnapshotPart} from '../../evidence/snapshot-schema.js'

/**
 * What an ML2/OVN chassis shows about one network: the metadata agent (neutron-ovn-metadata-agent, or
 * neutron-ovn-agent with the metadata extension) and its config, the local Open_vSwitch DB, the OVN
 * southbound DB (and the northbound one when this node can reach it), read with the ctl tools'
 * `--format=json`, verbatim. The namespace, haproxy and socket evidence is in the common fields
 * (namespace = ovnmeta-NET, haproxyPidFile, haproxyConfig, upstreamSocket, processes).
 */
export interface OvnEvidence {
  /** the agent processes found in /proc; `configs` holds each --config-file, secrets redacted */
  agents: AgentRecord[]
  /** the config files the collection read the connections from (the agent's own, else --config-file), secrets redacted */
  configs: FileRecord[]
  /** ovn-controller processes found in /proc (pid, cmdline) */
  controllers: {pid: number; cmdline: string}[]
  /** where the OVSDB connections came from, e.g. `/etc/neutron/neutron_ovn_metadata_agent.ini [ovn] ovn_sb_connection` */
  connections: {ovs: string; sb: string; nb?: string; from: string[]}
  /** ovs-vsctl --format=json: `list Open_vSwitch .`, then `list Interface` (some columns) */
  ovs: CommandRecord
  /** ovn-sbctl --format=json: Chassis, Chassis_Private, SB_Global, then the network's Port_Binding rows */
  sb: CommandRecord
  /** ovn-nbctl --format=json: the network's Logical_Switch_Port rows, then DHCP_Options */
  nb?: CommandRecord
  /** why the NB was not read (no ovn_nb_connection on this node) */
  nbSkipped?: string
  /** the server's ml2_conf.ini, when this node has one (ovn_metadata_enabled explains a missing metadata port); secrets redacted */
  serverConfig?: FileRecord
  /** haproxy processes anywhere on the node whose command line names this network (an orphan left by `ip netns del` shows here) */
  haproxies: ProcessRecord[]
}

declare module '../../evidence/evidence.js' {
  interface NetworkEvidence {
    /** ML2/OVN only (backend 'ovn'): the chassis, its OVSDB rows and the agent */
    ovn?: OvnEvidence
  }
}

// built when a snapshot is first read, from the blocks the schema hands over
const ovnEvidence = ({agentRecord, array, commandRecord, fileRecord, optional, pid, processRecord, record, str}: SchemaBlocks) =>
  record({
    agents: array(agentRecord),
    configs: array(fileRecord),
    connections: record({from: array(str), nb: optional(str), ovs: str, sb: str}),
    controllers: array(record({cmdline: str, pid})),
    haproxies: array(processRecord),
    nb: optional(commandRecord),
    nbSkipped: optional(str),
    ovs: commandRecord,
    sb: commandRecord,
    serverConfig: optional(fileRecord),
  })
// what the schema lets through is an OvnEvidence
const assignable = (o: v.InferOutput<ReturnType<typeof ovnEvidence>>): OvnEvidence => o
void assignable

export const OVN_SNAPSHOT: SnapshotPart = {
  entries: (blocks) => ({ovn: blocks.optional(ovnEvidence(blocks))}),
  namespace: OVNMETA_NAMESPACE,
  namespaceShown: 'ovnmeta-<network UUID>',
  requires: ['ovn'],
}

/** Secrets out of the OVN part: its config files, the server's ml2_conf.ini, the agents' and haproxies' command lines. */
export function redactOvnEvidence(ev: NetworkEvidence, seen: WeakSet<object>): void {
  if (!ev.ovn) return
  for (const c of ev.ovn.configs) redactFileRecord(c, redactIniSecrets, seen)
  redactFileRecord(ev.ovn.serverConfig, redactIniSecrets, seen)
  for (const a of ev.ovn.agents) redactAgentRecord(a, seen)
  for (const p of ev.ovn.haproxies) {
    if (seen.has(p)) continue
    seen.add(p)
    if (p.cmdline !== undefined) p.cmdline = redactCmdline(p.cmdline)
  }
}
