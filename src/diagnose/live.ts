/** The whole live collection for diagnose and collect: node evidence, plus the API's when credentials exist. */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {isIP, isIPv4} from 'node:net'

import type {BackendName, DeploymentName, NetworkEvidence, Snapshot} from '../evidence/evidence.js'
import type {OsFlags} from '../openstack/credentials.js'
import {usageError} from '../errors.js'
import {CHAINS, chainFor, DEFAULT_CHAIN, networkApiPaths} from '../chains/registry.js'
import type {ChainModule, CollectRequest} from '../chains/module.js'
import {NEUTRON_PATHS, readList, readPort} from '../chains/common/api.js'

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
export function refuseMissingGiven(given: LiveRequest['given'], exists: (p: string) => boolean = existsSync, novaConfig?: string): void {
  const named: [string, string | undefined][] = [
    ['--config-file', given?.configFile],
    ['--state-path', given?.statePath],
    ['--nova-config', novaConfig],
  ]
  for (const [flag, path] of named)
    if (path !== undefined && !exists(path)) throw usageError('given-path-missing', `${flag} ${path}: no such file or directory`)
}

export async function collectLive(req: LiveRequest): Promise<Snapshot> {
  refuseMissingGiven(req.given, existsSync, req.novaConfig)
  if (req.probeAs !== undefined && isIP(req.probeAs) === 0)
    throw usageError('usage', `--probe-as ${JSON.stringify(req.probeAs)}: not an IPv4 or IPv6 address (the instance's, as its request would come from)`)
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
  // past the agent: its settings for Nova, Nova's config when at hand, and with --probe/--probe-as the requests
  if (chain.nova) await novaStep(chain, snap.networks, req)
  // no secret leaves the node: every file and command line kept (records shared between networks once)
  const {redactNetwork} = await import('../chains/redact.js')
  const seen = new WeakSet<object>()
  for (const ev of snap.networks) redactNetwork(ev, seen)
  return snap
}

/**
 * The instance --probe asks as, when --probe-as named none: an instance port of the network in the
 * API's answer (device_owner compute:*, its first IPv4 address), else the newest lease in dnsmasq's
 * leases file; undefined when neither shows one.
 */
export function instanceToAsk(ev: NetworkEvidence): {ip: string; from: string} | undefined {
  const ports = readList(ev, NEUTRON_PATHS.ports(ev.network), 'ports', readPort)
  for (const p of ports ?? []) {
    if (!p.device_owner?.startsWith('compute:')) continue
    const ip = p.fixed_ips?.find((f) => isIPv4(f.ip_address))?.ip_address
    if (ip) return {from: `port ${p.id} (${p.device_owner}), picked from the API's ports of the network`, ip}
  }
  if (ev.leases?.state === 'present' && ev.leases.content) {
    let best: {ip: string; expiry: number} | undefined
    for (const line of ev.leases.content.split('\n')) {
      const [expiry, , ip] = line.trim().split(/\s+/)
      if (ip && isIPv4(ip) && (!best || Number(expiry) > best.expiry)) best = {expiry: Number(expiry), ip}
    }
    if (best) return {from: `the newest lease in ${ev.leases.path}`, ip: best.ip}
  }
  return undefined
}

async function novaStep(chain: ChainModule, networks: NetworkEvidence[], req: LiveRequest): Promise<void> {
  const hooks = chain.nova
  if (!hooks) return
  const {collectNova, runningNovaConfig} = await import('../node/nova.js')
  // once for every network: Nova's config (a walk of /proc when not given) and each config file read
  const novaFound = (req.novaConfig ? {from: '--nova-config', path: req.novaConfig} : await runningNovaConfig()) ?? null
  const cache = new Map()
  const reached = new Map()
  for (const ev of networks) {
    const asked = req.probeAs ? {from: '--probe-as', ip: req.probeAs} : req.probe ? instanceToAsk(ev) : undefined
    const headers = hooks.headers(ev)
    const socket = ev.upstreamSocket.path
    let skipped: string | undefined
    if ((req.probeAs || req.probe) && !asked) skipped = 'no instance port of the network in the API answer or the leases (give --probe-as IP)'
    else if (asked && !headers) skipped = 'the evidence names no router for the proxy to name (X-Neutron-Router-ID)'
    else if (asked && ev.upstreamSocket.state !== 'present')
      skipped = `${socket}: ${ev.upstreamSocket.state === 'missing' ? 'no such socket' : (ev.upstreamSocket.error ?? ev.upstreamSocket.state)}`
    ev.nova = await collectNova({
      agentConfigs: hooks.agentConfigs(ev),
      cache,
      novaFound,
      reached,
      asInstance: asked && headers && !skipped ? {...asked, headers, socket} : undefined,
      asInstanceSkipped: skipped,
      layout: ev.layout,
      novaConfig: req.novaConfig,
      probe: req.probe || req.probeAs !== undefined,
    })
  }
}
