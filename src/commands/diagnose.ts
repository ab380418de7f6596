import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {QmCommand} from '../base-command.js'
import {exitCodeOf} from '../diagnose/exit.js'
import {liveRequest, toolName} from '../diagnose/live-request.js'
import {checkUsage, type DiagnosePlan, instanceTarget, planDiagnose} from '../diagnose/plan.js'
import type {DiagnoseJson} from '../diagnose/run.js'
import {liveFlags, networkNamespaces, nodeFlags, servedNetworks} from '../chains/flags.js'
import {openstackFlags} from '../openstack/flags.js'
import {wideFlags} from '../render/flags.js'
import {QmError} from '../errors.js'

export default class Diagnose extends QmCommand {
  static args = {
    'net-id': Args.string({
      description: `the network UUID (the namespace is ${networkNamespaces()}), or with API credentials its name (looked up: exactly one must match)`,
      required: false,
    }),
  }

  static description = `name the broken link of the metadata chain of a network on this node

The chain is told from the node (--backend to say it). DHCP agent (isolated metadata), in chain order: the agent config, the qdhcp namespace, the DHCP and metadata addresses, dnsmasq, the opts route (option 121), the metadata proxy, its listener and its upstream socket. L3 agent (a routed network): the router holding the gateway, its qrouter namespace and qr- device, HA state, the redirect and accept rules, the proxy, its config and listener, its upstream socket. ML2/OVN: the agent's config and process, the chassis, the agent's SB registration, the metadata port, option 121 in the NB, a VM bound here, the ovnmeta namespace, haproxy and the agent's socket. With --probe an HTTP GET from inside the namespace.

"healthy" only when every link was judged. Exit: 0 healthy (or, with --check, the checks asked pass), 1 a link is broken, 2 bad input, 3 a link or host not judged, or this node cannot be inspected.

For CI: --format junit prints JUnit XML instead of the table (a failing testcase per broken link, with its evidence and fix; skipped checks as skipped; warnings pass, with the warning in system-out); --junit FILE writes the same XML to FILE as well as the usual output; --report FILE.md (or FILE.html) a report for the ticket.`

  static examples = [
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79',
    '<%= config.bin %> diagnose --all --json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot examples/grizzly-seed.snapshot.json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot net1.json --snapshot net2.json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --host net1 --host net2,net3',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --hosts-from-api',
    '<%= config.bin %> diagnose --server web-1 --probe',
    '<%= config.bin %> diagnose --ip 198.51.100.12 --network private --hosts-from-api',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --sosreport sosreport-net1-2024-05-02-abcdef --sosreport sosreport-net2-2024-05-02-ghijkl',
    '<%= config.bin %> diagnose --all --host net1,net2,net3',
    '<%= config.bin %> diagnose --list-checks',
    '<%= config.bin %> diagnose --all --format junit > metadata.xml',
    '<%= config.bin %> diagnose --all --junit metadata.xml',
  ]

  static flags = {
    // the global --debug, saying what it adds here
    debug: Flags.boolean({
      default: false,
      description:
        "print every command run and file read to stderr, then what each piece of a network's evidence yielded and each check's outcome as it is judged (secrets are never printed)",
      helpGroup: 'GLOBAL',
    }),
    ...nodeFlags,
    ...liveFlags,
    ...openstackFlags,
    ...wideFlags,
    all: Flags.boolean({
      description: `every network this node serves, one row each (${servedNetworks()})`,
      exclusive: ['snapshot'],
    }),
    'connect-timeout': Flags.integer({description: "with --host: ssh's ConnectTimeout, seconds", helpValue: 'S', max: 2_147_483, min: 1}),
    check: Flags.string({description: 'run only these checks (repeatable; see --list-checks)', helpValue: 'ID', multiple: true, multipleNonGreedy: true}),
    format: Flags.string({
      default: 'table',
      description: 'stdout: the table, or JUnit XML for CI test reporters (one testsuite per host and network, one testcase per check); JSON is --json',
      options: ['table', 'junit'],
    }),
    junit: Flags.string({description: 'also write the JUnit XML to FILE (atomically: a temp file renamed over it), whatever stdout shows', helpValue: 'FILE'}),
    report: Flags.string({
      description:
        'also write a report for the ticket to FILE (atomically), Markdown for FILE.md or .markdown, one self-contained HTML page (no script, nothing fetched) for FILE.html or .htm: whose node, when, the chain drawn with the broken link marked (text art; an SVG in HTML), its evidence and fix, every finding; on several hosts each host and the instances a broken one served',
      helpValue: 'FILE.md|FILE.html',
    }),
    host: Flags.string({
      description:
        'diagnose the network on these hosts over ssh (repeatable, or comma-separated): ssh destinations as ssh understands them (~/.ssh/config aliases, user@host); each runs `quantum-meta collect NET` there (with --all, `collect --all`: one table per network any host holds)',
      helpValue: 'DEST',
      multiple: true,
      multipleNonGreedy: true,
    }),
    agentless: Flags.boolean({
      description:
        'with --host: the hosts need neither Node.js nor quantum-meta: over the one ssh connection a read-only POSIX sh script (coreutils, grep, iproute2, python3 for the socket connect) prints the raw evidence, and it is collected and judged here; `sudo -n sh -c SCRIPT` when the login is not root (see --print-remote-script)',
    }),
    'print-remote-script': Flags.boolean({
      description: 'print the script --agentless runs on each host (for review: it only reads) and exit',
    }),
    'hosts-from-api': Flags.boolean({
      description:
        "ask the API which hosts serve the network (its DHCP agents' `host`; on ML2/OVN the chassis its VM ports are bound to; with --all every host of a DHCP or OVN metadata agent) and diagnose it on each over ssh, as with --host (which may add more); the API's host names are the ssh destinations (map them in ~/.ssh/config); its answers are used for the API checks of hosts that recorded none",
    }),
    'host-timeout': Flags.integer({
      description: 'with --host: the most one host may take, seconds (its ssh is stopped then)',
      helpValue: 'S',
      max: 2_147_483,
      min: 1,
    }),
    'list-checks': Flags.boolean({description: 'list the checks in chain order and exit'}),
    server: Flags.string({
      description:
        'start from the instance: its Neutron ports (GET /v2.0/ports?device_id=ID; a name is looked up in Nova, from the Keystone catalog), then its network diagnosed as `diagnose NET` would, the instance (port, IP, MAC, host, its DHCP lease) marked in the report; needs API credentials; with --probe on this node the metadata agent is asked as the instance',
      helpValue: 'VM',
    }),
    port: Flags.string({description: "start from the instance's Neutron port (an id, or a name: exactly one must match), as --server does", helpValue: 'PORT'}),
    ip: Flags.string({
      description: 'start from the instance holding this address (GET /v2.0/ports?fixed_ips=ip_address=IP), as --server does',
      helpValue: 'IP',
    }),
    network: Flags.string({description: 'with --server or --ip: the network (id or name) when the instance has ports on several', helpValue: 'NET'}),
    parallel: Flags.integer({description: 'with --host: how many hosts are asked at once (default 16)', helpValue: 'N', min: 1}),
    probe: Flags.boolean({description: 'also GET http://169.254.169.254/ from inside the namespace'}),
    'ssh-config': Flags.string({description: "with --host: ssh's -F (an ssh config file)", helpValue: 'FILE'}),
    'ssh-option': Flags.string({description: 'with --host: passed to ssh as -o OPT (repeatable)', helpValue: 'OPT', multiple: true, multipleNonGreedy: true}),
    'remote-command': Flags.string({
      description:
        'with --host: how quantum-meta runs on the hosts (default quantum-meta); split into words, each quoted for the remote shell; `sudo -n` is put before it when the ssh login is not root',
      helpValue: 'CMD',
    }),
    snapshot: Flags.string({
      description:
        'diagnose a snapshot taken by `quantum-meta collect` instead of this node; repeat it, one file per host, to judge the network on several hosts',
      helpValue: 'FILE',
      multiple: true,
      multipleNonGreedy: true,
    }),
    sosreport: Flags.string({
      description:
        'diagnose an extracted sosreport (sos report with the networking, openstack_neutron and process plugins) instead of this node; repeat it, one directory per host (with --snapshot files too), to judge the network on several hosts',
      helpValue: 'DIR',
      multiple: true,
      multipleNonGreedy: true,
    }),
  }

  /** parse -> plan (the flag rules: src/diagnose/plan.ts) -> run -> emit; the --json document is the result. */
  public async run(): Promise<DiagnoseJson> {
    const {args, flags} = await this.parse(Diagnose)
    if (flags['print-remote-script']) return printRemoteScript(this.jsonEnabled())
    const plan = await planWithInstance(flags, args, this.jsonEnabled())
    const [{openOutput}, {runDiagnose}] = await Promise.all([import('../diagnose/emit.js'), import('../diagnose/run.js')])
    const output = await openOutput(plan.output, toolName(this.config))
    const live = plan.kind === 'diagnose' && plan.probeAs ? {...flags, 'probe-as': plan.probeAs} : flags
    const result = await runDiagnose(plan, {live: () => liveRequest(live, this.config), tool: toolName(this.config)})
    process.exitCode = exitCodeOf(result)
    await output.emit(result)
    return result.json
  }
}

/** --print-remote-script: the agentless script on stdout (under --json, as the document's `script`). */
async function printRemoteScript(json: boolean): Promise<DiagnoseJson> {
  const {agentlessScript} = await import('../fleet/agentless.js')
  const script = agentlessScript()
  if (!json) process.stdout.write(script)
  return {script} as unknown as DiagnoseJson
}

/**
 * --server, --port, --ip: the flag rules first (credentials among them), then the instance's port
 * from the API, then the plan of its network.
 */
async function planWithInstance(flags: Parameters<typeof planDiagnose>[0], args: {'net-id'?: string}, json: boolean): Promise<DiagnosePlan> {
  const target = instanceTarget(flags)
  if (target === undefined || flags['list-checks']) return planWithName(flags, args, json)
  const {hasCredentials} = await import('../openstack/credentials.js')
  const credentials = hasCredentials(flags, process.env)
  // a usage error before anything is asked
  checkUsage(flags, args, json, {credentials})
  const {findInstance} = await import('../openstack/instance.js')
  const instance = await findInstance(target, flags.network, flags, json)
  return planDiagnose(flags, args, json, {credentials, instance})
}

/**
 * The plan; a net-id that is not a UUID, when every other rule holds and credentials are set, is a
 * network name: looked up in the API (exactly one match) and planned again with its id.
 */
async function planWithName(flags: Parameters<typeof planDiagnose>[0], args: {'net-id'?: string}, json: boolean): Promise<ReturnType<typeof planDiagnose>> {
  try {
    return planDiagnose(flags, args, json)
  } catch (error) {
    const name = args['net-id']
    if (!(error instanceof QmError) || error.code !== 'bad-net-id' || name === undefined) throw error
    const {hasCredentials} = await import('../openstack/credentials.js')
    if (!hasCredentials(flags, process.env)) throw error
    const {networkIdByName} = await import('../openstack/session.js')
    return planDiagnose(flags, {...args, 'net-id': await networkIdByName(name, flags, json)}, json)
  }
}
