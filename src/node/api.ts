/** Ask the API about networks for diagnose: a few GETs each, kept raw (status + body). */
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'

import {effective, parseIni} from '../config/oslo-ini.js'
import type {ApiEvidence} from '../evidence/evidence.js'
import {QmError} from '../errors.js'
import type {OsFlags} from '../openstack/credentials.js'
import {readRegularFileSync, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'

/** The name this node's DHCP agent reports: `host` in its config (or neutron.conf/quantum.conf beside it), else the hostname. */
export function agentHost(configFile: string, given?: string): {host: string; from: string} {
  if (given) return {from: '--agent-host', host: given}
  const dir = dirname(configFile)
  for (const f of [configFile, join(dir, 'neutron.conf'), join(dir, 'quantum.conf')]) {
    try {
      // regular files only, bounded: neutron.conf beside the config could be anything
      const r = readRegularFileSync(f, TEXT_FILE_MAX_BYTES)
      const v = r.ok ? effective(parseIni(r.text), 'DEFAULT', 'host')?.value : undefined
      if (v) return {from: `host in ${f}`, host: v}
    } catch {
      // unreadable or not oslo-readable: try the next
    }
  }
  return {from: 'the hostname', host: hostname()}
}

/** GET each of `paths(network)` for every network, kept raw (the chains say which answers they read). */
export async function collectApi(
  networks: string[],
  flags: OsFlags,
  host: {host: string; from: string},
  paths: (network: string) => string[],
): Promise<Map<string, ApiEvidence>> {
  const out = new Map<string, ApiEvidence>()
  let neutron
  try {
    const {connect} = await import('../openstack/session.js')
    neutron = await connect(flags)
  } catch (error) {
    // a bad --os-timeout / OS_TIMEOUT is the command line's fault (exit 2), not an answer of the API
    if (!(error instanceof QmError) || error.code === 'bad-timeout') throw error
    for (const n of networks) out.set(n, {error: error.message, host: host.host, hostFrom: host.from, records: []})
    return out
  }
  await Promise.all(
    networks.map(async (n) => {
      const records = await Promise.all(
        paths(n).map(async (path) => {
          try {
            const r = await neutron.call('GET', path)
            return {body: r.text, method: 'GET', path, status: r.status}
          } catch (error) {
            return {body: error instanceof Error ? error.message : String(error), method: 'GET', path, status: 0}
          }
        }),
      )
      out.set(n, {host: host.host, hostFrom: host.from, records})
    }),
  )
  return out
}
