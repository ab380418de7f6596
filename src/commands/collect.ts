import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {liveFlags, nodeFlags, servedNetworks} from '../chains/flags.js'
import {openstackFlags} from '../openstack/flags.js'
import {QmCommand} from '../base-command.js'
import {liveRequest} from '../diagnose/live-request.js'
import type {Snapshot} from '../evidence/evidence.js'
import {usageError} from '../errors.js'
import type {OsFlags} from '../openstack/credentials.js'
import {isUuid, netIdOrNameProblem} from '../layout.js'

export default class Collect extends QmCommand {
  static args = {'net-id': Args.string({description: 'the network UUID, or with API credentials its name (or --all)', required: false})}

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

  /** A UUID, or (with credentials) the id of the one network of that name in the API. */
  private async networkId(value: string, flags: OsFlags): Promise<string> {
    if (isUuid(value)) return value.toLowerCase()
    const {hasCredentials} = await import('../openstack/credentials.js')
    if (!hasCredentials(flags, process.env)) throw usageError('bad-net-id', netIdOrNameProblem(value))
    const {networkIdByName} = await import('../openstack/session.js')
    return networkIdByName(value, flags, this.jsonEnabled())
  }

  public async run(): Promise<Snapshot | {output: string}> {
    const {args, flags} = await this.parse(Collect)
    if (flags.all && args['net-id'] !== undefined) throw usageError('usage', 'give a network id or --all, not both')
    if (!flags.all && args['net-id'] === undefined) throw usageError('usage', 'give a network id, or --all (see --help)')
    if (flags.all && flags['probe-as'] !== undefined) throw usageError('usage', '--probe-as names one instance: give its network id, not --all')
    const netId = flags.all ? undefined : await this.networkId(args['net-id']!, flags)
    // written as --junit is (temp file, fsync, rename); a bad path fails now, before collecting
    const out = flags.output === undefined ? undefined : await import('../system/write-report.js')
    const target = out && flags.output ? await out.checkReportPath('--output', flags.output, 'without --output the snapshot goes to stdout') : undefined
    const {collectLive} = await import('../diagnose/live.js')
    const {sparseSnapshot} = await import('../evidence/sparse.js')
    // the cut-down config files (neutron.conf: ~2,000 lines, nearly all emptied) written sparse
    const snap = sparseSnapshot(await collectLive({...liveRequest(flags, this.config), network: netId, probe: flags.probe || flags['probe-as'] !== undefined}))
    if (flags.output && out && target) {
      // 0600: evidence of this node, secrets redacted or not
      await out.writeReportAtomic('--output', flags.output, target, JSON.stringify(snap, null, 2) + '\n', 0o600)
      if (!this.jsonEnabled()) process.stderr.write(`wrote ${flags.output}\n`)
      return {output: flags.output}
    }
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(snap, null, 2) + '\n')
    return snap
  }
}
