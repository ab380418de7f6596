import {posix} from 'node:path'

import {REDACTED} from '../../config/secrets.js'
import {IniSyntaxError, effective, parseIni} from '../../config/oslo-ini.js'
import {restartMetadataAgent, upstreamDownAnswer} from './facts.js'
import {type Check, type Fix, cmd, conf, fail, pass, skip, warn} from '../types.js'
import {shq} from '../common/text.js'

/** oslo.config's `$name` / `${name}` substitution, from [DEFAULT] of the same file or the defaults given. */
function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$(\{(\w+)\}|(\w+))/g, (whole, _b, braced: string | undefined, bare: string | undefined) => vars[braced ?? bare ?? ''] ?? whole)
}

/**
 * The metadata agent's side of the chain, read from its metadata_agent.ini (beside the DHCP
 * agent's config): it must listen where the proxy forwards (metadata_proxy_socket and state_path
 * are shared options: 503 when they differ), ask Nova by an option this release reads (Queens
 * dropped nova_metadata_ip: the agent then asks 127.0.0.1, 500, or 503 from 24.0.1 on), and sign with a shared secret
 * (403 when it differs from Nova's, which this node cannot see).
 */
export const metadataAgentConfig: Check = {
  id: 'metadata-agent.config',
  needs: [],
  title: 'metadata_agent.ini: the agent listens where the proxy forwards, names Nova by an option this release reads, has a shared secret',
  run(ev) {
    const file = ev.metadataAgentConfig
    if (!file || file.state === 'not-collected') return skip('metadata_agent.ini was not collected (a transcript or an older snapshot)')
    if (file.state !== 'present' || file.content === undefined) {
      return skip(
        `no ${file.path} (${file.state === 'missing' ? 'no such file' : (file.error ?? file.state)}): the metadata agent's config is elsewhere, or this node runs none`,
      )
    }
    let ini
    try {
      ini = parseIni(file.content)
    } catch (error) {
      if (error instanceof IniSyntaxError)
        return fail(
          `oslo.config cannot read ${file.path}: ${error.message}; the metadata agent does not start`,
          [],
          cmd(
            `"\${EDITOR:-vi}" +${error.lineNumber} ${shq(file.path)}`,
            `correct line ${error.lineNumber}, keeping every other line; then ${restartMetadataAgent(ev)}`,
          ),
        )
      throw error
    }
    const get = (key: string) => effective(ini, 'DEFAULT', key)
    const at = (key: string) => {
      const a = get(key)
      return a ? `${file.path}:${a.line + 1}: ${key} = ${a.value}` : `${file.path}: no ${key} in [DEFAULT] (default used)`
    }
    const evidence: string[] = []
    const restart = restartMetadataAgent(ev)

    // 1. where the agent listens, against where the proxy forwards
    const statePath = get('state_path')?.value
    const socketOpt = get('metadata_proxy_socket')?.value || '$state_path/metadata_proxy'
    const listens = posix.normalize(interpolate(socketOpt, {state_path: statePath || ev.statePath}))
    const forwards = posix.normalize(ev.upstreamSocket.path)
    evidence.push(at('metadata_proxy_socket'), ...(statePath ? [at('state_path')] : []), `the proxy forwards to ${forwards}`)
    if (listens !== forwards) {
      return fail(
        `the metadata agent listens on ${listens}, but the proxy forwards to ${forwards}: instances get ${upstreamDownAnswer(ev.layout)} (metadata_proxy_socket and state_path must agree between the DHCP and metadata agents)`,
        evidence,
        conf(file.path, 'DEFAULT', `metadata_proxy_socket = ${forwards}`, `where the proxy forwards; then ${restart}`),
      )
    }

    // 2. how it reaches Nova
    const host = get('nova_metadata_host')
    const ip = get('nova_metadata_ip')
    const port = get('nova_metadata_port')?.value || '8775'
    const warnings: {summary: string; fix: Fix}[] = []
    let nova: string
    if (ev.layout === 'quantum') {
      nova = `${ip?.value || '127.0.0.1'}:${port}`
      evidence.push(at('nova_metadata_ip'))
      if (host && !ip)
        warnings.push({
          fix: conf(
            file.path,
            'DEFAULT',
            `nova_metadata_ip = ${host.value}`,
            `this release reads nova_metadata_ip, not nova_metadata_host (line ${host.line + 1}); then ${restart}`,
          ),
          summary: `nova_metadata_host is set, but this release reads nova_metadata_ip: the agent asks Nova at 127.0.0.1 (instances get 500 unless Nova runs here)`,
        })
    } else {
      nova = `${host?.value || '127.0.0.1'}:${port}`
      evidence.push(at('nova_metadata_host'), ...(ip ? [at('nova_metadata_ip')] : []))
      if (ip && !host)
        warnings.push({
          fix: conf(
            file.path,
            'DEFAULT',
            `nova_metadata_host = ${ip.value}`,
            `Queens on read nova_metadata_host, not nova_metadata_ip (line ${ip.line + 1}); then ${restart}`,
          ),
          summary: `nova_metadata_ip = ${ip.value} is ignored since Queens (12.0.0): the agent asks Nova at 127.0.0.1 (instances get 500, or 503 from Neutron 24.0.1 on, unless Nova runs here)`,
        })
    }

    // 3. the shared secret (its value is never collected, only whether it is set)
    const secret = get('metadata_proxy_shared_secret')
    const secretSet = secret !== undefined && secret.value !== ''
    evidence.push(
      secret
        ? `${file.path}:${secret.line + 1}: metadata_proxy_shared_secret = ${secretSet ? REDACTED : '(empty)'}`
        : `${file.path}: no metadata_proxy_shared_secret (empty)`,
    )
    if (!secretSet) {
      warnings.push({
        fix: cmd(
          "grep -E '^[[:space:]]*metadata_proxy_shared_secret' /etc/nova/nova.conf",
          `on a Nova API node: Nova's [neutron] secret; set the same value as metadata_proxy_shared_secret in [DEFAULT] of ${file.path} (or a new one, from openssl rand -hex 32, in both), then ${restart} and restart Nova's metadata API`,
        ),
        summary: 'no metadata_proxy_shared_secret: Nova must have an empty one too (else 403), and anything that reaches Nova can claim any instance',
      })
    }
    if (warnings.length > 0) return warn(warnings.map((w) => w.summary).join('; '), evidence, warnings[0].fix)
    return pass(`the metadata agent listens on ${listens} (where the proxy forwards), asks Nova at ${nova}, signs with a shared secret`, evidence)
  },
}
