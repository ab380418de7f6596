import {metadataVerdict, readSettings} from '../config/dhcp-agent.js'
import {IniSyntaxError, parseIni} from '../config/oslo-ini.js'
import {LAYOUTS} from '../layout.js'
import {quoteLines} from './derive.js'
import {type Check, fail, pass} from './types.js'

export const configMetadataEnabled: Check = {
  id: 'config.metadata-enabled',
  needs: [],
  run(ev) {
    const file = ev.config
    const fix = `quantum-meta enable --config-file ${file.path} --restart`
    if (file.state !== 'present' || file.content === undefined) {
      return fail(`cannot read the agent config ${file.path} (${file.state === 'missing' ? 'no such file' : file.error ?? file.state})`, [], `pass the agent's dhcp_agent.ini with --config-file`)
    }
    let ini
    try {
      ini = parseIni(file.content)
    } catch (error) {
      if (error instanceof IniSyntaxError) return fail(`oslo.config cannot read ${file.path}: ${error.message}; the agent does not start`, [], `fix ${file.path} line ${error.lineNumber}`)
      throw error
    }
    const s = readSettings(ini)
    const v = metadataVerdict(s)
    const lines = [s.enable_isolated_metadata.line, s.force_metadata.line, s.enable_metadata_network.line].filter((n): n is number => n !== undefined)
    const evidence = lines.length > 0 ? quoteLines(file.path, file.content, lines.sort((a, b) => a - b)) : [`${file.path}: no enable_isolated_metadata or force_metadata line in [DEFAULT]`]
    if (v.valid && v.serves) return pass(v.reason, evidence)
    return fail(v.reason, evidence, `${fix}    (then the ${LAYOUTS[ev.layout].dhcpAgentService} restart re-creates the proxy and opts)`)
  },
}
