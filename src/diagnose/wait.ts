/** The metadata route of one network on this node: checked once (opts verify), or waited for (subnet create --wait). */
import {collectMany, requireInspectable} from '../chains/dhcp-agent/collect.js'
import type {Finding} from '../chains/types.js'
import {cannotError} from '../errors.js'
import {checkNetId, type NodePaths, nodePaths} from '../layout.js'
import {diagnoseEvidence} from './service.js'

/** opts.metadata-route of a network on this node, collected now (the agents are not looked for). */
export async function routeFinding(network: string, paths: NodePaths): Promise<Finding> {
  const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
  return diagnoseEvidence(snap.networks[0], {only: ['opts.metadata-route'], probe: false}).findings[0]
}

/** `opts verify`: the route once, after making sure this node can be inspected (on ML2/OVN: option 121 in the NB). */
export async function verifyRoute(network: string, paths: NodePaths, given: {configFile?: string; statePath?: string} = {}): Promise<Finding> {
  const {nodeBackend} = await import('./live.js')
  if (nodeBackend({given, network}) === 'ovn') {
    if (process.getuid?.() !== 0) throw cannotError('not-root', 'opts verify inspects this node: run it as root')
    return ovnRouteFinding(network, given)
  }
  await requireInspectable(paths.statePath)
  return routeFinding(network, paths)
}

/**
 * On ML2/OVN: option 121 in the NB DHCP_Options (ovn.dhcp-route) when the NB is readable from this
 * node, else the network's ovnmeta namespace here (ovn.namespace; it appears once a VM binds here).
 */
async function ovnRouteFinding(network: string, given: {configFile?: string; statePath?: string}): Promise<Finding> {
  const [{collectOvnMany}, {listNamespaces}] = await Promise.all([import('../chains/ovn/collect.js'), import('../chains/dhcp-agent/collect.js')])
  const [ev] = await collectOvnMany(network, {configFile: given.configFile, probe: false, statePath: given.statePath}, listNamespaces)
  const findings = diagnoseEvidence(ev, {probe: false}).findings
  const route = findings.find((f) => f.id === 'ovn.dhcp-route')!
  if (route.status !== 'skip' || !/not readable/.test(route.summary)) return route
  return findings.find((f) => f.id === 'ovn.namespace')!
}

/** Wait (bounded) until the metadata route of a network is in place on this node (the DHCP agent's opts file, or OVN's DHCP). */
export async function waitForRoute(networkId: string, given: {configFile?: string; statePath?: string}, timeoutS: number): Promise<Finding> {
  // the id may come from a server's answer: a UUID only, before it becomes a path
  const network = checkNetId(networkId)
  const {nodeBackend} = await import('./live.js')
  if (nodeBackend({given, network}) === 'ovn') {
    if (process.getuid?.() !== 0) throw cannotError('not-root', '--wait inspects this node: run it as root')
    const deadline = Date.now() + timeoutS * 1000
    process.stderr.write(`waiting up to ${timeoutS} s for OVN's metadata route of network ${network} ...\n`)
    let finding: Finding
    for (;;) {
      finding = await ovnRouteFinding(network, given)
      if (finding.status === 'pass' || Date.now() >= deadline) break
      await new Promise((r) => setTimeout(r, 1000))
    }
    if (finding.status === 'pass') process.stderr.write(`metadata route in place: ${finding.summary}\n`)
    return finding
  }
  const paths = nodePaths(given)
  await requireInspectable(paths.statePath)
  const deadline = Date.now() + timeoutS * 1000
  process.stderr.write(`waiting up to ${timeoutS} s for the metadata route in ${paths.statePath}/dhcp/${network}/opts ...\n`)
  let finding: Finding
  for (;;) {
    finding = await routeFinding(network, paths)
    if (finding.status === 'pass' || finding.status === 'warn' || Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  if (finding.status === 'pass' || finding.status === 'warn') process.stderr.write(`metadata route in place: ${finding.summary}\n`)
  return finding
}
