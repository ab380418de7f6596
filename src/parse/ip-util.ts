// Small address helpers shared by the parsers. Pure; never throw.
import {isIPv4, isIPv6} from 'node:net'

export {isIPv4, isIPv6}

/** `255.255.255.0` -> 24; undefined when the text is not a contiguous IPv4 netmask. */
export function netmaskToPrefixlen(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('')
  if (!/^1*0*$/.test(bits)) return undefined
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')
}

/** Canonical (RFC 5952) text for eight 16-bit groups; `::ffff:a.b.c.d` for v4-mapped. */
export function formatIPv6Groups(groups: number[]): string {
  if (groups.length !== 8) return ''
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const v4 = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')
    return `::ffff:${v4}`
  }
  // longest run (>= 2) of zero groups, first one wins on a tie
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  const head = hex.slice(0, bestStart).join(':')
  const tail = hex.slice(bestStart + bestLen).join(':')
  return `${head}::${tail}`
}

/** true for the "any address" spellings the tools print: `*`, `0.0.0.0`, `::`, and empty. */
export function isWildcardAddress(address: string): boolean {
  return address === '*' || address === '' || address === '0.0.0.0' || address === '::'
}

export function toInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/)
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `ip -j` output: a JSON array, or [] when the text is not one. */
export function parseJsonArray(text: string): unknown[] {
  try {
    const data: unknown = JSON.parse(text)
    return Array.isArray(data) ? data : []
  } catch {
    return []
  }
}
