import {QmCommand} from '../base-command.js'
import type {ApplyResult} from '../config/apply.js'
import {enableWanted} from '../config/dhcp-agent.js'
import {configFlags} from '../config/flags.js'
import * as Flags from '@oclif/core/flags'
import {runConfigCommand} from '../config-command.js'

export default class Enable extends QmCommand {
  static description = `turn isolated metadata on in dhcp_agent.ini, changing only the lines that must change

Sets enable_isolated_metadata = True in [DEFAULT] (right below its commented default when there is one), keeps every other byte, writes atomically with owner and mode kept, and keeps a backup. A second run changes nothing (with --restart it restarts an agent that started before the file's last change). A file that is not the DHCP agent's (neutron.conf, the OVN or L3 agent's) is refused. Exit: 0 done or already on, 1 --check found it off, 2 bad input, 3 cannot read or write, or the restart failed (the file is changed: the message names it and its backup).`

  static examples = [
    '<%= config.bin %> enable --dry-run',
    '<%= config.bin %> enable --config-file /etc/quantum/dhcp_agent.ini --root-helper "sudo /usr/bin/quantum-rootwrap /etc/quantum/rootwrap.conf" --restart',
    '<%= config.bin %> enable --check --json',
  ]

  static flags = {
    ...configFlags,
    'force-metadata': Flags.boolean({description: 'also set force_metadata = True (a proxy on every network, routed or not)'}),
    'metadata-network': Flags.boolean({description: 'also set enable_metadata_network = True'}),
    'root-helper': Flags.string({
      description: 'also set [DEFAULT] root_helper (the fix for Grizzly before 2013.1.2)',
      helpValue: 'CMD',
    }),
  }

  public async run(): Promise<ApplyResult> {
    const {flags} = await this.parse(Enable)
    return runConfigCommand(
      this,
      flags,
      enableWanted({forceMetadata: flags['force-metadata'], metadataNetwork: flags['metadata-network'], rootHelper: flags['root-helper']}),
      true,
    )
  }
}
