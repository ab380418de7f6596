import {QmCommand} from '../base-command.js'
import type {ApplyResult} from '../config/apply.js'
import {disableWanted} from '../config/dhcp-agent.js'
import {configFlags} from '../config/flags.js'
import {runConfigCommand} from '../config-command.js'

export default class Disable extends QmCommand {
  static description = `turn isolated metadata off in dhcp_agent.ini (enable_isolated_metadata, force_metadata and enable_metadata_network back to False)

Only active lines that mean True are changed; an absent key already means False and is not added. Exit: 0 done or already off, 1 --check found it on, 2 bad input (also a file that is not the DHCP agent's), 3 cannot read or write.`

  static examples = ['<%= config.bin %> disable --dry-run', '<%= config.bin %> disable --restart']

  static flags = configFlags

  public async run(): Promise<ApplyResult> {
    const {flags} = await this.parse(Disable)
    return runConfigCommand(this, flags, disableWanted(), false)
  }
}
