// `ip netns` / `ip netns list`: one namespace a line, `qdhcp-<net> (id: 0)` when the
// namespace has a netns id, the bare name otherwise. Lines that are not a lone name
// (error messages such as "Cannot open network namespace ...") are left out.
import {splitLines} from './ip-util.js'

const LINE = /^\s*([A-Za-z0-9_.-]+)(?:\s+\(id:\s*\d+\))?\s*$/

export function parseNetnsList(text: string): string[] {
  const out = new Set<string>() // linear: a node lists one line per namespace, a thousand and more
  for (const line of splitLines(text)) {
    const m = LINE.exec(line)
    if (m) out.add(m[1])
  }
  return [...out]
}

/**
 * The first line of `ip netns list` output for each first word (`qdhcp-<net> (id: 0)` under
 * `qdhcp-<net>`), built once so that each of a thousand networks looks itself up in constant time.
 */
export function netnsLineIndex(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const first = line.split(/\s/)[0]
    if (!out.has(first)) out.set(first, line)
  }
  return out
}
