// `ip netns` / `ip netns list`: one namespace a line, `qdhcp-<net> (id: 0)` when the
// namespace has a netns id, the bare name otherwise. Lines that are not a lone name
// (error messages such as "Cannot open network namespace ...") are left out.
import {splitLines} from './ip-util.js'

const LINE = /^\s*([A-Za-z0-9_.-]+)(?:\s+\(id:\s*\d+\))?\s*$/

export function parseNetnsList(text: string): string[] {
  const out: string[] = []
  for (const line of splitLines(text)) {
    const m = LINE.exec(line)
    if (m && !out.includes(m[1])) out.push(m[1])
  }
  return out
}
