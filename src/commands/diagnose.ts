import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {liveFlags, networkNamespaces, nodeFlags, servedNetworks} from '../chains/flags.js'
import {openstackFlags} from '../openstack/flags.js'
import {QmCommand} from '../base-command.js'
import {ALL_CHECKS, CHAINS} from '../chains/registry.js'
import {EXIT, usageError} from '../errors.js'
import {checkNetId, nodePaths} from '../layout.js'

/** where the JUnit XML goes: stdout (--format junit) and/or a file (--junit, checked before diagnosing) */
interface JunitOut {
  stdout: boolean
  path?: string
  target?: string
  write: typeof import('../system/write-report.js').writeReportAtomic
}

export default class Diagnose extends QmCommand {
  static args = {
    'net-id': Args.string({description: `the network UUID (the namespace is ${networkNamespaces()})`, required: false}),
  }

  static description = `name the broken link of the metadata chain of a network on this node

DHCP agent (isolated metadata), in chain order: the agent config, the qdhcp namespace, the DHCP and metadata
addresses, dnsmasq, the opts route (option 121), the metadata proxy, its listener and its upstream socket.
ML2/OVN: the agent's config and process, the chassis, the agent's SB registration, the metadata port, option 121
in the NB, a VM bound here, the ovnmeta namespace, haproxy and the agent's socket. With --probe an HTTP GET from
inside the namespace. Exit: 0 no link broken, 1 a link is broken, 2 bad input, 3 cannot inspect.

For CI: --format junit prints JUnit XML instead of the table (a failing testcase per broken link, with
its evidence and fix; skipped checks as skipped; warnings pass, with the warning in system-out);
--junit FILE writes the same XML to FILE as well as the usual output.`

  static examples = [
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79',
    '<%= config.bin %> diagnose --all --json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot examples/grizzly-seed.snapshot.json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot net1.json --snapshot net2.json',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --host net1 --host net2,net3',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --hosts-from-api',
    '<%= config.bin %> diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --sosreport sosreport-net1-2024-05-02-abcdef --sosreport sosreport-net2-2024-05-02-ghijkl',
    '<%= config.bin %> diagnose --all --host net1,net2,net3',
    '<%= config.bin %> diagnose --list-checks',
    '<%= config.bin %> diagnose --all --format junit > metadata.xml',
    '<%= config.bin %> diagnose --all --junit metadata.xml',
  ]

  static flags = {
    ...nodeFlags,
    ...liveFlags,
    ...openstackFlags,
    all: Flags.boolean({
      description: `every network this node serves, one row each (${servedNetworks()})`,
      exclusive: ['snapshot'],
    }),
    'connect-timeout': Flags.integer({description: "with --host: ssh's ConnectTimeout, seconds", helpValue: 'S', min: 1}),
    check: Flags.string({description: 'run only these checks (repeatable; see --list-checks)', helpValue: 'ID', multiple: true}),
    format: Flags.string({
      default: 'table',
      description: 'stdout: the table, or JUnit XML for CI test reporters (one testsuite per host and network, one testcase per check)',
      options: ['table', 'junit'],
    }),
    junit: Flags.string({description: 'also write the JUnit XML to FILE (atomically: a temp file renamed over it), whatever stdout shows', helpValue: 'FILE'}),
    host: Flags.string({
      description:
        'diagnose the network on these hosts over ssh (repeatable, or comma-separated): ssh destinations as ssh understands them (~/.ssh/config aliases, user@host); each runs `quantum-meta collect NET` there (with --all, `collect --all`: one table per network any host holds)',
      helpValue: 'DEST',
      multiple: true,
    }),
    'hosts-from-api': Flags.boolean({
      description:
        "ask the API which hosts serve the network (its DHCP agents' `host`; on ML2/OVN the chassis its VM ports are bound to; with --all every host of a DHCP or OVN metadata agent) and diagnose it on each over ssh, as with --host (which may add more); the API's host names are the ssh destinations (map them in ~/.ssh/config); its answers are used for the API checks of hosts that recorded none",
    }),
    'host-timeout': Flags.integer({description: 'with --host: the most one host may take, seconds (its ssh is stopped then)', helpValue: 'S', min: 1}),
    'list-checks': Flags.boolean({description: 'list the checks in chain order and exit'}),
    parallel: Flags.integer({description: 'with --host: how many hosts are asked at once (default 16)', helpValue: 'N', min: 1}),
    probe: Flags.boolean({description: 'also GET http://169.254.169.254/ from inside the namespace'}),
    'ssh-config': Flags.string({description: "with --host: ssh's -F (an ssh config file)", helpValue: 'FILE'}),
    'ssh-option': Flags.string({description: 'with --host: passed to ssh as -o OPT (repeatable)', helpValue: 'OPT', multiple: true}),
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

  public async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Diagnose)
    if (flags.format === 'junit' && this.jsonEnabled())
      throw usageError('usage', '--format junit and --json both name what stdout is: give one (--junit FILE writes the XML beside --json)')
    if (flags.format === 'junit' && flags['list-checks']) throw usageError('usage', '--list-checks prints the list of checks, not JUnit: drop --format junit')
    if (flags['list-checks']) {
      const list = CHAINS.flatMap((chain) => chain.checks.map((c) => ({chain: chain.backend, id: c.id, needs: c.needs, title: c.title})))
      if (!this.jsonEnabled()) {
        for (const chain of CHAINS) {
          process.stdout.write(`${chain.backend === CHAINS[0].backend ? '' : '\n'}${chain.title}\n`)
          for (const c of chain.checks) process.stdout.write(`  ${c.id.padEnd(26)} ${c.title}\n`)
        }
      }
      return {checks: list}
    }
    const only = flags.check
    for (const id of only ?? []) {
      if (!ALL_CHECKS.some((c) => c.id === id)) throw usageError('unknown-check', `unknown check ${JSON.stringify(id)} (see --list-checks)`)
    }
    const snapshots = flags.snapshot ?? []
    if (snapshots.includes('')) throw usageError('usage', '--snapshot: the path is empty (give the file `quantum-meta collect` wrote)')
    const sosreports = flags.sosreport ?? []
    const netId = args['net-id'] === undefined ? undefined : checkNetId(args['net-id'])
    if (sosreports.length > 0 && (flags.all || (flags.host ?? []).length > 0 || flags['hosts-from-api']))
      throw usageError(
        'usage',
        `--sosreport reads sosreports, not this node or hosts over ssh: drop ${flags.all ? '--all' : flags['hosts-from-api'] ? '--hosts-from-api' : '--host'} (one directory gives every network it shows)`,
      )
    if (sosreports.length > 0 && flags.probe)
      throw usageError('usage', '--probe sends a GET from inside the namespace on this node: a sosreport has none to send from (drop --probe)')
    if (!flags.all && netId === undefined && snapshots.length === 0 && sosreports.length === 0)
      throw usageError('usage', 'give a network id, or --all (see --help)')
    if (flags.all && netId !== undefined) throw usageError('usage', 'give a network id or --all, not both')
    // a bad --junit path fails now, not after a diagnosis that may take a while
    const {checkReportPath, writeReportAtomic} = await import('../system/write-report.js')
    const junitTarget = flags.junit === undefined ? undefined : await checkReportPath('--junit', flags.junit)
    const junitOut: JunitOut = {path: flags.junit, stdout: flags.format === 'junit', target: junitTarget, write: writeReportAtomic}
    const hosts = (flags.host ?? []).flatMap((h) => h.split(','))
    const sshOnly = (['ssh-config', 'ssh-option', 'remote-command', 'parallel', 'connect-timeout', 'host-timeout'] as const).filter(
      (f) => flags[f] !== undefined,
    )
    const fromApi = flags['hosts-from-api']
    if (hosts.length > 0 && snapshots.length > 0) throw usageError('usage', 'give --host (ask the hosts over ssh) or --snapshot (files), not both')
    if (fromApi && snapshots.length > 0) throw usageError('usage', 'give --hosts-from-api (ask the hosts over ssh) or --snapshot (files), not both')
    if (fromApi && !flags.api) throw usageError('usage', '--hosts-from-api asks the API: drop --no-api')
    if (hosts.length === 0 && !fromApi && sshOnly.length > 0)
      throw usageError('usage', `--${sshOnly[0]} goes with --host or --hosts-from-api (diagnose over ssh)`)
    if (hosts.length > 0 || fromApi) {
      const {SSH_DEFAULTS} = await import('../fleet/ssh.js')
      return this.overSsh(
        netId,
        hosts,
        {
          connectTimeoutS: flags['connect-timeout'] ?? SSH_DEFAULTS.connectTimeoutS,
          hostTimeoutS: flags['host-timeout'] ?? SSH_DEFAULTS.hostTimeoutS,
          parallel: flags.parallel ?? SSH_DEFAULTS.parallel,
          remoteCommand: flags['remote-command'] ?? SSH_DEFAULTS.remoteCommand,
          sshConfig: flags['ssh-config'],
          sshOptions: flags['ssh-option'] ?? [],
        },
        {only, probe: flags.probe},
        junitOut,
        fromApi ? flags : undefined,
      )
    }
    if (snapshots.length + sosreports.length > 1) return this.fleet(netId, snapshots, {only, probe: flags.probe}, junitOut, sosreports)
    if (sosreports.length === 1) return this.sosreport(netId, sosreports[0], {only, probe: flags.probe}, flags.format === 'junit', junitOut)

    const [svc, render] = await Promise.all([import('../diagnose/service.js'), import('../render/findings.js')])
    const {host, many, reports, takenAt} = await svc.diagnose({
      all: Boolean(flags.all),
      live: {
        agentHost: flags['agent-host'],
        api: flags.api,
        backend: flags.backend,
        given: {configFile: flags['config-file'], statePath: flags['state-path']},
        os: flags,
        paths: nodePaths({configFile: flags['config-file'], metadataAgentConfig: flags['metadata-agent-config'], statePath: flags['state-path']}),
        tool: `quantum-meta/${this.config.version}`,
      },
      network: netId,
      only,
      probe: flags.probe,
      snapshot: snapshots[0],
    })
    const junit = flags.format === 'junit' || junitTarget ? (await import('../render/junit.js')).junitOfReports(host, reports, takenAt) : undefined
    if (junitTarget && junit !== undefined) await writeReportAtomic('--junit', flags.junit!, junitTarget, junit)
    return this.report(reports, render, many, flags.format === 'junit' ? junit : undefined)
  }

  /** --host: each host's snapshot over ssh (src/fleet/ssh.ts), judged together like several --snapshot files. */
  private async overSsh(
    netId: string | undefined,
    given: string[],
    ssh: import('../fleet/ssh.js').SshCollectOptions,
    opts: {only?: string[]; probe: boolean},
    junitOut: JunitOut,
    apiFlags?: import('../openstack/credentials.js').OsFlags,
  ): Promise<unknown> {
    const [transport, fleet, render] = await Promise.all([import('../fleet/ssh.js'), import('../fleet/fleet.js'), import('../render/fleet.js')])
    const dup = given.find((h, i) => given.indexOf(h) !== i)
    if (dup !== undefined) throw usageError('duplicate-host', `--host ${JSON.stringify(dup)} is given twice`)
    // progress on stderr while hosts answer: on a terminal only, never under --json
    const progress = !this.jsonEnabled() && process.stderr.isTTY
    // --hosts-from-api: the API's hosts first, then any --host it does not name
    const apiHosts = apiFlags ? await import('../fleet/api-hosts.js') : undefined
    const api = apiHosts && apiFlags ? (netId ? await apiHosts.hostsFromApi(netId, apiFlags) : await apiHosts.hostsForAll(apiFlags)) : undefined
    const hosts = api ? [...api.hosts.map((h) => h.host), ...given.filter((g) => !api.hosts.some((h) => h.host === g))] : given
    if (api && progress)
      process.stderr.write(
        `the API lists ${api.hosts.map((h) => h.host).join(', ')}${api.refused.length > 0 ? ` (and ${api.refused.length} name${api.refused.length === 1 ? '' : 's'} not asked)` : ''}\n`,
      )
    const asked = await transport.collectOverSsh(hosts, netId, {
      ...ssh,
      onHost: progress
        ? (h, done, total) =>
            process.stderr.write(`\r\u001b[K${done}/${total} hosts answered (last: ${h.host}${h.error ? ', failed' : ''})${done === total ? '\n' : ''}`)
        : undefined,
    })
    const inputs = api && apiHosts ? apiHosts.withApiAnswers(asked, api) : asked
    if (netId === undefined) {
      // --all: every network any host holds, one table each (an unreachable host is a row in each)
      const all = fleet.judgeFleetAll(inputs, opts)
      const junit = junitOut.stdout || junitOut.target ? (await import('../render/junit.js')).junitOfFleet(all.networks) : undefined
      if (junitOut.target && junit !== undefined) await junitOut.write('--junit', junitOut.path!, junitOut.target, junit)
      process.exitCode = fleet.fleetAllExitCode(all)
      if (junitOut.stdout && junit !== undefined) process.stdout.write(junit)
      else if (!this.jsonEnabled()) process.stdout.write(render.renderFleetAll(all))
      return all
    }
    const report = fleet.judgeFleet(netId, inputs, opts)
    return this.fleetOut(report, fleet, render, junitOut)
  }

  /** One --sosreport directory: its networks (or the one asked for) judged as one snapshot's. */
  private async sosreport(
    netId: string | undefined,
    dir: string,
    opts: {only?: string[]; probe: boolean},
    junitStdout: boolean,
    junitOut: JunitOut,
  ): Promise<unknown> {
    const [svc, render] = await Promise.all([import('../diagnose/service.js'), import('../render/findings.js')])
    const snapshot = await this.readSosreport(dir)
    const picked = svc.pickNetworks(dir, snapshot, netId)
    const reports = picked.map((ev) => svc.diagnoseEvidence(ev, opts))
    const junit = junitStdout || junitOut.target ? (await import('../render/junit.js')).junitOfReports(snapshot.host, reports, snapshot.takenAt) : undefined
    if (junitOut.target && junit !== undefined) await junitOut.write('--junit', junitOut.path!, junitOut.target, junit)
    return this.report(reports, render, netId === undefined && picked.length > 1, junitStdout ? junit : undefined)
  }

  /** A sosreport directory as a snapshot (src/fleet/sosreport.ts); one showing no DHCP network is bad input. */
  private async readSosreport(dir: string): Promise<import('../evidence/evidence.js').Snapshot> {
    const {readSosreport} = await import('../fleet/sosreport.js')
    const {checkSnapshot} = await import('../chains/snapshot.js')
    const {snapshot} = await readSosreport(dir, {tool: `quantum-meta/${this.config.version}`})
    if (snapshot.networks.length === 0)
      throw usageError(
        'not-in-sosreport',
        `${dir}: the sosreport shows no DHCP network (no qdhcp-<network> namespace in sos_commands/networking/ip_netns, no var/lib/neutron/dhcp/<network>): nothing to diagnose`,
      )
    // the same schema as a snapshot file: what the reader built is what a collect would have written
    const checked = checkSnapshot(snapshot)
    if (!checked.ok) throw usageError('not-in-sosreport', `${dir}: ${checked.field}: ${checked.problem}`)
    // the reader's own objects, not the schema's copy: the networks share one `ip netns` record, which
    // the checks index once per record (a copy per network made 1000 networks quadratic)
    return snapshot
  }

  /** Several --snapshot files and --sosreport directories: one host each (its `host` field, a sosreport's hostname), judged together. */
  private async fleet(
    netId: string | undefined,
    paths: string[],
    opts: {only?: string[]; probe: boolean},
    junitOut: JunitOut,
    sosreports: string[] = [],
  ): Promise<unknown> {
    if (netId === undefined)
      throw usageError(
        'usage',
        `several ${sosreports.length === 0 ? '--snapshot files' : 'snapshots and sosreports'} are several hosts of one network: give its network id`,
      )
    const [svc, fleet, render] = await Promise.all([import('../diagnose/service.js'), import('../fleet/fleet.js'), import('../render/fleet.js')])
    const inputs: import('../fleet/types.js').HostInput[] = []
    const seen = new Map<string, string>()
    const sources = [...paths.map((path) => ({kind: 'snapshot' as const, path})), ...sosreports.map((path) => ({kind: 'sosreport' as const, path}))]
    for (const {kind, path} of sources) {
      const snapshot = kind === 'snapshot' ? await svc.readSnapshot(path) : await this.readSosreport(path)
      // the network asked for must be in every file, as with one snapshot (bad input otherwise)
      svc.pickNetworks(path, snapshot, netId)
      if (snapshot.host.trim() === '')
        throw usageError('snapshot-invalid', `${path}: its host field is empty: several snapshots are told apart by their host names`)
      const other = seen.get(snapshot.host)
      if (other !== undefined) {
        const what = sosreports.length === 0 ? ['snapshots of host', 'one file per host'] : ['of host', 'one file or sosreport per host']
        throw usageError('duplicate-host', `${path} and ${other} are both ${what[0]} ${JSON.stringify(snapshot.host)}: give ${what[1]}`)
      }
      seen.set(snapshot.host, path)
      inputs.push({host: snapshot.host, snapshot})
    }
    const report = fleet.judgeFleet(netId, inputs, opts)
    return this.fleetOut(report, fleet, render, junitOut)
  }

  /** A fleet's verdict: the exit code, the table (or JUnit XML) on stdout, the --junit file. */
  private async fleetOut(
    report: import('../fleet/types.js').FleetReport,
    fleet: typeof import('../fleet/fleet.js'),
    render: typeof import('../render/fleet.js'),
    junitOut: JunitOut,
  ): Promise<unknown> {
    const junit = junitOut.stdout || junitOut.target ? (await import('../render/junit.js')).junitOfFleet(report) : undefined
    if (junitOut.target && junit !== undefined) await junitOut.write('--junit', junitOut.path!, junitOut.target, junit)
    process.exitCode = fleet.fleetExitCode(report)
    if (junitOut.stdout && junit !== undefined) process.stdout.write(junit)
    else if (!this.jsonEnabled()) process.stdout.write(render.renderFleet(report))
    return report
  }

  private report(
    reports: import('../diagnose/service.js').NetworkReport[],
    render: typeof import('../render/findings.js'),
    many: boolean,
    junit?: string,
  ): unknown {
    const ok = reports.every((r) => r.healthy)
    // a broken link first (1); else links the evidence did not let us judge (3); else 0
    process.exitCode = !ok ? EXIT.FAILED : reports.some((r) => r.unjudged && r.unjudged.length > 0) ? EXIT.CANNOT : EXIT.OK
    if (junit !== undefined) process.stdout.write(junit)
    else if (!this.jsonEnabled()) process.stdout.write(many ? render.renderAll(reports) : reports.map((r) => render.renderReport(r)).join('\n'))
    return many ? {healthy: ok, networks: reports} : reports[0]
  }
}
