// `nft list ruleset` (or `nft list table ip nat`) text, reduced to the same rules as iptables-save
// (parse/iptables-save.ts), for a node whose rules live only in nf_tables (iptables-nft wrote them,
// and the iptables-save on PATH is the legacy one, or none). As nft 1.0.6 prints what iptables-nft
// wrote inside a qrouter namespace:
//   table ip nat {
//   	chain neutron-l3-agent-PREROUTING {
//   		iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 counter packets 2 bytes 120 redirect to :9697
//   	}
//   }
// Only the tables of one family are kept (`ip`: IPv4). One pass over the lines, each split once.
import {type FwChain, type FwRule, MAX_RULE_LINE, type Mark, parseNumber, type Ruleset, tokenize} from './iptables-save.js'
import {splitLines, toInt} from './ip-util.js'

const TARGETS: Record<string, string> = {accept: 'ACCEPT', drop: 'DROP', queue: 'QUEUE', reject: 'REJECT', return: 'RETURN'}

/** `mark and 0xffff0000 xor 0x1`, `0x1`, `mark or 0x2000` after `meta mark set`: what --set-xmark would say. */
function setMarkOf(t: string[], i: number): Mark | undefined {
  if (t[i] === 'mark' && (t[i + 1] === 'and' || t[i + 1] === '&')) {
    const keep = parseNumber(t[i + 2])
    const value = t[i + 3] === 'xor' || t[i + 3] === '^' ? parseNumber(t[i + 4]) : 0
    return keep === undefined || value === undefined ? undefined : {mask: ~keep >>> 0, value}
  }
  if (t[i] === 'mark' && (t[i + 1] === 'or' || t[i + 1] === '|')) {
    const bits = parseNumber(t[i + 2])
    return bits === undefined ? undefined : {mask: bits, value: bits}
  }
  const value = parseNumber(t[i])
  return value === undefined ? undefined : {mask: 0xffff_ffff, value}
}

function parseRuleLine(tokens: string[], table: string, chain: string, line: number, raw: string): FwRule {
  const rule: FwRule = {chain, line, raw, table}
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    const next = tokens[i + 1]
    if (t === 'counter' && tokens[i + 1] === 'packets') {
      i += 4
      continue
    }
    if (t === 'iifname' && next !== undefined && next !== '!=') {
      rule.inInterface = next
      i++
    } else if (t === 'ip' && next === 'daddr' && tokens[i + 2] !== '!=' && tokens[i + 2] !== undefined) {
      rule.destination = tokens[i + 2]
      i += 2
    } else if ((t === 'ip' && next === 'protocol') || (t === 'meta' && next === 'l4proto')) {
      if (tokens[i + 2] !== '!=') rule.protocol = tokens[i + 2]
      i += 2
    } else if ((t === 'tcp' || t === 'udp') && next === 'dport') {
      rule.protocol ??= t
      if (tokens[i + 2] !== '!=') rule.dport = toInt(tokens[i + 2])
      i += 2
    } else if (t === 'ct' && next === 'mark') {
      // connmark: not the packet's mark
      i++
    } else if ((t === 'meta' && next === 'mark') || t === 'mark') {
      const at = t === 'meta' ? i + 2 : i + 1
      if (tokens[at] === 'set') {
        if (tokens[at + 1] !== 'ct') {
          rule.setMark = setMarkOf(tokens, at + 1)
          rule.target = 'MARK'
        }
        i = at + 1
        continue
      }
      let j = at
      let mask = 0xffff_ffff
      if (tokens[j] === '&' || tokens[j] === 'and') {
        mask = parseNumber(tokens[j + 1]) ?? mask
        j += 2
      }
      let negated = false
      if (tokens[j] === '==' || tokens[j] === '!=') {
        negated = tokens[j] === '!='
        j++
      }
      const value = parseNumber(tokens[j])
      if (value !== undefined) rule.markMatch = {mask, negated, value}
      i = j
    } else if (t === 'redirect') {
      rule.target = 'REDIRECT'
      if (next === 'to') {
        rule.toPort = toInt((tokens[i + 2] ?? '').replace(/^:/, '').split('-')[0])
        i += 2
      }
    } else if (t === 'dnat') {
      rule.target = 'DNAT'
      const to = next === 'to' ? (tokens[i + 2] ?? '') : ''
      const colon = to.lastIndexOf(':')
      if (colon > 0) {
        rule.toAddress = to.slice(0, colon)
        rule.toPort = toInt(to.slice(colon + 1).split('-')[0])
      } else if (to !== '') rule.toAddress = to
      i += 2
    } else if (t === 'jump' || t === 'goto') {
      rule.target = next
      rule.jump = next
      i++
    } else if (TARGETS[t] !== undefined) {
      rule.target = TARGETS[t]
    }
  }
  return rule
}

/** The tables of family `family` (`ip` by default) as a Ruleset keyed by table name. */
export function parseNftRuleset(text: string, family = 'ip'): Ruleset {
  const out: Ruleset = {tables: new Map(), unknown: 0}
  let table: Map<string, FwChain> | undefined
  let tableName = ''
  let chain: FwChain | undefined
  /** nesting depth of `{`: 1 inside a table, 2 inside a chain (or a set, skipped) */
  let depth = 0
  let skipping = false
  const lines = splitLines(text)
  for (let n = 0; n < lines.length; n++) {
    if (lines[n].length > MAX_RULE_LINE) {
      out.unknown++
      continue
    }
    const line = lines[n].trim()
    if (line === '' || line.startsWith('#')) continue
    const opens = countOutsideQuotes(line, '{')
    const closes = countOutsideQuotes(line, '}')
    if (depth === 0) {
      const m = /^table (\S+) (\S+) \{$/.exec(line)
      if (m) {
        tableName = m[2]
        table = m[1] === family ? (out.tables.get(tableName) ?? new Map<string, FwChain>()) : undefined
        if (table) out.tables.set(tableName, table)
      } else out.unknown++
      depth += opens - closes
      continue
    }
    if (depth === 1 && !skipping) {
      const m = /^chain (\S+) \{$/.exec(line)
      if (m && table) {
        chain = table.get(m[1]) ?? {name: m[1], rules: []}
        table.set(m[1], chain)
      } else if (!m && opens > closes) skipping = true // a set, map or flowtable block
      depth += opens - closes
      if (depth <= 0) {
        depth = 0
        table = undefined
      }
      continue
    }
    const before = depth
    depth += opens - closes
    if (skipping) {
      if (depth <= 1) skipping = false
      continue
    }
    if (before === 2 && chain && table) {
      if (line === '}') {
        chain = undefined
        continue
      }
      if (line.startsWith('type ')) {
        const policy = /policy (\w+);/.exec(line)?.[1]
        const hook = /hook (\w+)/.exec(line)?.[1]
        if (policy) chain.policy = policy.toUpperCase()
        if (hook) chain.hook = hook
        continue
      }
      const raw = line.replace(/ ?counter packets \d+ bytes \d+/, '').trim()
      chain.rules.push(parseRuleLine(tokenize(line), tableName, chain.name, n + 1, raw))
    }
    if (depth <= 1) chain = undefined
    if (depth <= 0) {
      depth = 0
      table = undefined
    }
  }
  return out
}

function countOutsideQuotes(line: string, ch: string): number {
  let n = 0
  let quoted = false
  for (const c of line) {
    if (c === '"') quoted = !quoted
    else if (!quoted && c === ch) n++
  }
  return n
}
