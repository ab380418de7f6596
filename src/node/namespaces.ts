/**
 * Namespace-wide evidence for `diagnose --all` / `collect --all`, gathered so that the cost per
 * namespace stays the same however many namespaces the node has.
 *
 * Measured on a node with 1000 qdhcp namespaces (each running dnsmasq and haproxy, 1021 mounts):
 * `ip -all netns exec ip -j addr show` took 15 ms per namespace, because ip enters each namespace with
 * netns_switch(), which also unshares the mount namespace: the kernel copies every mount, and every
 * `ip netns add` adds one (/run/netns/NAME). `unshare -m true` alone cost 9 ms more than `true` there.
 * `nsenter --net=/run/netns/NAME` enters only the network namespace (setns, constant time), and
 * `ip -j addr show` reads netlink only, so it needs neither the private /sys nor /etc/netns that
 * `ip netns exec` sets up: the output is the same.
 */
import {cpus} from 'node:os'

import type {CommandRecord} from '../evidence/evidence.js'
import {netnsLineIndex} from '../parse/netns.js'
import {run} from '../system/exec.js'

const listed = new WeakMap<CommandRecord, Map<string, string>>()

/** Whether `ip netns list` shows this namespace (first word of a line), in constant time per lookup. */
export function namespaceListed(namespaces: CommandRecord, ns: string): boolean {
  if (namespaces.exitCode !== 0) return false
  let index = listed.get(namespaces)
  if (!index) listed.set(namespaces, (index = netnsLineIndex(namespaces.stdout)))
  return index.has(ns)
}

const ADDR = ['ip', '-j', 'addr', 'show']

/**
 * One `sh` per chunk of namespaces runs `nsenter --net=/run/netns/NS ip -j addr show` for each,
 * behind a `netns: NS` line. The names are arguments ("$@"), never part of the script.
 */
const SCRIPT = 'for ns do echo "netns: $ns"; nsenter --net="/run/netns/$ns" ip -j addr show; done'

function split(stdout: string, argvOf: (ns: string) => string[], section: boolean, out: Map<string, CommandRecord>): void {
  const parts = stdout.split(/^netns: (\S+)\n/m)
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const body = parts[i + 1].trim()
    if (!body.startsWith('[')) continue
    const rec: CommandRecord = {argv: argvOf(parts[i]), exitCode: 0, stderr: '', stdout: body + '\n'}
    if (section) rec.section = `netns: ${parts[i]}`
    out.set(parts[i], rec)
  }
}

/**
 * The addresses of every namespace named, as each one's own `ip -j addr show` record, in a few
 * processes run side by side (one per core, at most 4). A namespace missing from the result (nsenter
 * failed for it, or it is gone) is for the caller to ask by itself. Without nsenter (util-linux before
 * 2.23): one `ip -all netns exec`, as before.
 */
export async function addressesOf(names: readonly string[]): Promise<Map<string, CommandRecord>> {
  const out = new Map<string, CommandRecord>()
  if (names.length === 0) return out
  const workers = Math.max(1, Math.min(4, cpus().length, Math.ceil(names.length / 16)))
  const size = Math.ceil(names.length / workers)
  const chunks = Array.from({length: workers}, (_, i) => names.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0)
  const results = await Promise.all(chunks.map((chunk) => run('sh', ['-c', SCRIPT, 'sh', ...chunk], {timeoutMs: 15_000 + 50 * chunk.length})))
  for (const r of results) split(r.stdout, (ns) => ['nsenter', `--net=/run/netns/${ns}`, ...ADDR], false, out)
  if (out.size === 0 && results.some((r) => r.failedToStart || /nsenter: (not found|No such file)/.test(r.stderr))) {
    const r = await run('ip', ['-all', 'netns', 'exec', ...ADDR], {timeoutMs: 15_000})
    if (!r.failedToStart) split(r.stdout, () => r.command, true, out)
  }
  return out
}
