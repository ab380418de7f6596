/**
 * The router namespace's rules for metadata: the nat PREROUTING redirect of 169.254.169.254:80 to the
 * proxy's port (l3.redirect), and what filter INPUT does with the redirected request, given the mark
 * mangle PREROUTING sets on it (l3.accept). Read from iptables-save (nft or legacy), or nft's ruleset.
 */
import {clip, plural, shq} from '../common/text.js'
import {ran} from '../common/evidence.js'
import {type Check, cmd, conf, fail, notHere, notJudged, pass} from '../types.js'
import type {CommandRecord, NetworkEvidence} from '../../evidence/evidence.js'
import {type FwRule, isBuiltinChain, type Ruleset, ruleCount} from '../../parse/iptables-save.js'
import {gatewaysOf, METADATA_IP, metadataRules, type ProxyPort, proxyPort, qrDevices, rulesetOf, settingsOf} from './facts.js'
import {metadataNetworkPort, viaMetadataNetwork} from './mdnet.js'
import {restartL3Agent} from './restart.js'

/** The port the redirect must reach: the proxy's own (its bind), else the agent's metadata_port. */
function wantedPort(ev: NetworkEvidence): ProxyPort {
  const p = proxyPort(ev)
  if (p) return p
  const s = settingsOf(ev).metadataPort
  return {from: s.path ? `metadata_port in ${s.path}:${s.line}` : 'metadata_port (default)', port: s.value ?? 9697}
}

const quote = (src: CommandRecord, r: FwRule) => `${ran(src)}:${r.line}: ${clip(r.raw, 240)}`

function unread(ev: NetworkEvidence): ReturnType<Check['run']> | undefined {
  const recs = ev.router?.rules
  if (!recs || recs.length === 0) return notJudged(`the rules in ${ev.namespace} were not collected`)
  if (recs.every((r) => r.notCollected !== undefined)) return notJudged(`\`${ran(recs[0])}\`: ${recs[0].notCollected}`)
  return undefined
}

export const l3Redirect: Check = {
  id: 'l3.redirect',
  needs: ['l3.ha', 'l3.config'],
  title: "nat PREROUTING in the router's namespace redirects 169.254.169.254 tcp 80 to the proxy's port",
  run(ev) {
    const mdnet = metadataNetworkPort(ev)
    if (mdnet) return notHere(`no redirect is expected: ${viaMetadataNetwork(mdnet)}`)
    const missing = unread(ev)
    if (missing) return missing
    const mr = metadataRules(ev)
    const restart = restartL3Agent(ev)
    if (!mr) {
      const r = ev.router!.rules![0]
      return fail(
        `cannot read the rules in ${ev.namespace}: \`${ran(r)}\` ${r.error ? `did not run (${r.error})` : `exited ${r.exitCode}: ${clip(r.stderr.trim() || 'no output')}`}`,
        [],
        cmd(
          `sudo quantum-meta diagnose ${shq(ev.network)} --backend l3-agent`,
          'reading the rules needs root and iptables-save (the iptables package) on the L3 agent node',
        ),
      )
    }
    const want = wantedPort(ev)
    const tried = (ev.router?.rules ?? []).map(
      (r) =>
        `${ran(r)}: ${r.notCollected ?? (r.exitCode === 0 ? plural(ruleCount(r === mr.source ? mr.rs : rulesetOf(r)), 'rule') : (r.error ?? `exit ${r.exitCode}`))}`,
    )
    if (ruleCount(mr.rs) === 0) {
      return fail(
        `no rule at all in ${ev.namespace}: nothing redirects ${METADATA_IP}:80 (if Neutron wrote its rules with the other iptables backend, they are not shown here: see the commands tried)`,
        tried,
        cmd(restart, "its full sync re-applies the router's rules"),
      )
    }
    const good = mr.redirects.filter((r) => r.toPort === want.port && (r.target === 'REDIRECT' || /^127\.0\.0\.1$/.test(r.toAddress ?? '')))
    if (good.length > 0) {
      const r = good[0]
      return pass(
        `nat ${r.chain} sends ${METADATA_IP}:80 to port ${want.port} (${r.target === 'DNAT' ? `DNAT ${r.toAddress}` : 'REDIRECT'}), where the proxy listens`,
        [quote(mr.source, r), want.from],
      )
    }
    if (mr.redirects.length > 0) {
      const r = mr.redirects[0]
      return fail(
        `nat ${r.chain} sends ${METADATA_IP}:80 to ${r.toAddress ? `${r.toAddress}:` : 'port '}${r.toPort}, but the proxy listens on ${want.port}: instances get "connection refused"`,
        [quote(mr.source, r), want.from],
        conf(
          settingsOf(ev).metadataPort.path ?? ev.config.path,
          'DEFAULT',
          `metadata_port = ${want.port}`,
          `the port the proxy listens on (or make both agree); then ${restart}`,
        ),
      )
    }
    const nat = natPrerouting(mr.rs)
    return fail(
      `no nat PREROUTING rule in ${ev.namespace} sends ${METADATA_IP}:80 to the proxy: instances' requests are routed like any packet ("Network is unreachable" without an external gateway), and the L3 agent does not notice a deleted rule by itself`,
      nat.length > 0 ? nat.map((r) => quote(mr.source, r)) : [`${ran(mr.source)}: no nat PREROUTING rule`],
      cmd(restart, 'its full sync re-applies the rule'),
    )
  },
}

function natPrerouting(rs: Ruleset): FwRule[] {
  const t = rs.tables.get('nat')
  if (!t) return []
  return [...t.values()].filter((c) => c.name === 'PREROUTING' || c.hook === 'prerouting' || /-PREROUTING$/.test(c.name)).flatMap((c) => c.rules)
}

interface Packet {
  port: number
  mark: number
  device?: string
  gateway?: string
}

const wildcardIface = (name: string) => /[+*]$/.test(name)

function matches(r: FwRule, p: Packet): boolean {
  if (r.dport !== undefined && r.dport !== p.port) return false
  if (r.protocol !== undefined && r.protocol !== 'tcp') return false
  if (r.markMatch && ((p.mark & r.markMatch.mask) >>> 0 === r.markMatch.value) === r.markMatch.negated) return false
  if (r.inInterface !== undefined) {
    const name = r.inInterface
    const ok = wildcardIface(name) ? (p.device ?? 'qr-').startsWith(name.slice(0, -1)) : name === p.device
    if (!ok) return false
  }
  // after REDIRECT the destination is the address of the device the request came in on (the gateway)
  if (r.destination !== undefined && !['0.0.0.0/0', p.gateway, `${p.gateway}/32`].includes(r.destination)) return false
  return true
}

/** Where filter INPUT sends the redirected request: the first terminal rule it matches, jumps followed in order. */
function verdict(rs: Ruleset, p: Packet): {target: string; rule?: FwRule; policy?: string} {
  const t = rs.tables.get('filter')
  if (!t) return {policy: 'ACCEPT', target: 'ACCEPT'}
  const seen = new Set<string>()
  const walk = (chain: string): {target: string; rule?: FwRule} | 'return' | undefined => {
    if (seen.has(chain)) return undefined
    seen.add(chain)
    for (const r of t.get(chain)?.rules ?? []) {
      if (!matches(r, p)) continue
      if (r.jump && t.has(r.jump) && !isBuiltinChain(r.jump)) {
        const v = walk(r.jump)
        if (v && v !== 'return') return v
        continue
      }
      if (r.target === 'RETURN') return 'return'
      if (r.target === 'ACCEPT' || r.target === 'DROP' || r.target === 'REJECT') return {rule: r, target: r.target}
    }
    return undefined
  }
  const start = [...t.values()].find((c) => c.name === 'INPUT' || c.hook === 'input')
  const v = start ? walk(start.name) : undefined
  if (v && v !== 'return') return v
  const policy = start?.policy ?? 'ACCEPT'
  return {policy, target: policy}
}

export const l3Accept: Check = {
  id: 'l3.accept',
  needs: ['l3.redirect'],
  title: 'filter INPUT accepts the redirected request (mangle PREROUTING marks it for the accept rule)',
  run(ev) {
    const mr = metadataRules(ev)!
    const want = wantedPort(ev)
    const gw = gatewaysOf(ev)?.ips ?? []
    const dev = qrDevices(ev).find((i) => i.addresses.some((a) => gw.includes(a.local)))
    const mark = mr.marks[0]?.setMark
    const packet: Packet = {device: dev?.ifname, gateway: gw[0], mark: mark ? (mark.value & mark.mask) >>> 0 : 0, port: want.port}
    const v = verdict(mr.rs, packet)
    const evidence = [
      ...(mr.marks[0] ? [quote(mr.source, mr.marks[0])] : [`${ran(mr.source)}: no mangle PREROUTING rule marks ${METADATA_IP}:80`]),
      ...(v.rule ? [quote(mr.source, v.rule)] : [`${ran(mr.source)}: filter INPUT policy ${v.policy}`]),
    ]
    const restart = restartL3Agent(ev)
    if (v.target === 'ACCEPT') {
      const by = v.rule
        ? `the ${v.rule.chain} rule on line ${v.rule.line}${v.rule.markMatch ? ` (mark ${hex(v.rule.markMatch.value)}/${hex(v.rule.markMatch.mask)})` : ''}`
        : `the INPUT policy ${v.policy}`
      return pass(`filter INPUT accepts the redirected request to port ${want.port} by ${by}`, evidence)
    }
    const why =
      !mark && v.rule?.dport === want.port
        ? `: nothing marks it (no mangle PREROUTING rule for ${METADATA_IP}:80), so the drop of port ${want.port} catches it`
        : ''
    return fail(
      `filter INPUT ${v.target === 'REJECT' ? 'rejects' : 'drops'} the redirected request to port ${want.port}${why}: instances time out`,
      evidence,
      cmd(restart, 'its full sync re-applies the mangle mark and the filter rules'),
    )
  },
}

const hex = (n: number) => `0x${n.toString(16)}`
