import * as Args from '@oclif/core/args'

import {nodeFlags} from '../../chains/flags.js'
import {QmCommand} from '../../base-command.js'
import type {Finding} from '../../chains/types.js'
import {EXIT} from '../../errors.js'
import {checkNetId, nodePaths} from '../../layout.js'
import {wideFlags} from '../../render/flags.js'

export default class OptsVerify extends QmCommand {
  static args = {'net-id': Args.string({description: 'the network UUID', required: true})}

  static description = `check only the classless route in the network's opts file (exit 0 present and right, 1 not, 3 not judged)

The same check as diagnose's opts.metadata-route: a 121 line with 169.254.169.254/32 via the DHCP port's address on the device, on a tag dnsmasq serves. Where the namespace cannot be seen, the line's form alone: no 169.254.169.254/32 pair is 1, a pair whose next hop cannot be checked is 3. On an ML2/OVN chassis: diagnose's ovn.dhcp-route, option 121 in the NB DHCP_Options via the network's metadata port.`

  static examples = ['<%= config.bin %> opts verify 01cce415-8e2b-4096-92b5-7acc67163d79 --state-path /var/lib/quantum']

  static flags = {
    ...nodeFlags,
    ...wideFlags,
  }

  public async run(): Promise<{finding: Finding; network: string}> {
    const {args, flags} = await this.parse(OptsVerify)
    const netId = checkNetId(args['net-id'])
    const paths = nodePaths({configFile: flags['config-file'], statePath: flags['state-path']})
    const {verifyRoute} = await import('../../diagnose/wait.js')
    const f = await verifyRoute(netId, paths, {configFile: flags['config-file'], statePath: flags['state-path']})
    // a skip is a route this node could not judge (its namespace not visible): exit 3, not "missing"
    process.exitCode = f.status === 'pass' || f.status === 'warn' ? EXIT.OK : f.status === 'skip' ? EXIT.CANNOT : EXIT.FAILED
    if (!this.jsonEnabled()) {
      const [{fitted, fixLines, printable}, {outputWidth}] = await Promise.all([import('../../render/findings.js'), import('../../render/width.js')])
      const width = outputWidth(flags.wide)
      const lines = [
        ...fitted(`${f.status === 'pass' ? 'ok' : f.status.toUpperCase()}: ${printable(f.summary, 2000)}`, width),
        ...f.evidence.flatMap((e) => fitted(`    ${printable(e, 1000)}`, width)),
        // the fix lines are pasted: each whole on its line, whatever the width
        ...(f.fix ? ['fix:', ...fixLines(f.fix)] : []),
      ]
      process.stdout.write(lines.map((l) => `${l}\n`).join(''))
    }
    return {finding: f, network: netId}
  }
}
