// diagnose's flag rules and plans (src/diagnose/plan.ts), pure: no binary spawned. Each rule's code and
// message, and which rule wins when a command line breaks several: the winners below are what the CLI
// printed before the rules became a table (`quantum-meta diagnose ...` of main at 8fe325e, by hand).
import {describe, expect, it} from 'vitest'

import {brokenRule, type DiagnoseFlags, type DiagnosePlan, givenOf, type PlanContext, planDiagnose, reportKind, USAGE_RULES} from '../../src/diagnose/plan.js'
import {QmError} from '../../src/errors.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const SNAP = 'net1.snapshot.json'
const SOS = 'sosreport-net1'

interface Line {
  flags?: Partial<DiagnoseFlags>
  net?: string
  json?: boolean
  ctx?: PlanContext
}

const plan = ({ctx, flags = {}, json = false, net}: Line): DiagnosePlan => planDiagnose({api: true, format: 'table', ...flags}, {'net-id': net}, json, ctx)

/** The error a command line is refused with: [code, message]; undefined when it is planned. */
function refused(line: Line): [string, string] | undefined {
  try {
    plan(line)
    return undefined
  } catch (error) {
    if (!(error instanceof QmError)) throw error
    expect(error.exit).toBe(2)
    return [error.code, error.message]
  }
}

// every rule, in the order the CLI checks them: a command line that breaks it (and no earlier one), its code and message
const RULES: [string, Line, string, string][] = [
  [
    '--report neither Markdown nor HTML',
    {flags: {report: 'out.txt'}, net: NET},
    'usage',
    '--report out.txt: the extension says what is written: give FILE.md or .markdown (Markdown), FILE.html or .htm (HTML)',
  ],
  [
    '--format junit with --json',
    {flags: {format: 'junit'}, json: true, net: NET},
    'usage',
    '--format junit and --json both name what stdout is: give one (--junit FILE writes the XML beside --json)',
  ],
  [
    '--format junit with --list-checks',
    {flags: {format: 'junit', 'list-checks': true}},
    'usage',
    '--list-checks prints the list of checks, not JUnit: drop --format junit',
  ],
  [
    'an unknown --check',
    {flags: {check: ['config.metadata-enabled', 'nope', 'bogus'], snapshot: [SNAP]}, net: NET},
    'unknown-check',
    'unknown check "nope" (see --list-checks)',
  ],
  [
    'an empty --snapshot path',
    {flags: {snapshot: [SNAP, '']}, net: NET},
    'usage',
    '--snapshot: the path is empty (give the file `quantum-meta collect` wrote)',
  ],
  [
    'two of --server, --port and --ip',
    {flags: {ip: '198.51.100.9', port: 'p1', server: 'vm1'}, net: 'not-a-uuid'},
    'usage',
    'give one of --server, --port and --ip: each names the instance (--server and --port and --ip given)',
  ],
  [
    'an instance and a network id',
    {flags: {all: true, server: 'vm1'}, net: 'not-a-uuid'},
    'usage',
    '--server finds the network through the instance\'s port: drop the network id "not-a-uuid" (--network NET picks one of its networks)',
  ],
  ['an instance and --all', {flags: {all: true, api: false, port: 'p1'}}, 'usage', '--port names one instance: drop --all'],
  ['--port with --network', {flags: {api: false, network: 'n', port: 'p1'}}, 'usage', '--port names its network already: drop --network'],
  [
    '--network without an instance',
    {flags: {network: 'n'}, net: 'not-a-uuid'},
    'usage',
    '--network picks the network of --server or --ip: give one of them (a network alone is the argument: diagnose NET)',
  ],
  ['an instance with --no-api', {flags: {api: false, ip: 'x'}}, 'usage', "--ip asks the API for the instance's port: drop --no-api"],
  ['--ip with no address', {ctx: {credentials: false}, flags: {ip: '10.0.0.300'}}, 'usage', '--ip "10.0.0.300": not an IPv4 or IPv6 address (the instance\'s)'],
  [
    'an instance without credentials',
    {ctx: {credentials: false}, flags: {probe: true, 'probe-as': 'x', server: 'vm1', snapshot: [SNAP]}},
    'no-credentials',
    "--server asks the API for the instance's port, which needs credentials (OS_CLOUD / --os-cloud, or OS_AUTH_URL and the rest)",
  ],
  [
    'a network id that is no UUID',
    {net: 'not-a-uuid'},
    'bad-net-id',
    'network id must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79, got "not-a-uuid": a network name is looked up in the API, which needs credentials (OS_AUTH_URL and the rest, or OS_CLOUD / --os-cloud)',
  ],
  [
    '--sosreport with --all',
    {flags: {all: true, sosreport: [SOS]}},
    'usage',
    '--sosreport reads sosreports, not this node or hosts over ssh: drop --all (one directory gives every network it shows)',
  ],
  [
    '--sosreport with --probe',
    {flags: {probe: true, sosreport: [SOS]}, net: NET},
    'usage',
    '--probe sends a GET from inside the namespace on this node: a sosreport has none to send from (drop --probe)',
  ],
  [
    '--probe-as with no address',
    {flags: {'probe-as': '10.0.0.300'}, net: NET},
    'usage',
    '--probe-as "10.0.0.300": not an IPv4 or IPv6 address (the instance\'s, as its request would come from)',
  ],
  [
    '--probe-as with --snapshot',
    {flags: {'probe-as': '10.0.0.5', snapshot: [SNAP]}, net: NET},
    'usage',
    '--probe-as asks the metadata agent of this node: run it on the node (or `quantum-meta collect NET --probe-as IP` there), not with --snapshot',
  ],
  ['--probe-as with --all', {flags: {all: true, 'probe-as': '10.0.0.5'}}, 'usage', '--probe-as names one instance: give its network id, not --all'],
  ['no network, no --all, no file', {flags: {probe: true}}, 'usage', 'give a network id, or --all (see --help)'],
  ['a network and --all', {flags: {all: true}, net: NET}, 'usage', 'give a network id or --all, not both'],
  [
    '--host with --snapshot',
    {flags: {host: ['net1'], snapshot: [SNAP]}, net: NET},
    'usage',
    'give --host (ask the hosts over ssh) or --snapshot (files), not both',
  ],
  [
    '--hosts-from-api with --snapshot',
    {flags: {'hosts-from-api': true, snapshot: [SNAP]}, net: NET},
    'usage',
    'give --hosts-from-api (ask the hosts over ssh) or --snapshot (files), not both',
  ],
  ['--hosts-from-api with --no-api', {flags: {api: false, 'hosts-from-api': true}, net: NET}, 'usage', '--hosts-from-api asks the API: drop --no-api'],
  [
    'an ssh flag without hosts',
    {flags: {'connect-timeout': 2, 'remote-command': 'qm', snapshot: [SNAP]}, net: NET},
    'usage',
    '--remote-command goes with --host or --hosts-from-api (diagnose over ssh)',
  ],
  [
    '--agentless with --remote-command',
    {flags: {agentless: true, host: ['net1'], 'remote-command': 'qm'}, net: NET},
    'usage',
    '--agentless runs no quantum-meta on the hosts: drop --remote-command (or --agentless, to run quantum-meta there)',
  ],
  ['a --host given twice', {flags: {host: ['net1,net2', 'net1']}, net: NET}, 'duplicate-host', '--host "net1" is given twice'],
  [
    'several files without a network id',
    {flags: {snapshot: [SNAP, 'net2.json']}},
    'usage',
    'several --snapshot files are several hosts of one network: give its network id',
  ],
]

describe('diagnose: the flag rules, one table', () => {
  it.each(RULES)('%s: exit 2, its code and message', (_what, line, code, message) => {
    expect(refused(line)).toEqual([code, message])
  })

  it('the table holds these rules, in this order (a rule added or moved shows here)', () => {
    expect(USAGE_RULES).toHaveLength(RULES.length)
    RULES.forEach(([what, line], i) => {
      const rule = brokenRule(givenOf({api: true, format: 'table', ...line.flags}, line.net, line.json ?? false, line.ctx))
      expect([what, rule && USAGE_RULES.indexOf(rule)]).toEqual([what, i])
    })
  })

  it('--report: the extension says Markdown or HTML (any case); anything else is refused', () => {
    expect(['t.md', 'T.MD', 'a/b.markdown', 't.html', 'T.HTM'].map(reportKind)).toEqual(['markdown', 'markdown', 'markdown', 'html', 'html'])
    for (const bad of ['t.txt', 'md', 't.html.txt', 't.mdx', 't.xhtml', 't.md/']) {
      expect([bad, reportKind(bad), refused({flags: {report: bad}, net: NET})?.[0]]).toEqual([bad, undefined, 'usage'])
    }
  })

  it('the messages that name what to drop or what was given', () => {
    expect(refused({flags: {host: ['net1'], sosreport: [SOS]}})?.[1]).toMatch(/: drop --host \(/)
    expect(refused({flags: {'hosts-from-api': true, sosreport: [SOS]}})?.[1]).toMatch(/: drop --hosts-from-api \(/)
    // --all named first, then --hosts-from-api, then --host
    expect(refused({flags: {all: true, host: ['a'], 'hosts-from-api': true, sosreport: [SOS]}})?.[1]).toMatch(/: drop --all \(/)
    expect(refused({flags: {host: ['a'], 'hosts-from-api': true, sosreport: [SOS]}})?.[1]).toMatch(/: drop --hosts-from-api \(/)
    expect(refused({flags: {snapshot: [SNAP], sosreport: [SOS]}})).toEqual([
      'usage',
      'several snapshots and sosreports are several hosts of one network: give its network id',
    ])
    expect(refused({flags: {sosreport: [SOS, 'sosreport-net2']}})?.[1]).toBe(
      'several snapshots and sosreports are several hosts of one network: give its network id',
    )
    // the ssh flags are named in the order of --help's ssh group
    for (const [flag, value] of [
      ['ssh-config', 'cfg'],
      ['ssh-option', ['Port=22']],
      ['remote-command', 'qm'],
      ['parallel', 3],
      ['connect-timeout', 2],
      ['host-timeout', 5],
    ] as const) {
      expect(refused({flags: {[flag]: value, 'host-timeout': 5}, net: NET})?.[1]).toBe(`--${flag} goes with --host or --hosts-from-api (diagnose over ssh)`)
    }
    expect(refused({net: 'x'.repeat(200)})?.[1]).toBe(
      `network id must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79, got "${'x'.repeat(80)}": a network name is looked up in the API, which needs credentials (OS_AUTH_URL and the rest, or OS_CLOUD / --os-cloud)`,
    )
  })

  // a command line breaking several rules: the one the CLI named before the table (checked on main's binary)
  it.each<[string, string, Line]>([
    ['--list-checks --format junit --json', '--format junit and --json both name', {flags: {format: 'junit', 'list-checks': true}, json: true}],
    ['--list-checks --format junit --check bogus', '--list-checks prints the list', {flags: {check: ['bogus'], format: 'junit', 'list-checks': true}}],
    ['not-a-uuid --check bogus', 'unknown check "bogus"', {flags: {check: ['bogus']}, net: 'not-a-uuid'}],
    ['not-a-uuid --format junit --json', '--format junit and --json both name', {flags: {format: 'junit'}, json: true, net: 'not-a-uuid'}],
    ['--check bogus --sosreport S --host a', 'unknown check "bogus"', {flags: {check: ['bogus'], host: ['a'], sosreport: [SOS]}}],
    ['not-a-uuid --snapshot ""', '--snapshot: the path is empty', {flags: {snapshot: ['']}, net: 'not-a-uuid'}],
    ['not-a-uuid --sosreport S --all', 'network id must be a UUID', {flags: {all: true, sosreport: [SOS]}, net: 'not-a-uuid'}],
    ['NOTUUID --all', 'network id must be a UUID', {flags: {all: true}, net: 'NOTUUID'}],
    ['NET --all --sosreport S --probe', '--sosreport reads sosreports', {flags: {all: true, probe: true, sosreport: [SOS]}, net: NET}],
    ['NET --sosreport S --probe --parallel 2', '--probe sends a GET', {flags: {parallel: 2, probe: true, sosreport: [SOS]}, net: NET}],
    ['--parallel 3', 'give a network id, or --all', {flags: {parallel: 3}}],
    ['--all NET --parallel 3', 'give a network id or --all, not both', {flags: {all: true, parallel: 3}, net: NET}],
    ['NET --host a --hosts-from-api --snapshot F', 'give --host (ask', {flags: {host: ['a'], 'hosts-from-api': true, snapshot: [SNAP]}, net: NET}],
    ['NET --host a,a --snapshot F', 'give --host (ask', {flags: {host: ['a,a'], snapshot: [SNAP]}, net: NET}],
    ['NET --hosts-from-api --no-api --snapshot F', 'give --hosts-from-api (ask', {flags: {api: false, 'hosts-from-api': true, snapshot: [SNAP]}, net: NET}],
    [
      'NET --hosts-from-api --no-api --host a --host a',
      '--hosts-from-api asks the API',
      {flags: {api: false, host: ['a', 'a'], 'hosts-from-api': true}, net: NET},
    ],
    ['--all --hosts-from-api --no-api', '--hosts-from-api asks the API', {flags: {all: true, api: false, 'hosts-from-api': true}}],
    ['--snapshot F --snapshot F --parallel 2', '--parallel goes with --host', {flags: {parallel: 2, snapshot: [SNAP, SNAP]}}],
  ])('%s: the CLI names %j first', (_what, start, line) => {
    expect(refused(line)?.[1].slice(0, start.length)).toBe(start)
  })

  it('--list-checks lists whatever else is given: only the two output rules apply', () => {
    for (const flags of [{check: ['bogus']}, {host: ['a'], snapshot: [SNAP]}, {junit: '/nonexistent/dir/x.xml'}, {all: true, sosreport: [SOS]}]) {
      expect(plan({flags: {'list-checks': true, ...flags}, net: 'not-a-uuid'})).toEqual({kind: 'list-checks', output: {format: 'table', json: false}})
    }
  })
})

describe('diagnose: the plan of a command line', () => {
  const diagnosing = (line: Line) => {
    const p = plan(line)
    if (p.kind !== 'diagnose') throw new Error(`planned ${p.kind}`)
    return p
  }

  it('this node: one network (the id lower-cased), or every one with --all', () => {
    expect(diagnosing({net: NET.toUpperCase()}).source).toEqual({kind: 'live', network: NET})
    expect(diagnosing({flags: {all: true}}).source).toEqual({kind: 'live', network: undefined})
  })

  it('one snapshot or one sosreport, with or without a network id', () => {
    expect(diagnosing({flags: {snapshot: [SNAP]}}).source).toEqual({kind: 'snapshot', network: undefined, path: SNAP})
    expect(diagnosing({flags: {snapshot: [SNAP]}, net: NET}).source).toEqual({kind: 'snapshot', network: NET, path: SNAP})
    expect(diagnosing({flags: {sosreport: [SOS]}}).source).toEqual({dir: SOS, kind: 'sosreport', network: undefined})
  })

  it('several files, snapshots and sosreports alike, are one fleet of one network', () => {
    expect(diagnosing({flags: {snapshot: [SNAP, 'b.json']}, net: NET}).source).toEqual({
      kind: 'files',
      network: NET,
      snapshots: [SNAP, 'b.json'],
      sosreports: [],
    })
    expect(diagnosing({flags: {snapshot: [SNAP], sosreport: [SOS]}, net: NET}).source).toEqual({
      kind: 'files',
      network: NET,
      snapshots: [SNAP],
      sosreports: [SOS],
    })
  })

  it("--host (comma-separated too) and --hosts-from-api: over ssh, the ssh flags as given (defaults are ssh.ts's)", () => {
    expect(diagnosing({flags: {host: ['net1,net2', 'net3']}, net: NET}).source).toEqual({
      api: undefined,
      hosts: ['net1', 'net2', 'net3'],
      kind: 'ssh',
      network: NET,
      ssh: {connectTimeoutS: undefined, hostTimeoutS: undefined, parallel: undefined, remoteCommand: undefined, sshConfig: undefined, sshOptions: []},
    })
    const flags = {
      'connect-timeout': 3,
      'host-timeout': 30,
      'hosts-from-api': true,
      'os-cloud': 'prod',
      parallel: 4,
      'remote-command': 'sudo qm',
      'ssh-config': 'cfg',
      'ssh-option': ['Port=2222'],
    }
    const s = diagnosing({flags: {...flags, all: true}}).source
    expect(s).toMatchObject({hosts: [], kind: 'ssh', network: undefined})
    expect(s.kind === 'ssh' && s.ssh).toEqual({
      connectTimeoutS: 3,
      hostTimeoutS: 30,
      parallel: 4,
      remoteCommand: 'sudo qm',
      sshConfig: 'cfg',
      sshOptions: ['Port=2222'],
    })
    // the API is asked with the --os-* flags
    expect(s.kind === 'ssh' && s.api?.['os-cloud']).toBe('prod')
  })

  it('the output: the table or JUnit on stdout, --json, the --junit file; --check and --probe carried', () => {
    expect(diagnosing({net: NET}).output).toEqual({format: 'table', json: false, junitFile: undefined})
    expect(diagnosing({flags: {format: 'junit', junit: 'r.xml'}, net: NET}).output).toEqual({format: 'junit', json: false, junitFile: 'r.xml'})
    expect(diagnosing({flags: {junit: 'r.xml'}, json: true, net: NET}).output).toEqual({format: 'table', json: true, junitFile: 'r.xml'})
    expect(diagnosing({flags: {check: ['proxy.running'], probe: true}, net: NET})).toMatchObject({only: ['proxy.running'], probe: true})
  })
})

describe('diagnose --server/--port/--ip: the plan of the instance found', () => {
  const inst = {host: 'compute-1', ip: '2001:db8::5', ips: ['2001:db8::5', '198.51.100.5'], mac: 'fa:16:3e:00:00:01', network: NET, port: NET}
  const planned = (flags: Partial<DiagnoseFlags>) => plan({ctx: {credentials: true, instance: inst}, flags: {port: 'p1', ...flags}})

  it("its network is the source's; on this node --probe asks as its IPv4, unless --probe-as names another", () => {
    const live = planned({probe: true})
    expect(live).toMatchObject({instance: inst, probe: true, probeAs: '198.51.100.5', source: {kind: 'live', network: NET}})
    expect(planned({probe: true, 'probe-as': '198.51.100.9'})).not.toHaveProperty('probeAs')
    expect(planned({})).not.toHaveProperty('probeAs')
    // over ssh or from files the probe (if any) is each host's own: no --probe-as
    const ssh = planned({host: ['net1'], probe: true})
    expect(ssh).toMatchObject({source: {hosts: ['net1'], kind: 'ssh', network: NET}})
    expect(ssh).not.toHaveProperty('probeAs')
    expect(planned({snapshot: [SNAP, 'net2.json']})).toMatchObject({source: {kind: 'files', network: NET, snapshots: [SNAP, 'net2.json']}})
  })

  it('an instance not looked up yet is never planned as --all', () => {
    expect(() => plan({flags: {port: 'p1'}})).toThrow(/found \(findInstance\) before it is planned/)
  })
})
