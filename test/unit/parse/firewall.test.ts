// iptables-save (nf_tables and legacy) and `nft list ruleset` on the rules a real Zed L3 agent wrote in
// its router's namespace, and their replays on this machine's iptables/nft (test/fixtures/router/SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {type FwRule, parseIptablesSave, reachableChains, ruleCount, rulesFrom, tokenize} from '../../../src/parse/iptables-save.js'
import {parseNftRuleset} from '../../../src/parse/nft.js'

const fx = (f: string) => readFileSync(new URL(`../../fixtures/router/${f}`, import.meta.url), 'utf8')
const metadata = (r: FwRule) => r.destination?.replace(/\/32$/, '') === '169.254.169.254' && r.dport === 80

/** What the metadata chain reads of a ruleset, the same whichever tool printed it. */
function summary(rs: ReturnType<typeof parseIptablesSave>) {
  const nat = rulesFrom(rs, 'nat', 'PREROUTING').filter(metadata)
  const mangle = rulesFrom(rs, 'mangle', 'PREROUTING').filter(metadata)
  const input = rulesFrom(rs, 'filter', 'INPUT').filter((r) => ['ACCEPT', 'DROP', 'REJECT'].includes(r.target ?? ''))
  return {
    input: input.map((r) => ({dport: r.dport, mark: r.markMatch, target: r.target})),
    mangle: mangle.map((r) => ({chain: r.chain, iface: r.inInterface?.replace(/\*$/, '+'), setMark: r.setMark, target: r.target})),
    nat: nat.map((r) => ({chain: r.chain, iface: r.inInterface?.replace(/\*$/, '+'), protocol: r.protocol, target: r.target, toPort: r.toPort})),
  }
}

const HEALTHY = {
  input: [
    {dport: undefined, mark: {mask: 0xffff, negated: false, value: 1}, target: 'ACCEPT'},
    {dport: 9697, mark: undefined, target: 'DROP'},
  ],
  mangle: [{chain: 'neutron-l3-agent-PREROUTING', iface: 'qr-+', setMark: {mask: 0xffff, value: 1}, target: 'MARK'}],
  nat: [{chain: 'neutron-l3-agent-PREROUTING', iface: 'qr-+', protocol: 'tcp', target: 'REDIRECT', toPort: 9697}],
}

describe('parseIptablesSave', () => {
  it("reads the real agent's `iptables-save -c` (nf_tables): the redirect, the mark and the filter rules, counters left out", () => {
    const rs = parseIptablesSave(fx('iptables-save-c.txt'))
    expect(rs.backend).toBe('nf_tables')
    expect(rs.unknown).toBe(0)
    expect([...rs.tables.keys()]).toEqual(['mangle', 'raw', 'filter', 'nat'])
    expect(summary(rs)).toEqual(HEALTHY)
    const redirect = rulesFrom(rs, 'nat', 'PREROUTING').find(metadata)!
    expect(redirect).toMatchObject({
      destination: '169.254.169.254/32',
      line: 80,
      raw: '-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697',
      table: 'nat',
    })
    // the chain a built-in jumps to is reached; the connmark match is not taken for the packet mark
    expect(reachableChains(rs, 'nat', 'PREROUTING')).toEqual(['PREROUTING', 'neutron-l3-agent-PREROUTING'])
    const restore = rs.tables
      .get('mangle')!
      .get('neutron-l3-agent-PREROUTING')!
      .rules.find((r) => r.target === 'CONNMARK')!
    expect(restore.markMatch).toBeUndefined()
    expect(rs.tables.get('filter')!.get('INPUT')!.policy).toBe('ACCEPT')
    // a quoted comment is one word
    const snat = rs.tables.get('nat')!.get('neutron-postrouting-bottom')!.rules[0]
    expect(snat.jump).toBe('neutron-l3-agent-snat')
    expect(tokenize(snat.raw)).toContain('Perform source NAT on outgoing traffic.')
  })

  it("reads this machine's iptables-save of the same rules replayed into nf_tables", () => {
    const rs = parseIptablesSave(fx('replay-nft-iptables-save.txt'))
    expect(rs.backend).toBe('nf_tables')
    expect(summary(rs)).toEqual(HEALTHY)
  })

  it('reads the same rules as iptables-legacy-save prints them (no "(nf_tables)" in the header)', () => {
    const rs = parseIptablesSave(fx('replay-legacy-iptables-save-c.txt'))
    expect(rs.backend).toBe('legacy')
    expect(summary(rs)).toEqual(HEALTHY)
  })

  it('the empty iptables-legacy-save of an nf_tables node has no rule', () => {
    const rs = parseIptablesSave(fx('iptables-legacy-save.txt'))
    expect(ruleCount(rs)).toBe(0)
    expect(rs.backend).toBeUndefined()
  })

  it('fault b (the REDIRECT deleted): no metadata rule in nat, the chain still jumped to', () => {
    for (const f of ['fault-b-nat-after.txt', 'replay-nft-redirect-deleted-iptables-save.txt']) {
      const rs = parseIptablesSave(f === 'fault-b-nat-after.txt' ? `${fx(f)}COMMIT\n` : fx(f))
      expect(summary(rs).nat).toEqual([])
      expect(reachableChains(rs, 'nat', 'PREROUTING')).toContain('neutron-l3-agent-PREROUTING')
    }
    expect(summary(parseIptablesSave(fx('replay-nft-redirect-deleted-iptables-save.txt'))).input).toEqual(HEALTHY.input)
  })

  it('fault c (enable_metadata_proxy = False, agent restarted): the redirect and the filter accept/drop gone, the mangle mark left', () => {
    const s = summary(parseIptablesSave(fx('fault-c-iptables-save.txt')))
    expect(s.nat).toEqual([])
    expect(s.input).toEqual([])
    expect(s.mangle).toEqual(HEALTHY.mangle)
  })

  it('ip6tables-save: the fe80::a9fe:a9fe redirect to 9697', () => {
    const rs = parseIptablesSave(fx('ip6tables-save.txt'))
    const r = rulesFrom(rs, 'nat', 'PREROUTING').find((x) => x.target === 'REDIRECT')!
    expect(r).toMatchObject({destination: 'fe80::a9fe:a9fe/128', dport: 80, toPort: 9697})
  })

  it('a Grizzly-style DNAT to 127.0.0.1 and an accept of 127.0.0.1:9697', () => {
    const rs = parseIptablesSave(
      [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':quantum-l3-agent-PREROUTING - [0:0]',
        '-A PREROUTING -j quantum-l3-agent-PREROUTING',
        '-A quantum-l3-agent-PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:9697',
        'COMMIT',
      ].join('\n'),
    )
    expect(rulesFrom(rs, 'nat', 'PREROUTING').find(metadata)).toMatchObject({target: 'DNAT', toAddress: '127.0.0.1', toPort: 9697})
  })
})

describe('parseNftRuleset', () => {
  it("reads this machine's nft listing of the real rules as iptables-save reads them (base chains by hook)", () => {
    const rs = parseNftRuleset(fx('nft-list-ruleset.txt'))
    expect(summary(rs)).toEqual(HEALTHY)
    expect(rs.tables.get('nat')!.get('PREROUTING')).toMatchObject({hook: 'prerouting', policy: 'ACCEPT'})
    const redirect = rulesFrom(rs, 'nat', 'PREROUTING').find(metadata)!
    expect(redirect.raw).toBe('iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697')
    // `meta mark set mark and 0xffff xor 0x4000000` is iptables' --set-xmark 0x4000000/0xffff0000
    const scope = rs.tables.get('mangle')!.get('neutron-l3-agent-scope')!.rules[0]
    expect(scope.setMark).toEqual({mask: 0xffff0000, value: 0x4000000})
    // a connmark restore is no packet mark rule
    const restore = rs.tables.get('mangle')!.get('neutron-l3-agent-PREROUTING')!.rules[2]
    expect(restore.raw).toMatch(/^ct mark and 0xffff0000 != 0x0/)
    expect(restore.setMark).toBeUndefined()
    expect(restore.markMatch).toBeUndefined()
  })

  it("reads the real agent's `nft list table ip nat`", () => {
    const rs = parseNftRuleset(fx('nft-list-table-ip-nat.txt'))
    expect(summary(rs).nat).toEqual(HEALTHY.nat)
    expect(reachableChains(rs, 'nat', 'PREROUTING')).toEqual(['PREROUTING', 'neutron-l3-agent-PREROUTING'])
  })

  it('the faults as nft lists them: b without the redirect, c without redirect and filter rules', () => {
    expect(summary(parseNftRuleset(fx('replay-nft-redirect-deleted-nft-ruleset.txt')))).toEqual({...HEALTHY, nat: []})
    expect(summary(parseNftRuleset(fx('replay-nft-fault-c-nft-ruleset.txt')))).toEqual({input: [], mangle: HEALTHY.mangle, nat: []})
  })

  it('keeps one family: the ip6 tables are not the ip ones', () => {
    const text = `table ip6 nat {\n\tchain PREROUTING {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\ttcp dport 80 redirect to :9697\n\t}\n}\n${fx('nft-list-table-ip-nat.txt')}`
    expect(rulesFrom(parseNftRuleset(text), 'nat', 'PREROUTING').filter((r) => r.target === 'REDIRECT')).toHaveLength(1)
    expect(rulesFrom(parseNftRuleset(text, 'ip6'), 'nat', 'PREROUTING').filter((r) => r.target === 'REDIRECT')).toHaveLength(1)
  })

  it('skips sets and maps inside a table', () => {
    const text =
      'table ip filter {\n\tset blocked {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.1, 192.0.2.2 }\n\t}\n\tchain INPUT {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 9697 accept\n\t}\n}\n'
    const rs = parseNftRuleset(text)
    expect(rs.tables.get('filter')!.get('INPUT')).toMatchObject({policy: 'DROP', rules: [{dport: 9697, target: 'ACCEPT'}]})
    expect(rs.tables.get('filter')!.has('blocked')).toBe(false)
  })
})

// Linear time: 8 times the input takes about 8 times as long (a quadratic parser: 64 times; 24 allowed for a
// machine under load), and
// 1 MB stays within seconds even on a machine shared by several builds. Hostile lines longer than
// any rule (64 KB) are counted as unknown, not parsed; many short hostile lines are parsed.
describe('linear time on hostile text', () => {
  const KB = 1 << 10
  const best = (f: () => void) => {
    let min = Number.POSITIVE_INFINITY
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      f()
      min = Math.min(min, performance.now() - t0)
    }
    return min
  }
  const shapes: [string, (size: number) => string][] = [
    ['one long line of options', (n) => `*nat\n-A X ${'-d '.repeat(n / 3)}\nCOMMIT\n`],
    ['short rules of options', (n) => `*nat\n${`-A X ${'-d 1 '.repeat(20)}\n`.repeat(n / 90)}COMMIT\n`],
    ['quotes', (n) => `*nat\n${`-A X ${'"'.repeat(200)}\n`.repeat(n / 206)}COMMIT\n`],
    ['counters', (n) => `*nat\n${`[${'1'.repeat(100)} -A X\n`.repeat(n / 107)}COMMIT\n`],
    ['nft marks', (n) => `table ip nat {\n\tchain x {\n${`\t\t${'mark and '.repeat(20)}\n`.repeat(n / 183)}\t}\n}\n`],
    ['braces', (n) => `table ip nat {\n${'{\n'.repeat(n / 2)}`],
    ['the real rules', (n) => fx('iptables-save-c.txt').repeat(Math.ceil(n / 3759))],
  ]
  for (const [name, make] of shapes) {
    it(`${name}: 1 MB in about 8 times what 128 KB takes, in seconds at most`, () => {
      for (const parse of [parseIptablesSave, (t: string) => parseNftRuleset(t)]) {
        const small = make(128 * KB)
        const big = make(1024 * KB)
        parse(small) // warm up
        const ts = best(() => parse(small))
        const tb = best(() => parse(big))
        expect(tb, `${name}: 128 KB ${ts.toFixed(0)} ms, 1 MB ${tb.toFixed(0)} ms`).toBeLessThan(Math.max(ts, 25) * 24)
        expect(tb).toBeLessThan(5000)
      }
    })
  }
})
