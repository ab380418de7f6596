import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {QmCommand} from '../../base-command.js'
import {EXIT, usageError} from '../../errors.js'
import {nodeFlags} from '../../chains/flags.js'
import {openstackFlags} from '../../openstack/flags.js'
import {wideFlags} from '../../render/flags.js'

export default class SubnetCreate extends QmCommand {
  // positional order matters: <network> <cidr>, as `quantum subnet-create net1 172.17.17.0/24`
  static args = {
    network: Args.string({description: "network name or id (with --network: the new subnet's name, as the openstack CLI takes it)"}),
    cidr: Args.string({description: 'the subnet range, e.g. 172.17.17.0/24 (or --subnet-range)'}),
  }

  static description = `create a subnet without a gateway (gateway_ip null), so the DHCP agent serves its metadata

Sends the literal "gateway_ip": null (a client that drops nulls gets a .1 gateway). Works with Grizzly's Quantum (Keystone v2.0) and today's Neutron (Keystone v3, token + endpoint, or noauth). Takes the openstack CLI's spelling too: --network NET --subnet-range CIDR --gateway none [NAME]. A range inside 169.254.0.0/16 is refused unless --force. Exit: 0 created, 1 refused by the server (409 overlap, quota) or --wait timed out, 2 bad input or unknown network, 3 authentication failed or the API cannot be reached.`

  static examples = [
    '<%= config.bin %> subnet create net1 172.17.17.0/24 --name sub1',
    '<%= config.bin %> subnet create 01cce415-8e2b-4096-92b5-7acc67163d79 198.51.100.0/24 --dns-nameserver 198.51.100.53 -f value -c id',
    '<%= config.bin %> subnet create net1 172.17.17.0/24 --os-cloud prod --wait',
    '<%= config.bin %> subnet create --network net1 --subnet-range 172.17.17.0/24 --gateway none sub1',
  ]

  static flags = {
    ...openstackFlags,
    ...nodeFlags,
    ...wideFlags,
    'allocation-pool': Flags.string({description: 'start=IP,end=IP (repeatable)', helpValue: 'start=IP,end=IP', multiple: true, multipleNonGreedy: true}),
    column: Flags.string({char: 'c', description: 'only this field (repeatable)', helpValue: 'FIELD', multiple: true, multipleNonGreedy: true}),
    dhcp: Flags.boolean({allowNo: true, default: true, description: 'DHCP on the subnet (--no-dhcp to turn it off)'}),
    force: Flags.boolean({description: 'create it even inside 169.254.0.0/16 (refused otherwise: the metadata address is there)'}),
    gateway: Flags.string({description: 'as the openstack CLI: only none is taken (this command makes gateway-less subnets)', helpValue: 'none'}),
    network: Flags.string({description: 'the network, as the openstack CLI takes it (then the argument is the subnet name)', helpValue: 'NET'}),
    'subnet-range': Flags.string({description: 'the range, as the openstack CLI takes it', helpValue: 'CIDR'}),
    'dns-nameserver': Flags.string({description: 'DNS server for the subnet (repeatable)', helpValue: 'IP', multiple: true, multipleNonGreedy: true}),
    format: Flags.string({char: 'f', default: 'table', description: 'output format', options: ['table', 'json', 'value']}),
    'host-route': Flags.string({
      description: 'destination=CIDR,gateway=IP (repeatable)',
      helpValue: 'destination=CIDR,gateway=IP',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'ip-version': Flags.string({default: '4', description: 'IP version of the range', options: ['4', '6']}),
    name: Flags.string({description: 'subnet name', helpValue: 'NAME'}),
    wait: Flags.boolean({
      description:
        "on this node: wait until the metadata route is in place (DHCP agent: the network's opts file; ML2/OVN: option 121 in the NB DHCP_Options, else the ovnmeta namespace here)",
    }),
    'wait-timeout': Flags.integer({default: 90, description: 'seconds --wait waits (1 to 86400)', helpValue: 'SECONDS', max: 86_400, min: 1}),
  }

  /** the subnet the server created (--json, -f json: only the -c columns) */
  public async run(): Promise<Record<string, unknown>> {
    const {args, flags} = await this.parse(SubnetCreate)
    const ipVersion = flags['ip-version'] === '6' ? 6 : 4
    const {cidr, name, network} = subnetWords(args, flags)
    const req = {
      allocationPools: flags['allocation-pool'] ?? [],
      cidr,
      dnsNameservers: flags['dns-nameserver'] ?? [],
      enableDhcp: flags.dhcp,
      hostRoutes: flags['host-route'] ?? [],
      ipVersion: ipVersion as 4 | 6,
      name,
      network,
    }
    // load what the run needs side by side (each ES module costs 1-4 ms on Node 20), then go
    const [{createSubnet, validateSubnetRequest}, {connect}, render, {outputWidth}] = await Promise.all([
      import('../../openstack/subnet.js'),
      import('../../openstack/session.js'),
      import('../../render/fields.js'),
      import('../../render/width.js'),
    ])
    for (const w of validateSubnetRequest(req, {force: flags.force})) process.stderr.write(`warning: ${w}\n`)
    const neutron = await connect(flags)
    const subnet = await createSubnet(neutron, req)
    // what a chain needs of the new subnet that the API did not do (ML2/OVN: a metadata port address)
    const {CHAINS} = await import('../../chains/registry.js')
    for (const chain of CHAINS) {
      const warning = await chain.subnetWarning?.(neutron, subnet)
      if (warning) process.stderr.write(`warning: ${warning}\n`)
    }
    const json = this.jsonEnabled() || flags.format === 'json'
    if (!this.jsonEnabled()) {
      if (flags.format === 'json') process.stdout.write(JSON.stringify(render.pickFields(subnet, flags.column), null, 2) + '\n')
      else if (flags.format === 'value') process.stdout.write(render.fieldValues(subnet, flags.column))
      else process.stdout.write(`Created a new subnet:\n${render.fieldTable(subnet, flags.column, outputWidth(flags.wide))}`)
    }
    if (flags.wait) {
      const {waitForRoute} = await import('../../diagnose/wait.js')
      // the id this run sent (a checked UUID), which readCreated made sure the answer repeats
      const finding = await waitForRoute(subnet.network_id, {configFile: flags['config-file'], statePath: flags['state-path']}, flags['wait-timeout'])
      if (finding.status !== 'pass' && finding.status !== 'warn') {
        const {fixLines} = await import('../../render/findings.js')
        const fix = finding.fix ? ['fix:', ...fixLines(finding.fix)].join('\n') + '\n' : ''
        process.stderr.write(`timed out after ${flags['wait-timeout']} s: ${finding.id}: ${finding.summary}\n${fix}`)
        process.exitCode = EXIT.FAILED
      }
    }
    return json ? render.pickFields(subnet, flags.column) : subnet
  }
}

/**
 * <network> <cidr> as `quantum subnet-create` takes them, or the openstack CLI's spelling:
 * `--network NET --subnet-range CIDR [--gateway none] [NAME]`. One of each, or bad usage (exit 2).
 */
export function subnetWords(
  args: {network?: string; cidr?: string},
  flags: {network?: string; 'subnet-range'?: string; gateway?: string; name?: string},
): {network: string; cidr: string; name?: string} {
  if (flags.gateway !== undefined && flags.gateway.toLowerCase() !== 'none')
    throw usageError('usage', `--gateway ${flags.gateway}: this command creates subnets without a gateway (gateway_ip null): only --gateway none`)
  const positional = [args.network, args.cidr].filter((a): a is string => a !== undefined)
  if (flags.network !== undefined) {
    // openstack subnet create --network NET --subnet-range CIDR [NAME]
    if (flags['subnet-range'] === undefined) throw usageError('usage', `--network ${flags.network}: give the range with --subnet-range CIDR`)
    if (positional.length > 1) throw usageError('usage', `--network ${flags.network}: one argument at most, the subnet name (got ${positional.join(' ')})`)
    if (positional.length === 1 && flags.name !== undefined) throw usageError('usage', `give the name once: --name ${flags.name} or ${positional[0]}`)
    return {cidr: flags['subnet-range'], name: flags.name ?? positional[0], network: flags.network}
  }
  if (flags['subnet-range'] !== undefined) {
    if (positional.length !== 1) throw usageError('usage', 'with --subnet-range, give the network: <network> or --network NET')
    return {cidr: flags['subnet-range'], name: flags.name, network: positional[0]}
  }
  if (positional.length !== 2) throw usageError('usage', 'give <network> <cidr> (or --network NET --subnet-range CIDR)')
  return {cidr: positional[1], name: flags.name, network: positional[0]}
}
