/** The whole live collection for diagnose and collect: node evidence, plus the API's when credentials exist. */
import type {Snapshot} from '../evidence/evidence.js'
import type {NodePaths} from '../layout.js'
import type {OsFlags} from '../openstack/credentials.js'
import {collectMany, listNamespaces, qdhcpNetworks, requireInspectable} from '../chains/dhcp-agent/collect.js'

export interface LiveRequest {
  /** one network, or undefined for every qdhcp namespace on the node */
  network?: string
  paths: NodePaths
  probe: boolean
  /** the --os-* flags; the API is asked only when `api` and credentials are present */
  os: OsFlags
  api: boolean
  agentHost?: string
  /** e.g. quantum-meta/0.1.0, recorded in the snapshot */
  tool?: string
}

export async function collectLive(req: LiveRequest): Promise<Snapshot> {
  await requireInspectable(req.paths.statePath)
  const ctx = {...req.paths, probe: req.probe}
  const list = req.network === undefined ? await listNamespaces() : undefined
  const networks = list ? qdhcpNetworks(list) : [req.network!]
  const snap = await collectMany(networks, ctx, {batch: Boolean(list), listed: list, tool: req.tool})
  const {hasCredentials} = await import('../openstack/credentials.js')
  if (req.api && networks.length > 0 && hasCredentials(req.os, process.env)) {
    const api = await import('../node/api.js')
    const byNet = await api.collectApi(networks, req.os, api.agentHost(req.paths.configFile, req.agentHost))
    for (const ev of snap.networks) ev.api = byNet.get(ev.network)
    const {redactApiEvidence} = await import('../config/secrets.js')
    for (const ev of snap.networks) if (ev.api) redactApiEvidence(ev.api)
  }
  return snap
}
