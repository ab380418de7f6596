/** Wait (bounded) until the DHCP agent has written the metadata route for a network on this node. */
import type {Finding} from '../checks/types.js'
import {checkNetId, nodePaths} from '../layout.js'
import {collectMany, requireInspectable} from '../node/collect.js'
import {diagnoseEvidence} from './service.js'

export async function waitForRoute(networkId: string, given: {configFile?: string; statePath?: string}, timeoutS: number): Promise<Finding> {
  // the id may come from a server's answer: a UUID only, before it becomes a path
  const network = checkNetId(networkId)
  const paths = nodePaths(given)
  await requireInspectable(paths.statePath)
  const deadline = Date.now() + timeoutS * 1000
  process.stderr.write(`waiting up to ${timeoutS} s for the metadata route in ${paths.statePath}/dhcp/${network}/opts ...\n`)
  let finding: Finding
  for (;;) {
    const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
    finding = diagnoseEvidence(snap.networks[0], {only: ['opts.metadata-route'], probe: false}).findings[0]
    if (finding.status === 'pass' || finding.status === 'warn' || Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  if (finding.status === 'pass' || finding.status === 'warn') process.stderr.write(`metadata route in place: ${finding.summary}\n`)
  return finding
}
