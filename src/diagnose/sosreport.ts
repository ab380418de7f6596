/**
 * A sosreport (an extracted `sos report` directory) read as the evidence a live collect gives: the
 * sosreport's view (src/sources/sosreport/) under the DHCP agent chain's own collector, the same one
 * that reads this node. The result is a Snapshot, judged like one (`diagnose --sosreport`).
 *
 * What the sosreport lacks becomes evidence that says so ("not in the sosreport"): the checks that
 * need it skip with that reason instead of judging an empty file. Every secret is redacted as the live
 * collector does (sos's own masking is not relied on: sos 4.0 on Python 3.11 fails to mask
 * /etc/neutron, see test/fixtures/sosreport/SOURCES.md).
 */
import {resolve} from 'node:path'

import {collectLogs} from '../chains/common/log-collect.js'
import {backendOf, CHAINS} from '../chains/registry.js'
import {collectDhcpNetworks, netnsList, qdhcpNetworks, stateNetworks} from '../chains/dhcp-agent/collect.js'
import {type LayoutName, type LogRecord, type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {LAYOUTS} from '../layout.js'
import {hostOf, openSosreport, type SosreportInfo} from '../sources/sosreport/open.js'
import {SosView} from '../sources/sosreport/view.js'

export type {SosLayout, SosreportInfo} from '../sources/sosreport/open.js'

export interface SosreportOptions {
  /** the tool string recorded in the snapshot */
  tool: string
}

/**
 * Read a sosreport directory into a Snapshot of every DHCP network it shows (qdhcp namespaces and
 * STATE/dhcp/NET directories), with its host and its sos version and layout.
 */
export async function readSosreport(dir: string, opts: SosreportOptions): Promise<{snapshot: Snapshot; info: SosreportInfo}> {
  const {info: base, sos} = await openSosreport(dir)
  const host = await hostOf(sos)
  const info: SosreportInfo = {...base, host}
  const view = new SosView(sos)
  // Grizzly's names when the report has quantum's trees and not neutron's
  const layoutName: LayoutName =
    !(await sos.isDir('etc/neutron')) && ((await sos.isDir('etc/quantum')) || (await sos.isDir('var/lib/quantum'))) ? 'quantum' : 'neutron'
  const layout = LAYOUTS[layoutName]
  // the networks: qdhcp-<uuid> namespaces, and STATE/dhcp/<uuid> directories (sos may list fewer namespaces than the node had)
  const listed = await netnsList(view)
  const ids = [...new Set([...qdhcpNetworks(listed), ...(await stateNetworks(view, layout.statePath))])].sort()
  const networks = await collectDhcpNetworks(
    view,
    ids,
    {configFile: layout.agentConfig, layout: layoutName, probe: false, statePath: layout.statePath},
    {listed},
  )
  // the chains that read a recorded node themselves (the L3 agent's: a routed network whose router
  // namespace sos kept) judge those networks instead of the DHCP chain
  for (const chain of CHAINS) {
    for (const ev of (await chain.fromRecorded?.(view, {layout: layoutName, statePath: layout.statePath})) ?? []) {
      const i = networks.findIndex((n) => n.network === ev.network)
      if (i < 0) networks.push(ev)
      else networks[i] = ev
    }
  }
  networks.sort((a, b) => a.network.localeCompare(b.network))
  // the logs sos copied (openstack_neutron keeps /var/log/neutron), read once per chain's agent
  const byService = new Map<string, Promise<LogRecord[]>>()
  for (const ev of networks) {
    const service = CHAINS.find((c) => c.backend === backendOf(ev))?.logService
    if (service === undefined) continue
    let logs = byService.get(service)
    if (!logs) byService.set(service, (logs = collectLogs(view, {deployment: ev.deployment, layout: ev.layout}, service)))
    ev.logs = await logs
  }
  const snapshot: Snapshot = {
    format: SNAPSHOT_FORMAT,
    host,
    networks,
    note: `read from sosreport ${resolve(dir)} (sos ${info.version ?? 'of unknown version'}, ${info.layout} layout)`,
    takenAt: await sos.takenAt(),
    tool: opts.tool,
  }
  return {info, snapshot}
}
