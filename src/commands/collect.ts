import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {writeFile} from 'node:fs/promises'

import {liveFlags, nodeFlags, servedNetworks} from '../chains/flags.js'
import {openstackFlags} from '../openstack/flags.js'
import {QmCommand} from '../base-command.js'
import {cannotError, usageError} from '../errors.js'
import {checkNetId, nodePaths} from '../layout.js'

export default class Collect extends QmCommand {
  static args = {'net-id': Args.string({description: 'the network UUID (or --all)', required: false})}

  static description = `take a snapshot of a network's evidence on this node (raw outputs and file contents, no verdicts)

With --all, every network this node serves, as \`diagnose --all\` chooses them, in one snapshot.
Diagnose it anywhere later with \`quantum-meta diagnose <net-id> --snapshot FILE\` (without <net-id>: every network it holds).`

  static examples = [
    '<%= config.bin %> collect 01cce415-8e2b-4096-92b5-7acc67163d79 --output netnode.snapshot.json',
    '<%= config.bin %> collect --all --output netnode.snapshot.json',
  ]

  static flags = {
    ...nodeFlags,
    ...liveFlags,
    ...openstackFlags,
    all: Flags.boolean({description: `every network this node serves (${servedNetworks()})`}),
    output: Flags.string({char: 'o', description: 'write the snapshot here instead of stdout', helpValue: 'FILE'}),
    probe: Flags.boolean({description: 'include one GET of http://169.254.169.254/ from inside the namespace'}),
  }

  public async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Collect)
    if (flags.all && args['net-id'] !== undefined) throw usageError('usage', 'give a network id or --all, not both')
    if (!flags.all && args['net-id'] === undefined) throw usageError('usage', 'give a network id, or --all (see --help)')
    const netId = flags.all ? undefined : checkNetId(args['net-id']!)
    const {collectLive} = await import('../diagnose/live.js')
    const snap = await collectLive({
      agentHost: flags['agent-host'],
      api: flags.api,
      backend: flags.backend,
      given: {configFile: flags['config-file'], statePath: flags['state-path']},
      network: netId,
      os: flags,
      paths: nodePaths({configFile: flags['config-file'], metadataAgentConfig: flags['metadata-agent-config'], statePath: flags['state-path']}),
      probe: flags.probe,
      tool: `quantum-meta/${this.config.version}`,
    })
    if (flags.output) {
      await writeFile(flags.output, JSON.stringify(snap, null, 2) + '\n', {mode: 0o600}).catch((error: NodeJS.ErrnoException) => {
        throw cannotError('output-unwritable', `${flags.output}: ${error.code ?? error.message}`)
      })
      if (!this.jsonEnabled()) process.stderr.write(`wrote ${flags.output}\n`)
      return {output: flags.output}
    }
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(snap, null, 2) + '\n')
    return snap
  }
}
