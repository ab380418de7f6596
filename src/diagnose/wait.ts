/** The metadata route of one network on this node: checked once (opts verify), or waited for (subnet create --wait). */
import {collectMany, requireInspectable} from '../chains/dhcp-agent/collect.js'
import type {Finding} from '../checks/types.js'
import {checkNetId, type NodePaths, nodePaths} from '../layout.js'
import {diagnoseEvidence} from './service.js'

/** opts.metadata-route of a network on this node, collected now (the agents are not looked for). */
export async function routeFinding(network: string, paths: NodePaths): Promise<Finding> {
  const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
  return diagnoseEvidence(snap.networks[0], {only: ['opts.metadata-route'], probe: false}).findings[0]
}

/** `opts verify`: the route once, after making sure this node can be inspected. */
export async function verifyRoute(network: string, paths: NodePaths): Promise<Finding> {
  await requireInspectable(paths.statePath)
  return routeFinding(network, paths)
}

/** Wait (bounded) until the DHCP agent has written the metadata route for a network on this node. */
export async function waitForRoute(networkId: string, given: {configFile?: string; statePath?: string}, timeoutS: number): Promise<Finding> {
  // the id may come from a server's answer: a UUID only, before it becomes a path
  const network = checkNetId(networkId)
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
