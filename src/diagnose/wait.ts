/** The metadata route of one network on this node: checked once (opts verify), or waited for (subnet create --wait). */
import {chainFor} from '../chains/registry.js'
import type {ChainModule} from '../chains/module.js'
import type {Finding} from '../chains/types.js'
import {checkNetId, type NodePaths, nodePaths} from '../layout.js'
import {diagnoseEvidence} from './service.js'

type Given = {configFile?: string; statePath?: string}

/** The chain that serves the network on this node (live.ts nodeBackend). */
async function chainHere(network: string, given: Given): Promise<ChainModule> {
  const {nodeBackend} = await import('./live.js')
  const backend = nodeBackend({given, network})
  const chain = chainFor(backend)
  if (!chain) throw new Error(`no chain for backend ${backend}`)
  return chain
}

/** The chain's route finding of a network, collected now: its route check, or what the chain answers instead. */
async function routeFinding(chain: ChainModule, network: string, given: Given, paths: NodePaths): Promise<Finding> {
  const ev = await chain.route.collect(network, given, paths)
  const findings = diagnoseEvidence(ev, {probe: false}).findings
  const route = findings.find((f) => f.id === chain.route.check)!
  return chain.route.instead?.(route, findings, ev) ?? route
}

/** `opts verify`: the route once, after making sure this node can be inspected (the DHCP agent's opts file, or on ML2/OVN option 121 in the NB). */
export async function verifyRoute(network: string, paths: NodePaths, given: Given = {}): Promise<Finding> {
  const chain = await chainHere(network, given)
  await chain.route.inspectable(paths, 'opts verify')
  return routeFinding(chain, network, given, paths)
}

/** Wait (bounded) until the metadata route of a network is in place on this node. */
export async function waitForRoute(networkId: string, given: Given, timeoutS: number): Promise<Finding> {
  // the id may come from a server's answer: a UUID only, before it becomes a path
  const network = checkNetId(networkId)
  const chain = await chainHere(network, given)
  const paths = nodePaths(given)
  await chain.route.inspectable(paths, '--wait')
  const deadline = Date.now() + timeoutS * 1000
  process.stderr.write(`waiting up to ${timeoutS} s for ${chain.route.waitingFor(network, paths)} ...\n`)
  const inPlace = (f: Finding) => chain.route.inPlace.includes(f.status)
  let finding: Finding
  for (;;) {
    finding = await routeFinding(chain, network, given, paths)
    if (inPlace(finding) || Date.now() >= deadline) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  if (inPlace(finding)) process.stderr.write(`metadata route in place: ${finding.summary}\n`)
  return finding
}
