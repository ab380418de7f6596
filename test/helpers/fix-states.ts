/**
 * Every fix the test states produce (issue 21: "`bash -n` over every fix the test states produce"):
 * the repo's snapshots (examples/, test/fixtures), the real Zed DHCP node, the hand-made L3 node and
 * the derived fleet, each as recorded and with one link broken at a time, every check of every chain
 * run on each (a check whose prerequisite is missing may throw: it is then not asked), and the
 * cross-host findings of the fleets. Pure: nothing is spawned here (test/cli/fix-bash-n.test.ts runs bash).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {CHAINS} from '../../src/chains/registry.js'
import type {Finding, Fix, FixStep} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {judgeFleet} from '../../src/fleet/fleet.js'
import {API, input} from './affected-fleet.js'
import {ZED_NET} from './fleet-snapshots.js'
import {healthy as l3Healthy} from './l3-evidence.js'
import {zed} from './zed-evidence.js'

const ROOT = new URL('../../', import.meta.url).pathname

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? jsonFiles(p) : n.endsWith('.json') ? [p] : []
  })
}

/** the networks of every snapshot in the repo */
function snapshotNetworks(): {name: string; ev: NetworkEvidence}[] {
  return ['examples', 'test/fixtures'].flatMap((d) =>
    jsonFiles(join(ROOT, d)).flatMap((p) => {
      let doc: Partial<Snapshot>
      try {
        doc = JSON.parse(readFileSync(p, 'utf8'))
      } catch {
        return []
      }
      return Array.isArray(doc.networks) ? doc.networks.map((ev, i) => ({ev, name: `${p.slice(ROOT.length)}#${i}`})) : []
    }),
  )
}

/** One link broken at a time: the faults the chains judge, made generically on any evidence. */
const FAULTS: Record<string, (ev: NetworkEvidence) => void> = {
  'agent files unreadable': (ev) => {
    ev.config = {error: 'EACCES', path: ev.config.path, state: 'error'}
    if (ev.router) ev.router.configs = ev.router.configs?.map((f) => ({error: 'EACCES', path: f.path, state: 'error' as const}))
    if (ev.ovn) ev.ovn.configs = ev.ovn.configs.map((f) => ({error: 'EACCES', path: f.path, state: 'error' as const}))
  },
  'config broken': (ev) => {
    const bad = '[DEFAULT]\nenable_isolated_metadata = maybe\nenable_metadata_proxy = maybe\nmetadata_port = x\n[agent\n'
    if (ev.config.state === 'present') ev.config.content = bad
    if (ev.metadataAgentConfig?.state === 'present')
      ev.metadataAgentConfig.content = '[DEFAULT]\nnova_metadata_ip = 192.0.2.10\nmetadata_proxy_socket = /run/x\n'
  },
  'config off': (ev) => {
    if (ev.config.state === 'present') ev.config.content = '[DEFAULT]\nenable_isolated_metadata = False\nenable_metadata_proxy = False\n'
    if (ev.router?.configs) ev.router.configs = ev.router.configs.map((f) => ({...f, content: '[DEFAULT]\nenable_metadata_proxy = False\n'}))
  },
  'no agent': (ev) => {
    if (ev.agents) ev.agents = []
    if (ev.router?.agents) ev.router.agents = []
    if (ev.ovn) ev.ovn.agents = []
    if (ev.ovn) ev.ovn.controllers = []
  },
  'no namespace': (ev) => {
    ev.namespaces = {...ev.namespaces, stdout: ''}
  },
  'namespace list failed': (ev) => {
    ev.namespaces = {...ev.namespaces, exitCode: 1, stderr: 'Permission denied', stdout: ''}
  },
  'opts empty': (ev) => {
    ev.opts = {content: '', path: ev.opts.path, state: 'present'}
  },
  'opts missing': (ev) => {
    ev.opts = {path: ev.opts.path, state: 'missing'}
  },
  'opts stale hop': (ev) => {
    if (ev.opts.content) ev.opts.content = ev.opts.content.replaceAll(/169\.254\.169\.254\/32,[\d.]+/g, '169.254.169.254/32,192.0.2.77')
  },
  'processes dead': (ev) => {
    ev.processes = ev.processes.map((p) => ({...p, alive: false}))
  },
  'processes gone': (ev) => {
    ev.processes = []
    ev.haproxyPidFile = {path: ev.haproxyPidFile.path, state: 'missing'}
    ev.dnsmasqPidFile = {path: ev.dnsmasqPidFile.path, state: 'missing'}
  },
  'processes elsewhere': (ev) => {
    ev.processes = ev.processes.map((p) => ({...p, netns: 'net:[1]'}))
  },
  'socket refused': (ev) => {
    ev.upstreamSocket = {...ev.upstreamSocket, connect: 'ECONNREFUSED', state: 'present', type: 'socket'}
  },
  'socket missing': (ev) => {
    ev.upstreamSocket = {path: ev.upstreamSocket.path, state: 'missing'}
  },
  'addresses gone': (ev) => {
    if (ev.addresses) ev.addresses = {...ev.addresses, stdout: ev.addresses.stdout.replaceAll(/inet6? [^\n]*/g, '')}
  },
  'device down': (ev) => {
    if (ev.addresses)
      ev.addresses = {...ev.addresses, stdout: ev.addresses.stdout.replaceAll(',UP', '').replaceAll('"UP"', '"DOWN"').replaceAll('state UP', 'state DOWN')}
  },
  'probe 503 and 500': (ev) => {
    ev.probe = {body: '503 Service Unavailable No server is available to handle this request.', status: 503, url: 'http://169.254.169.254/'} as never
  },
  'rules gone': (ev) => {
    if (ev.router?.rules) ev.router.rules = ev.router.rules.map((r) => ({...r, stdout: '*nat\nCOMMIT\n*filter\nCOMMIT\n'}))
  },
}

const fixesOf = (fs: readonly Finding[]): Fix[] => fs.flatMap((f) => (f.fix ? [f.fix] : []))

/** every check of every chain on `ev`, and the whole diagnose (with its skips) */
function judged(ev: NetworkEvidence): Fix[] {
  const out: Fix[] = []
  for (const probe of [false, true]) {
    try {
      out.push(...fixesOf(diagnoseEvidence(structuredClone(ev), {probe}).findings))
    } catch {
      // evidence a fault made impossible for the whole chain (not a state the tool meets)
    }
  }
  for (const chain of CHAINS)
    for (const check of chain.checks) {
      try {
        const f = check.run(structuredClone(ev), {probe: true})
        if (f.fix) out.push(f.fix)
      } catch {
        // a check whose prerequisite link is missing is not asked by runChecks either
      }
    }
  return out
}

export interface FixState {
  state: string
  fix: Fix
}

/** Every fix of every test state, with the state that produced it. */
export function allFixes(): FixState[] {
  const bases: {name: string; ev: NetworkEvidence}[] = [{ev: zed(), name: 'zed'}, {ev: l3Healthy(), name: 'l3'}, ...snapshotNetworks()]
  const out: FixState[] = []
  for (const b of bases) {
    out.push(...judged(b.ev).map((fix) => ({fix, state: b.name})))
    for (const [fault, make] of Object.entries(FAULTS)) {
      const ev = structuredClone(b.ev)
      make(ev)
      out.push(...judged(ev).map((fix) => ({fix, state: `${b.name}, ${fault}`})))
    }
  }
  // each known log line (test/fixtures/metadata-log/), in the log the chain reads, on one node of each chain
  const logBases = [bases[0], bases[1], ...bases.filter((b) => b.ev.backend === 'ovn').slice(0, 1)]
  for (const f of ['lab-lines.tsv', 'code-lines.tsv'])
    for (const row of readFileSync(join(ROOT, 'test/fixtures/metadata-log', f), 'utf8')
      .trimEnd()
      .split('\n')) {
      const [, log, line] = row.split('\t')
      const path = log.startsWith('nova') ? '/var/log/nova/nova-api-metadata.log' : '/var/log/neutron/neutron-metadata-agent.log'
      const service = log.startsWith('nova') ? 'nova-metadata' : 'metadata-agent'
      for (const b of logBases) {
        const ev = structuredClone(b.ev)
        const rec = (p: string, svc: string, tail: string) => ({firstLine: 1, from: 'test', offset: 0, path: p, service: svc, state: 'present' as const, tail})
        // Nova's log is read beside the agent's (alone, the check skips)
        ev.logs = [
          ...(service === 'nova-metadata' ? [rec('/var/log/neutron/neutron-metadata-agent.log', 'metadata-agent', '')] : []),
          rec(path, service, `2026-11-30 10:00:00.000 1 ${line}`),
        ]
        out.push(...judged(ev).map((fix) => ({fix, state: `${b.name}, log: ${line.slice(0, 60)}`})))
      }
    }
  // the cross-host findings of the derived fleets: opts copied, a stale namespace, a broken host
  const fleets = {
    'fleet, copied opts': [input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'})],
    'fleet, one broken of three': [
      input({api: API, host: 'net1', ip: '198.51.100.1'}),
      input({api: API, host: 'net2', ip: '198.51.100.2'}, true),
      input({api: API, host: 'net3', ip: '198.51.100.3'}),
    ],
    'fleet, IPv6 held twice': [input({host: 'net1', ip: '198.51.100.1', ipv6: 'holds'}), input({host: 'net2', ip: '198.51.100.2', ipv6: 'holds'})],
    'fleet, stale namespace': [
      input({api: {agents: ['net1', 'net2'], ports: []}, host: 'net1', ip: '198.51.100.1'}),
      input({api: {agents: ['net1', 'net2'], ports: []}, host: 'net2', ip: '198.51.100.2', noNamespace: true}),
      input({api: {agents: ['net1', 'net2'], ports: []}, host: 'net3', ip: '198.51.100.3'}),
    ],
  }
  for (const [state, hosts] of Object.entries(fleets)) {
    const r = judgeFleet(ZED_NET, hosts, {probe: false})
    out.push(...fixesOf(r.cross).map((fix) => ({fix, state})))
    for (const h of r.hosts) out.push(...fixesOf(h.findings).map((fix) => ({fix, state: `${state}: ${h.host}`})))
  }
  return out
}

/** the commands of a fix and of its alternative (a config fix has none) */
export const commandsOf = (fix: Fix): string[] =>
  [fix, ...(fix.alternative ? [fix.alternative] : [])].flatMap((s: FixStep) => ('command' in s ? [s.command] : []))
