import * as Flags from '@oclif/core/flags'

/** Flags shared by `enable` and `disable`. */
export const configFlags = {
  backup: Flags.boolean({allowNo: true, default: true, description: 'keep a copy of the original next to it (--no-backup to skip)'}),
  check: Flags.boolean({description: 'change nothing; exit 0 when the file is already as wanted, 1 when not', exclusive: ['dry-run', 'restart']}),
  'config-file': Flags.string({
    description: 'the DHCP agent config [default: /etc/neutron/dhcp_agent.ini, else /etc/quantum/dhcp_agent.ini]',
    helpValue: 'FILE',
  }),
  'dry-run': Flags.boolean({description: 'change nothing; print the unified diff that a real run would apply', exclusive: ['check', 'restart']}),
  override: Flags.boolean({
    description:
      "on a kolla-ansible node: write the operator's override (/etc/kolla/config/neutron/dhcp_agent.ini, created when missing) instead of the generated file the next deploy rewrites; kolla-ansible reconfigure -t neutron on the deploy host applies it",
    exclusive: ['config-file', 'restart'],
  }),
  restart: Flags.boolean({description: 'restart the DHCP agent (systemd, else service) when something changed'}),
}
