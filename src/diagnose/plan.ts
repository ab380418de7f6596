/**
 * `diagnose`, step 1 of 3 (plan, run, emit): from the flags and the argument to a DiagnosePlan, which
 * source to judge and what to print. Pure: no file read, no process, no clock. The flag rules are one
 * table, checked in order; the first one broken is the usage error (exit 2) the operator sees.
 */
import {isIP} from 'node:net'

import {didYouMean} from '../suggest.js'
import {ALL_CHECKS} from '../chains/registry.js'
import {usageError} from '../errors.js'
import type {OsFlags} from '../openstack/credentials.js'
import type {Instance, InstanceTarget} from '../openstack/instance.js'
import {checkNetId, isUuid, netIdOrNameProblem} from '../layout.js'

/** The flags of `diagnose` that choose the source and the output (the parsed oclif flags fit it). */
export interface DiagnoseFlags extends OsFlags {
  agentless?: boolean
  all?: boolean
  api: boolean
  check?: string[]
  'connect-timeout'?: number
  format: string
  host?: string[]
  'host-timeout'?: number
  'hosts-from-api'?: boolean
  /** --ip IP: the instance holding this address */
  ip?: string
  junit?: string
  report?: string
  'list-checks'?: boolean
  parallel?: number
  probe?: boolean
  'probe-as'?: string
  'nova-config'?: string
  /** --network NET (id or name): which of the instance's networks */
  network?: string
  /** --port PORT (id or name) */
  port?: string
  'remote-command'?: string
  /** --server VM (id or name) */
  server?: string
  snapshot?: string[]
  sosreport?: string[]
  'ssh-config'?: string
  'ssh-option'?: string[]
  /** --wide: the table without a width limit */
  wide?: boolean
}

/** The flags that only mean something over ssh, in the order the rule names the first one given. */
export const SSH_ONLY_FLAGS = ['ssh-config', 'ssh-option', 'remote-command', 'agentless', 'parallel', 'connect-timeout', 'host-timeout'] as const

/** The flags that name the instance to start from, in the order a rule names them. */
export const INSTANCE_FLAGS = ['server', 'port', 'ip'] as const

/** The instance the command line names (the first of INSTANCE_FLAGS given), if any. */
export function instanceTarget(flags: Pick<DiagnoseFlags, (typeof INSTANCE_FLAGS)[number]>): InstanceTarget | undefined {
  const kind = INSTANCE_FLAGS.find((f) => flags[f] !== undefined)
  return kind === undefined ? undefined : {kind, value: flags[kind] as string}
}

/** What the rules read: the command line in the terms they speak. */
export interface Given {
  /** --json */
  json: boolean
  /** --format junit */
  junitStdout: boolean
  listChecks: boolean
  /** the first --check that names no check */
  unknownCheck?: string
  snapshots: string[]
  sosreports: string[]
  /** the <net-id> argument as typed */
  netId?: string
  all: boolean
  /** --host values, split at commas */
  hosts: string[]
  /** the first --host given twice */
  duplicateHost?: string
  fromApi: boolean
  /** --api (false: --no-api) */
  api: boolean
  probe: boolean
  /** --probe-as IP, as typed */
  probeAs?: string
  /** --nova-config FILE */
  novaConfig?: string
  /** the ssh-only flags given (SSH_ONLY_FLAGS order) */
  sshOnly: string[]
  /** --report FILE */
  report?: string
  /** --agentless */
  agentless: boolean
  /** --remote-command given */
  remoteCommand: boolean
  /** --server, --port or --ip: the instance to start from (the first given) */
  instance?: InstanceTarget
  /** each of --server, --port and --ip given */
  instanceFlags: string[]
  /** --network NET */
  network?: string
  /** false: no API credentials are set (the environment, clouds.yaml or --os-*); undefined: not told */
  credentials?: boolean
}

export interface UsageRule {
  /** the command line breaks the rule */
  when: (g: Given) => boolean
  code: string
  message: string | ((g: Given) => string)
  /** checked with --list-checks too (every other rule only when diagnosing: --list-checks lists and exits) */
  listing?: true
}

/** What --report writes, by FILE's extension (any case): Markdown or HTML; undefined for any other. */
export function reportKind(path: string): 'markdown' | 'html' | undefined {
  if (/\.(md|markdown)$/i.test(path)) return 'markdown'
  if (/\.html?$/i.test(path)) return 'html'
  return undefined
}

/** The flag rules, in the order the CLI checks them. */
export const USAGE_RULES: readonly UsageRule[] = [
  {
    code: 'usage',
    listing: true,
    message: (g) => `--report ${g.report}: the extension says what is written: give FILE.md or .markdown (Markdown), FILE.html or .htm (HTML)`,
    when: (g) => g.report !== undefined && reportKind(g.report) === undefined,
  },
  {
    code: 'usage',
    listing: true,
    message: '--format junit and --json both name what stdout is: give one (--junit FILE writes the XML beside --json)',
    when: (g) => g.junitStdout && g.json,
  },
  {
    code: 'usage',
    listing: true,
    message: '--list-checks prints the list of checks, not JUnit: drop --format junit',
    when: (g) => g.junitStdout && g.listChecks,
  },
  {
    code: 'unknown-check',
    message: (g) =>
      `unknown check ${JSON.stringify(g.unknownCheck)}${didYouMean(
        g.unknownCheck ?? '',
        ALL_CHECKS.map((c) => c.id),
      )} (see --list-checks)`,
    when: (g) => g.unknownCheck !== undefined,
  },
  {code: 'usage', message: '--snapshot: the path is empty (give the file `quantum-meta collect` wrote)', when: (g) => g.snapshots.includes('')},
  {
    code: 'usage',
    message: (g) => `give one of --server, --port and --ip: each names the instance (${g.instanceFlags.map((f) => `--${f}`).join(' and ')} given)`,
    when: (g) => g.instanceFlags.length > 1,
  },
  {
    code: 'usage',
    message: (g) =>
      `--${g.instance?.kind} finds the network through the instance's port: drop the network id ${JSON.stringify(g.netId?.slice(0, 80))} (--network NET picks one of its networks)`,
    when: (g) => g.instance !== undefined && g.netId !== undefined,
  },
  {code: 'usage', message: (g) => `--${g.instance?.kind} names one instance: drop --all`, when: (g) => g.instance !== undefined && g.all},
  {code: 'usage', message: '--port names its network already: drop --network', when: (g) => g.instance?.kind === 'port' && g.network !== undefined},
  {
    code: 'usage',
    message: '--network picks the network of --server or --ip: give one of them (a network alone is the argument: diagnose NET)',
    when: (g) => g.instance === undefined && g.network !== undefined,
  },
  {code: 'usage', message: (g) => `--${g.instance?.kind} asks the API for the instance's port: drop --no-api`, when: (g) => g.instance !== undefined && !g.api},
  {
    code: 'usage',
    message: (g) => `--ip ${JSON.stringify(g.instance?.value.slice(0, 80))}: not an IPv4 or IPv6 address (the instance's)`,
    when: (g) => g.instance?.kind === 'ip' && isIP(g.instance.value) === 0,
  },
  {
    code: 'no-credentials',
    message: (g) => `--${g.instance?.kind} asks the API for the instance's port, which needs credentials (OS_CLOUD / --os-cloud, or OS_AUTH_URL and the rest)`,
    when: (g) => g.instance !== undefined && g.credentials === false,
  },
  {code: 'bad-net-id', message: (g) => netIdOrNameProblem(g.netId ?? ''), when: (g) => g.netId !== undefined && !isUuid(g.netId)},
  {
    code: 'usage',
    message: (g) =>
      `--sosreport reads sosreports, not this node or hosts over ssh: drop ${g.all ? '--all' : g.fromApi ? '--hosts-from-api' : '--host'} (one directory gives every network it shows)`,
    when: (g) => g.sosreports.length > 0 && (g.all || g.hosts.length > 0 || g.fromApi),
  },
  {
    code: 'usage',
    message: '--probe sends a GET from inside the namespace on this node: a sosreport has none to send from (drop --probe)',
    when: (g) => g.sosreports.length > 0 && g.probe,
  },
  {
    code: 'usage',
    message: (g) => `--probe-as ${JSON.stringify(g.probeAs)}: not an IPv4 or IPv6 address (the instance's, as its request would come from)`,
    when: (g) => g.probeAs !== undefined && isIP(g.probeAs) === 0,
  },
  {
    code: 'usage',
    message: (g) =>
      `${g.probeAs !== undefined ? '--probe-as asks' : "--nova-config compares Nova's config with"} the metadata agent of this node: run it on the node (or \`quantum-meta collect NET ${g.probeAs !== undefined ? '--probe-as IP' : '--nova-config FILE'}\` there), not with ${g.sosreports.length > 0 ? '--sosreport' : g.snapshots.length > 0 ? '--snapshot' : '--host'}`,
    when: (g) =>
      (g.probeAs !== undefined || g.novaConfig !== undefined) && (g.sosreports.length > 0 || g.snapshots.length > 0 || g.hosts.length > 0 || g.fromApi),
  },
  {code: 'usage', message: '--probe-as names one instance: give its network id, not --all', when: (g) => g.probeAs !== undefined && g.all},
  {
    code: 'usage',
    message: 'give a network id, or --all (see --help)',
    when: (g) => !g.all && g.netId === undefined && g.instance === undefined && g.snapshots.length === 0 && g.sosreports.length === 0,
  },
  {code: 'usage', message: 'give a network id or --all, not both', when: (g) => g.all && g.netId !== undefined},
  {code: 'usage', message: 'give --host (ask the hosts over ssh) or --snapshot (files), not both', when: (g) => g.hosts.length > 0 && g.snapshots.length > 0},
  {
    code: 'usage',
    message: 'give --hosts-from-api (ask the hosts over ssh) or --snapshot (files), not both',
    when: (g) => g.fromApi && g.snapshots.length > 0,
  },
  {code: 'usage', message: '--hosts-from-api asks the API: drop --no-api', when: (g) => g.fromApi && !g.api},
  {
    code: 'usage',
    message: (g) => `--${g.sshOnly[0]} goes with --host or --hosts-from-api (diagnose over ssh)`,
    when: (g) => g.hosts.length === 0 && !g.fromApi && g.sshOnly.length > 0,
  },
  {
    code: 'usage',
    message: '--agentless runs no quantum-meta on the hosts: drop --remote-command (or --agentless, to run quantum-meta there)',
    when: (g) => g.agentless && g.remoteCommand,
  },
  {code: 'duplicate-host', message: (g) => `--host ${JSON.stringify(g.duplicateHost)} is given twice`, when: (g) => g.duplicateHost !== undefined},
  {
    code: 'usage',
    message: (g) =>
      `several ${g.sosreports.length === 0 ? '--snapshot files' : 'snapshots and sosreports'} are several hosts of one network: give its network id`,
    when: (g) => g.snapshots.length + g.sosreports.length > 1 && g.netId === undefined && g.instance === undefined,
  },
]

/** --host and --hosts-from-api: the ssh settings given (undefined: ssh.ts's default). */
export interface SshFlags {
  /** --agentless: the read-only script instead of quantum-meta on the hosts */
  agentless?: boolean
  sshConfig?: string
  sshOptions: string[]
  remoteCommand?: string
  parallel?: number
  connectTimeoutS?: number
  hostTimeoutS?: number
}

/** Where the evidence comes from. `network` undefined: every network the source holds (--all live). */
export type DiagnoseSource =
  /** this node: one network, or (undefined) every network it serves, --all */
  | {kind: 'live'; network?: string}
  /** one snapshot file (collect's) */
  | {kind: 'snapshot'; path: string; network?: string}
  /** one extracted sosreport directory */
  | {kind: 'sosreport'; dir: string; network?: string}
  /** several files, one host each: snapshots, sosreports or a mix, judged together */
  | {kind: 'files'; network: string; snapshots: string[]; sosreports: string[]}
  /** hosts over ssh: --host, and with --hosts-from-api the API's hosts first (`api`: the --os-* flags) */
  | {kind: 'ssh'; network?: string; hosts: string[]; api?: OsFlags; ssh: SshFlags}

/** What stdout shows: the table, or JUnit XML; under --json only run()'s document. */
export interface DiagnoseOutput {
  format: 'table' | 'junit'
  json: boolean
  /** --junit FILE: the XML written there too */
  junitFile?: string
  /** --report FILE.md or FILE.html: a report for the ticket written there (reportKind: which by the extension) */
  reportFile?: string
  /** --wide: the table and its lines whole, however long (else fitted to the terminal, COLUMNS or 80) */
  wide?: boolean
}

export type DiagnosePlan =
  | {kind: 'list-checks'; output: DiagnoseOutput}
  | {
      kind: 'diagnose'
      source: DiagnoseSource
      only?: string[]
      probe: boolean
      output: DiagnoseOutput
      noApi?: boolean
      /** --server, --port, --ip: the instance found, marked in the report */
      instance?: Instance
      /** on this node with --probe and no --probe-as: the instance's IPv4, to ask the metadata agent as it */
      probeAs?: string
    }

/** What the caller knows beyond the flags: whether credentials are set, the instance the API named. */
export interface PlanContext {
  credentials?: boolean
  /** --server, --port, --ip: the port found (findInstance); the plan diagnoses its network */
  instance?: Instance
}

export function givenOf(flags: DiagnoseFlags, netId: string | undefined, json: boolean, ctx: PlanContext = {}): Given {
  const hosts = (flags.host ?? []).flatMap((h) => h.split(','))
  return {
    agentless: Boolean(flags.agentless),
    credentials: ctx.credentials,
    instance: instanceTarget(flags),
    instanceFlags: INSTANCE_FLAGS.filter((f) => flags[f] !== undefined),
    network: flags.network,
    all: Boolean(flags.all),
    api: flags.api,
    duplicateHost: hosts.find((h, i) => hosts.indexOf(h) !== i),
    fromApi: Boolean(flags['hosts-from-api']),
    hosts,
    json,
    junitStdout: flags.format === 'junit',
    listChecks: Boolean(flags['list-checks']),
    netId,
    probe: Boolean(flags.probe),
    probeAs: flags['probe-as'],
    novaConfig: flags['nova-config'],
    snapshots: flags.snapshot ?? [],
    sosreports: flags.sosreport ?? [],
    sshOnly: SSH_ONLY_FLAGS.filter((f) => flags[f] !== undefined),
    remoteCommand: flags['remote-command'] !== undefined,
    report: flags.report,
    unknownCheck: (flags.check ?? []).find((id) => !ALL_CHECKS.some((c) => c.id === id)),
  }
}

/** The first rule the command line breaks (--list-checks: only the rules marked `listing`). */
export function brokenRule(g: Given): UsageRule | undefined {
  return USAGE_RULES.find((r) => (r.listing || !g.listChecks) && r.when(g))
}

/** The plan for a command line, or the usage error (exit 2) of the first rule it breaks. */
/** The command line in the rules' terms, or the usage error (exit 2) of the first rule it breaks. */
export function checkUsage(flags: DiagnoseFlags, args: {'net-id'?: string}, json: boolean, ctx: PlanContext = {}): Given {
  const g = givenOf(flags, args['net-id'], json, ctx)
  const broken = brokenRule(g)
  if (broken) throw usageError(broken.code, typeof broken.message === 'string' ? broken.message : broken.message(g))
  return g
}

export function planDiagnose(flags: DiagnoseFlags, args: {'net-id'?: string}, json: boolean, ctx: PlanContext = {}): DiagnosePlan {
  const g = checkUsage(flags, args, json, ctx)
  if (g.listChecks) return {kind: 'list-checks', output: {format: 'table', json, ...(flags.wide ? {wide: true} : {})}}
  const output: DiagnoseOutput = {
    format: g.junitStdout ? 'junit' : 'table',
    json,
    junitFile: flags.junit,
    reportFile: flags.report,
    ...(flags.wide ? {wide: true} : {}),
  }
  const inst = ctx.instance
  if (g.instance !== undefined && inst === undefined) throw new Error('planDiagnose: the instance is found (findInstance) before it is planned')
  const source = sourceOf(g, flags, inst?.network)
  const ipv4 = inst?.ip !== undefined && isIP(inst.ip) === 4 ? inst.ip : inst?.ips.find((ip) => isIP(ip) === 4)
  // on this node, --probe asks the metadata agent as the instance itself unless --probe-as names another
  const probeAs = source.kind === 'live' && g.probe && g.probeAs === undefined && ipv4 !== undefined ? ipv4 : undefined
  return {
    kind: 'diagnose',
    only: flags.check,
    output,
    probe: g.probe || g.probeAs !== undefined,
    source,
    ...(g.api ? {} : {noApi: true}),
    ...(inst ? {instance: inst} : {}),
    ...(probeAs ? {probeAs} : {}),
  }
}

function sourceOf(g: Given, flags: DiagnoseFlags, instanceNetwork?: string): DiagnoseSource {
  const network = g.netId === undefined ? (instanceNetwork === undefined ? undefined : checkNetId(instanceNetwork)) : checkNetId(g.netId)
  if (g.hosts.length > 0 || g.fromApi) {
    const ssh: SshFlags = {
      ...(flags.agentless ? {agentless: true} : {}),
      connectTimeoutS: flags['connect-timeout'],
      hostTimeoutS: flags['host-timeout'],
      parallel: flags.parallel,
      remoteCommand: flags['remote-command'],
      sshConfig: flags['ssh-config'],
      sshOptions: flags['ssh-option'] ?? [],
    }
    return {api: g.fromApi ? flags : undefined, hosts: g.hosts, kind: 'ssh', network, ssh}
  }
  // several files without a network id broke the last rule
  if (g.snapshots.length + g.sosreports.length > 1) return {kind: 'files', network: network!, snapshots: g.snapshots, sosreports: g.sosreports}
  if (g.sosreports.length === 1) return {dir: g.sosreports[0], kind: 'sosreport', network}
  if (g.snapshots.length === 1) return {kind: 'snapshot', network, path: g.snapshots[0]}
  // --all, or one network (a rule wants one of them)
  return {kind: 'live', network}
}
