/**
 * The whole snapshot document, checked against one schema before any check reads it: a snapshot is
 * a file someone handed over, so a wrong type anywhere is bad input (exit 2 naming the field), never
 * a crash in a check. Ids are checked here too, before they reach a path, a command line or a
 * printed fix: a network id is a UUID, its namespace is its chain's namespace of that UUID, a pid a
 * whole number. The chains add their own parts (snapshotChecker; src/chains/snapshot.ts puts them together).
 * Unknown fields are ignored (a newer collector may add some); every field the current collector
 * writes is described, so every snapshot it writes reads back.
 * What passes is redacted as collect redacts (config/secrets.ts): a snapshot from an older version, a
 * hand edit or a hostile host over ssh prints no password in the table, --json or JUnit.
 */
import * as v from 'valibot'

import {DEPLOYMENT_NAMES, type NetworkEvidence, type Snapshot, SNAPSHOT_FORMAT} from './evidence.js'
import {PID_MAX, UUID} from './ids.js'
import {fromSparse, sparseProblem} from './sparse.js'

const kind = (x: unknown) =>
  x === null
    ? 'null'
    : Array.isArray(x)
      ? 'an array'
      : typeof x === 'object'
        ? 'an object'
        : typeof x === 'string'
          ? 'a string'
          : typeof x === 'number'
            ? 'a number'
            : typeof x === 'boolean'
              ? 'a boolean'
              : typeof x

/** v.object lets an array through as an object: a record must be a plain object */
export const record = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.custom<Record<string, unknown>>(
      (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
      (issue) => `expected an object, got ${kind(issue.input)}`,
    ),
    v.object(entries),
  )

export const str = v.string()
/**
 * a path as the collector recorded it: any string it can write (an agent's --config-file= may be
 * empty, a /proc cmdline may hold anything); what is printed is escaped and fixes quote it
 */
export const name = v.string()
export const int = v.pipe(v.number(), v.integer('must be an integer'))
/**
 * a pid reaches a fix (kill -HUP PID): a whole number, never negative (kill -HUP -1 signals every
 * process) nor above the kernel's limit; 0 (no process: the collector writes it) is kept, and the
 * fixes signal only isSignalablePid() pids (never 0 or 1)
 */
export const pid = v.pipe(
  v.number(),
  v.integer('must be an integer'),
  v.minValue(0, `must be a pid (0 to ${PID_MAX})`),
  v.maxValue(PID_MAX, `must be a pid (0 to ${PID_MAX})`),
)
export const iso = v.string()

export const commandRecord = record({
  argv: v.array(str),
  error: v.optional(str),
  exitCode: v.nullable(int),
  notCollected: v.optional(str),
  section: v.optional(str),
  stderr: str,
  stdout: str,
})

/** A file as the snapshot records it; one written sparse (evidence/sparse.ts) is read back whole. */
export const fileRecord = v.pipe(
  record({
    busyMs: v.optional(v.number()),
    connect: v.optional(str),
    content: v.optional(str),
    contentLineCount: v.optional(v.number()),
    contentLines: v.optional(v.array(v.number())),
    error: v.optional(str),
    mtime: v.optional(iso),
    path: name,
    realpath: v.optional(name),
    state: v.picklist(['present', 'missing', 'error', 'not-collected']),
    type: v.optional(v.picklist(['file', 'socket', 'directory', 'symlink', 'other'])),
  }),
  v.rawTransform(({dataset, addIssue, NEVER}) => {
    const {contentLines, contentLineCount, ...rec} = dataset.value
    if (contentLines === undefined && contentLineCount === undefined) return rec
    const problem =
      rec.content === undefined || contentLines === undefined || contentLineCount === undefined
        ? 'a sparse file record needs content, contentLines and contentLineCount together'
        : sparseProblem({content: rec.content, contentLineCount, contentLines})
    if (problem !== undefined || rec.content === undefined || contentLines === undefined || contentLineCount === undefined) {
      addIssue({message: problem ?? 'bad sparse record'})
      return NEVER
    }
    return {...rec, content: fromSparse({content: rec.content, contentLineCount, contentLines})}
  }),
)

export const agentRecord = record({
  cmdline: str,
  configs: v.optional(v.array(fileRecord)),
  pid,
  sameMountNamespace: v.optional(v.boolean()),
  startedAt: v.optional(iso),
})

export const processRecord = record({
  alive: v.boolean(),
  cmdline: v.optional(str),
  fdLinks: v.optional(v.array(str)),
  children: v.optional(v.array(int)),
  container: v.optional(record({engine: v.picklist(['podman', 'docker', 'containerd', 'cri-o']), id: str})),
  from: str,
  netns: v.optional(str),
  pid,
  ps: v.optional(str),
  role: v.picklist(['dnsmasq', 'proxy']),
  tcp: v.optional(str),
  tcp6: v.optional(str),
})

export const probeRecord = record({
  argv: v.array(str),
  body: v.optional(str),
  error: v.optional(str),
  ms: v.optional(v.number()),
  status: v.optional(int),
  url: str,
})

const novaEvidence = record({
  agent: v.optional(
    record({
      caCert: v.optional(name),
      clientCert: v.optional(name),
      file: name,
      host: str,
      insecure: v.optional(v.boolean()),
      lines: v.array(str),
      port: str,
      protocol: str,
      secretSet: v.boolean(),
    }),
  ),
  asInstance: v.optional(
    record({
      bytes: v.optional(int),
      contentType: v.optional(str),
      error: v.optional(str),
      errorBody: v.optional(str),
      from: str,
      headers: v.record(str, str),
      ip: str,
      method: str,
      ms: v.optional(v.number()),
      path: str,
      socket: name,
      status: v.optional(int),
      timeoutMs: v.optional(v.number()),
    }),
  ),
  asInstanceSkipped: v.optional(str),
  config: v.optional(fileRecord),
  configFrom: v.optional(str),
  reach: v.optional(
    record({
      detail: v.optional(str),
      error: v.optional(str),
      from: str,
      ms: v.optional(v.number()),
      otherScheme: v.optional(str),
      status: v.optional(int),
      url: str,
    }),
  ),
  secrets: v.optional(v.picklist(['equal', 'differ'])),
})

export const logRecord = record({
  argv: v.optional(v.array(str)),
  error: v.optional(str),
  firstLine: v.optional(int),
  from: str,
  mtime: v.optional(iso),
  offset: v.optional(v.number()),
  path: name,
  service: str,
  size: v.optional(v.number()),
  state: v.picklist(['present', 'missing', 'error', 'not-collected']),
  tail: v.optional(str),
})

const apiEvidence = record({
  error: v.optional(str),
  host: str,
  hostFrom: str,
  records: v.array(record({body: str, method: str, path: str, status: int})),
})

/** The fields every network's evidence has, whichever chain collected it (alphabetical: the order they are checked in). */
const networkEntries = {
  addresses: v.optional(commandRecord),
  agents: v.optional(v.array(agentRecord)),
  agentsFrom: v.optional(str),
  api: v.optional(apiEvidence),
  // absent in snapshots written before it existed: those are the default chain's; the chains' names are checked in snapshotChecker
  backend: v.optional(str),
  config: fileRecord,
  // absent where the agent shares the host's filesystem, and in snapshots written before it existed
  container: v.optional(
    record({
      engine: v.optional(v.picklist(['podman', 'docker', 'containerd', 'cri-o'])),
      id: v.optional(str),
      pid: int,
      pidNamespace: v.picklist(['host', 'private']),
      root: name,
    }),
  ),
  containerEngine: v.optional(v.picklist(['podman', 'docker'])),
  // absent in snapshots written before it existed: those read as packages (deploymentOfEvidence)
  deployment: v.optional(v.picklist(DEPLOYMENT_NAMES)),
  deploymentFrom: v.optional(str),
  dnsmasqPidFile: fileRecord,
  haproxyConfig: fileRecord,
  haproxyPidFile: fileRecord,
  stateOnHost: v.optional(name),
  hostConfigs: v.optional(v.array(record({copy: name, host: fileRecord}))),
  // absent in snapshots written before they existed (the IPv6 metadata checks then say so)
  ipv6Switch: v.optional(fileRecord),
  layout: v.picklist(['neutron', 'quantum']),
  // absent in snapshots written before it existed
  leases: v.optional(fileRecord),
  // absent in snapshots written before it existed
  logs: v.optional(v.array(logRecord)),
  // the same logs as an earlier network's (written once: sparse.ts sharedLogs), put back when read
  logsSameAs: v.optional(v.pipe(int, v.minValue(0, 'must be the index of an earlier network'))),
  metadataAgentConfig: v.optional(fileRecord),
  // one of a chain's namespaces (checked in snapshotChecker)
  namespace: str,
  namespaceInode: v.optional(str),
  namespaces: commandRecord,
  neutronRelease: v.optional(record({from: name, version: v.optional(str)})),
  // absent in snapshots written before it existed, and when neither --probe nor --nova-config was given
  nova: v.optional(novaEvidence),
  network: v.pipe(v.string(), v.regex(UUID, 'must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79'), v.toLowerCase()),
  opts: fileRecord,
  probe: v.optional(probeRecord),
  probe6: v.optional(probeRecord),
  processes: v.array(processRecord),
  proxyPidFile: fileRecord,
  routes: v.optional(commandRecord),
  sockets: v.optional(commandRecord),
  statePath: name,
  upstreamSocket: fileRecord,
}

const snapshotEntries = {
  format: v.literal(SNAPSHOT_FORMAT, `must be "${SNAPSHOT_FORMAT}"`),
  host: str,
  note: v.optional(str),
  takenAt: iso,
  tool: str,
}

// the schema and the Evidence interfaces cannot drift apart: what the schema lets through is a Snapshot
// (each chain's own part is checked against its type in its folder)
const assignable = (c: v.InferOutput<ReturnType<typeof record<typeof snapshotEntries & {networks: v.ArraySchema<typeof networkBase, undefined>}>>>): Snapshot =>
  c
const networkBase = record(networkEntries)
const assignableNetwork = (n: v.InferOutput<typeof networkBase>): NetworkEvidence => n
void assignable
void assignableNetwork

/**
 * What a chain's part of the schema is made of, handed to SnapshotPart.entries: a chain's module then
 * loads no schema code of its own until a snapshot is read.
 */
export const SCHEMA_BLOCKS = {
  agentRecord,
  array: v.array,
  commandRecord,
  fileRecord,
  int,
  iso,
  name,
  optional: v.optional,
  pid,
  probeRecord,
  processRecord,
  record,
  str,
}
export type SchemaBlocks = typeof SCHEMA_BLOCKS

/** A chain's part of the snapshot: its namespaces, and the fields it adds to a network's evidence. */
export interface SnapshotPart {
  /** a namespace of this chain, whatever its network: /^qdhcp-UUID$/i */
  namespace: RegExp
  /** that name as a wrong one's message shows it: `qdhcp-<network UUID>` */
  namespaceShown: string
  /** the fields it adds to a network's evidence (each `v.optional`: `requires` says when one must be there) */
  entries?(blocks: SchemaBlocks): v.ObjectEntries
  /** the fields its own networks' evidence must carry */
  requires?: readonly string[]
  /**
   * the namespace a network's evidence must name when the network alone does not name it (a router's
   * qrouter-ROUTER, from the evidence's router part); undefined: any of `namespace`
   */
  namespaceOfEvidence?(n: Record<string, unknown>): string | undefined
  /** the message when the evidence names another namespace than namespaceOfEvidence's */
  namespaceProblem?: string
}

/** What the schema asks of a chain (src/chains/module.ts ChainModule has these). */
export interface SchemaChain {
  backend: string
  /** the namespace of `network` when the network alone names it: the evidence must carry exactly that one */
  namespaceOf(network: string): string | undefined
  snapshot: SnapshotPart
}

export type SnapshotCheck = {ok: true; snapshot: Snapshot} | {ok: false; field: string; problem: string}

/**
 * The check of a whole snapshot for these chains (a network without a `backend` is `defaultBackend`'s):
 * the document, its networks' common fields, each chain's fields, a namespace of the network's chain.
 */
export function snapshotChecker(chains: readonly SchemaChain[], defaultBackend: string): (doc: unknown) => SnapshotCheck {
  const chainOf = (n: {backend?: string}) => chains.find((c) => c.backend === (n.backend ?? defaultBackend))
  const all: v.ObjectEntries = {...networkEntries}
  for (const c of chains) Object.assign(all, c.snapshot.entries?.(SCHEMA_BLOCKS))
  all.backend = v.optional(v.picklist(chains.map((c) => c.backend)))
  all.namespace = v.pipe(
    v.string(),
    v.check((n) => chains.some((c) => c.snapshot.namespace.test(n)), `must be ${orList(chains.map((c) => c.snapshot.namespaceShown))}`),
  )
  // checked in name order, as the fixed schema was: with abortEarly the first problem named is the same
  const entries = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  type Network = {backend?: string; namespace: string; network: string} & Record<string, unknown>
  const requires = chains.flatMap((c) =>
    (c.snapshot.requires ?? []).map((key) =>
      v.forward(
        v.check((n: Network) => chainOf(n) !== c || n[key] !== undefined, `required for the ${c.backend} backend`),
        [key] as [string],
      ),
    ),
  )
  const network = v.pipe(
    record(entries) as unknown as v.GenericSchema<unknown, Network>,
    v.forward(
      v.check(
        (n: Network) => {
          const chain = chainOf(n)
          const want = chain?.namespaceOf(n.network) ?? chain?.snapshot.namespaceOfEvidence?.(n)
          return want === undefined || n.namespace.toLowerCase() === want
        },
        (issue) =>
          chainOf(issue.input as Network)?.snapshot.namespaceProblem ??
          `${(issue.input as {namespace: string}).namespace} is not the namespace of network ${(issue.input as {network: string}).network}`,
      ),
      ['namespace'],
    ),
    ...requires,
  )
  const snapshot = record({...snapshotEntries, networks: v.array(network)})
  return (doc) => {
    const r = v.safeParse(snapshot, doc, {abortEarly: true})
    if (r.success) {
      const nets = r.output.networks as unknown as (NetworkEvidence & {logsSameAs?: number})[]
      for (let i = 0; i < nets.length; i++) {
        const same = nets[i].logsSameAs
        if (same === undefined) continue
        if (same >= i || nets[same].logs === undefined || nets[i].logs !== undefined)
          return {field: `networks[${i}].logsSameAs`, ok: false, problem: 'must be the index of an earlier network that has logs, instead of logs'}
        nets[i].logs = nets[same].logs
        delete nets[i].logsSameAs
      }
      return {ok: true, snapshot: r.output as unknown as Snapshot}
    }
    const issue = r.issues[0]
    return {field: fieldPath(issue), ok: false, problem: describeIssue(issue)}
  }
}

/** `a, b or c` */
const orList = (xs: readonly string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`)

/** `networks[0].processes` from a valibot issue path. */
function fieldPath(issue: v.BaseIssue<unknown>): string {
  let out = ''
  for (const item of issue.path ?? []) {
    const key = (item as {key: unknown}).key
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out === '' ? 'the document' : out
}

/** The first problem, in words: `required`, `expected a string, got null`, `must be a UUID ...`. */
function describeIssue(issue: v.BaseIssue<unknown>): string {
  // a missing key is reported with the key in its path and no input
  if (issue.input === undefined && issue.kind === 'schema') return 'required'
  if (issue.type === 'custom') return issue.message
  if (issue.kind === 'schema') {
    if (issue.type === 'picklist' || issue.type === 'literal') {
      const choices = (issue.expected ?? '')
        .replace(/^\(|\)$/g, '')
        .split(' | ')
        .join(' or ')
      return `expected ${choices}, got ${typeof issue.input === 'string' ? JSON.stringify(issue.input.slice(0, 40)) : kind(issue.input)}`
    }
    const want =
      issue.type === 'object'
        ? 'an object'
        : issue.type === 'array'
          ? 'an array'
          : issue.type === 'string'
            ? 'a string'
            : issue.type === 'number'
              ? 'a number'
              : issue.type === 'boolean'
                ? 'a boolean'
                : (issue.expected ?? issue.type)
    return `expected ${want}, got ${kind(issue.input)}`
  }
  return issue.message
}
