/**
 * The L3 agent chain's part of a network's evidence (the `router` field) and of the snapshot schema,
 * declared on NetworkEvidence from here (a module augmentation) as the OVN chain does.
 */
import * as v from 'valibot'

import {redactFileRecord, redactIniSecrets, redactAgentRecord} from '../../config/secrets.js'
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import type {SchemaBlocks, SnapshotPart} from '../../evidence/snapshot-schema.js'
import {routerNamespace} from './paths.js'

export interface RouterEvidence {
  /** the router serving the network on this node (a UUID); absent when none was found */
  id?: string
  /** how `id` was found: a router interface port holding a gateway IP (API), or a qrouter namespace whose qr- device holds one */
  foundBy?: 'api' | 'namespace'
  /** the lines that show it, or where it was looked for when no router was found */
  found: string[]
  /** the L3 agent processes found in /proc; absent when not collected */
  agents?: AgentRecord[]
  /** the files the agent's settings are read from, in oslo.config's order (the running agent's --config-files, else the defaults), cut to the keys the checks read */
  configs: FileRecord[]
  /** inside the namespace: iptables-save, then (when it shows no L3 agent chain) the other iptables backend and `nft list ruleset` */
  rules?: CommandRecord[]
  /** keepalived's state for this router here, STATE/ha_confs/ROUTER/state (primary or master, backup, fault) */
  haState?: FileRecord
  /** STATE/ha_confs/ROUTER/keepalived.conf, not read (it may hold the VRRP password): present only for an HA router */
  keepalived?: FileRecord
}

declare module '../../evidence/evidence.js' {
  interface NetworkEvidence {
    /** the L3 agent only (backend 'l3-agent'): the router serving the network here and what the agent made for it */
    router?: RouterEvidence
  }
}

// built when a snapshot is first read, from the blocks the schema hands over
const routerEvidence = ({agentRecord, array, commandRecord, fileRecord, optional, record, str}: SchemaBlocks) => {
  const picklist = v.picklist
  const uuid = v.pipe(v.string(), v.regex(UUID, 'must be a UUID like 7f81dddf-f7cf-4161-bbae-551f6b32b521'), v.toLowerCase())
  return record({
    agents: optional(array(agentRecord)),
    configs: array(fileRecord),
    found: array(str),
    foundBy: optional(picklist(['api', 'namespace'])),
    haState: optional(fileRecord),
    id: optional(uuid),
    keepalived: optional(fileRecord),
    rules: optional(array(commandRecord)),
  })
}
// what the schema lets through is a RouterEvidence
const assignable = (o: v.InferOutput<ReturnType<typeof routerEvidence>>): RouterEvidence => o
void assignable

export const L3_AGENT_SNAPSHOT: SnapshotPart = {
  entries: (blocks) => ({router: blocks.optional(routerEvidence(blocks))}),
  // '' when no router was found on the node
  namespace: /^(qrouter-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/i,
  namespaceOfEvidence: (n) => {
    const router = n.router as {id?: unknown} | undefined
    if (router === undefined) return undefined
    return typeof router.id === 'string' ? routerNamespace(router.id.toLowerCase()) : ''
  },
  namespaceProblem: "not the namespace of the router the evidence names (qrouter-<router.id>, '' with no router)",
  namespaceShown: 'qrouter-<router UUID>',
  requires: ['router'],
}

/** Secrets out of the router part: the agent's config files (cut to the keys the checks read already) and the agents' command lines. */
export function redactRouterEvidence(ev: NetworkEvidence, seen: WeakSet<object>): void {
  if (!ev.router) return
  for (const c of ev.router.configs) redactFileRecord(c, redactIniSecrets, seen)
  for (const a of ev.router.agents ?? []) redactAgentRecord(a, seen)
}
