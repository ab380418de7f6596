/** The whole live collection for diagnose and collect: node evidence, plus the API's when credentials exist. */
import {existsSync, readdirSync, readFileSync} from 'node:fs'

import type {BackendName, DeploymentName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import type {OsFlags} from '../openstack/credentials.js'
import {usageError} from '../errors.js'
import {CHAINS, chainFor, DEFAULT_CHAIN, networkApiPaths} from '../chains/registry.js'
import type {ChainModule, CollectRequest} from '../chains/module.js'

export interface LiveRequest extends CollectRequest {
  /** --backend: which chain serves the network(s) here; undefined: told from the node */
  backend?: BackendName
  /** --deployment: how Neutron is installed here (src/deployments/); undefined: told from the node */
  deployment?: DeploymentName
  /** the --os-* flags; the API is asked only when `api` and credentials are present */
  os: OsFlags
  api: boolean
  agentHost?: string
}

/** Which of these patterns some process's command line matches (one pass over /proc). */
function running(patterns: readonly RegExp[]): boolean[] {
  const found = patterns.map(() => false)
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1')
      patterns.forEach((p, i) => {
        if (!found[i] && p.test(cmd)) found[i] = true
      })
      if (found.every(Boolean)) break
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/**
 * Which chain serves metadata here, asking each chain in the registry's order: --backend; else the
 * chain that claims the --config-file by its name; else the chain whose namespace of the network
 * exists; else the one chain whose agent's config files exist; else the one chain whose programs
 * run; else the default chain.
 */
export function nodeBackend(
  req: Pick<LiveRequest, 'backend' | 'given' | 'network'>,
  exists: (p: string) => boolean = existsSync,
  isRunning: (patterns: readonly RegExp[]) => boolean[] = running,
): BackendName {
  if (req.backend) return req.backend
  const configFile = req.given?.configFile
  if (configFile !== undefined) return (CHAINS.find((c) => c.detect.configFile?.(configFile)) ?? DEFAULT_CHAIN).backend
  if (req.network !== undefined) {
    for (const chain of CHAINS) {
      const ns = chain.namespaceOf(req.network)
      if (ns !== undefined && exists(`/run/netns/${ns}`)) return chain.backend
    }
  }
  const installed = CHAINS.filter((c) => c.detect.configFiles.some((p) => exists(p)))
  if (installed.length === 1) return installed[0].backend
  const runs = isRunning(CHAINS.map((c) => c.detect.process))
  const live = CHAINS.filter((_, i) => runs[i])
  return (live.length === 1 ? live[0] : DEFAULT_CHAIN).backend
}

/**
 * The chain that serves a network here instead of `chain`, when its evidence says a router serves it
 * (the DHCP chain on a routed network) and a chain that serves routed networks is installed or running
 * here (the L3 agent's); undefined otherwise.
 */
export function routerChainInstead(
  chain: ChainModule,
  ev: NetworkEvidence,
  exists: (p: string) => boolean = existsSync,
  isRunning: (patterns: readonly RegExp[]) => boolean[] = running,
): ChainModule | undefined {
  if (!chain.servedByRouter?.(ev)) return undefined
  return CHAINS.find((c) => c !== chain && c.servesRouted && (c.detect.configFiles.some((p) => exists(p)) || isRunning([c.detect.process])[0]))
}

/** A --config-file or --state-path the operator gave that does not exist: bad input (exit 2) naming it, never a broken chain. */
export function refuseMissingGiven(given: LiveRequest['given'], exists: (p: string) => boolean = existsSync): void {
  const named: [string, string | undefined][] = [
    ['--config-file', given?.configFile],
    ['--state-path', given?.statePath],
  ]
  for (const [flag, path] of named)
    if (path !== undefined && !exists(path)) throw usageError('given-path-missing', `${flag} ${path}: no such file or directory`)
}

export async function collectLive(req: LiveRequest): Promise<Snapshot> {
  refuseMissingGiven(req.given)
  const backend = nodeBackend(req)
  let chain = chainFor(backend)
  if (!chain) throw new Error(`no chain for backend ${backend}`)
  let snap = await chain.collect(req)
  // a routed network on a node with a DHCP agent and an L3 agent: its qdhcp namespace is here, but its
  // router serves its metadata (unless --backend, or a --config-file naming the agent, said which chain)
  if (!req.backend && req.given?.configFile === undefined && req.network !== undefined && snap.networks.length === 1) {
    const router = routerChainInstead(chain, snap.networks[0])
    if (router) {
      chain = router
      snap = await router.collect(req)
    }
  }
  const networks = snap.networks.map((ev) => ev.network)
  // how Neutron is installed here: --deployment, else the signs of the agents the collection found (their
  // cgroup, environment, path; /proc is walked again only when it looked for none) and the marker paths;
  // recorded in each network's evidence, which its fixes read
  const [{pickDeployment}, {liveSigns}] = await Promise.all([import('../deployments/detect.js'), import('../deployments/live.js')])
  const looked = snap.networks.some((ev) => chain.agentProcesses?.(ev) !== undefined)
  const found = snap.networks.flatMap((ev) => chain.agentProcesses?.(ev) ?? [])
  const told = pickDeployment(req.deployment, () => liveSigns(looked ? found : undefined))
  for (const ev of snap.networks) Object.assign(ev, {deployment: told.name, deploymentFrom: told.from})
  // the end of the metadata agent's log (and Nova metadata's), read once where this deployment keeps them
  if (chain.logService && snap.networks.length > 0) {
    const [{collectLogs}, {LiveView}] = await Promise.all([import('../chains/common/log-collect.js'), import('../sources/live.js')])
    const logs = await collectLogs(new LiveView(), {deployment: told.name, layout: snap.networks[0].layout}, chain.logService)
    for (const ev of snap.networks) ev.logs = logs
  }
  const {hasCredentials} = await import('../openstack/credentials.js')
  if (req.api && networks.length > 0 && hasCredentials(req.os, process.env)) {
    const api = await import('../node/api.js')
    // the answers every chain reads, so that a snapshot can be judged by whichever chain serves the network
    const byNet = await api.collectApi(networks, req.os, api.agentHost(req.paths.configFile, req.agentHost), networkApiPaths)
    // a chain that asked the API itself (the router's) keeps its answers; the common ones are added
    for (const ev of snap.networks) {
      const got = byNet.get(ev.network)
      if (!ev.api || !got) ev.api = ev.api ?? got
      else ev.api.records.push(...got.records.filter((r) => !ev.api!.records.some((x) => x.path === r.path)))
    }
  }
  // no secret leaves the node: every file and command line kept (records shared between networks once)
  const {redactNetwork} = await import('../chains/redact.js')
  const seen = new WeakSet<object>()
  for (const ev of snap.networks) redactNetwork(ev, seen)
  return snap
}
