/**
 * The whole snapshot document, checked against one schema before any check reads it: a snapshot is
 * a file someone handed over, so a wrong type anywhere is bad input (exit 2 naming the field), never
 * a crash in a check. Ids are checked here too, before they reach a path, a command line or a
 * printed fix: a network id is a UUID, its namespace is qdhcp-<that UUID> (ovnmeta-<that UUID> for the
 * ovn backend), a pid a whole number.
 * Unknown fields are ignored (a newer collector may add some); every field the current collector
 * writes is described, so every snapshot it writes reads back.
 * What passes is redacted as collect redacts (config/secrets.ts): a snapshot from an older version, a
 * hand edit or a hostile host over ssh prints no password in the table, --json or JUnit.
 */
import * as v from 'valibot'

import {BACKENDS, DEPLOYMENT_NAMES, type NetworkEvidence, type Snapshot, SNAPSHOT_FORMAT} from './evidence.js'
import {OVNMETA_NAMESPACE, PID_MAX, QDHCP_NAMESPACE, QROUTER_NAMESPACE, UUID} from './ids.js'

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
const record = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.custom<Record<string, unknown>>(
      (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
      (issue) => `expected an object, got ${kind(issue.input)}`,
    ),
    v.object(entries),
  )

const str = v.string()
/**
 * a path as the collector recorded it: any string it can write (an agent's --config-file= may be
 * empty, a /proc cmdline may hold anything); what is printed is escaped and fixes quote it
 */
const name = v.string()
const int = v.pipe(v.number(), v.integer('must be an integer'))
/**
 * a pid reaches a fix (kill -HUP PID): a whole number, never negative (kill -HUP -1 signals every
 * process) nor above the kernel's limit; 0 (no process: the collector writes it) is kept, and the
 * fixes signal only isSignalablePid() pids (never 0 or 1)
 */
const pid = v.pipe(
  v.number(),
  v.integer('must be an integer'),
  v.minValue(0, `must be a pid (0 to ${PID_MAX})`),
  v.maxValue(PID_MAX, `must be a pid (0 to ${PID_MAX})`),
)
const iso = v.string()

const commandRecord = record({
  argv: v.array(str),
  error: v.optional(str),
  exitCode: v.nullable(int),
  notCollected: v.optional(str),
  section: v.optional(str),
  stderr: str,
  stdout: str,
})

const fileRecord = record({
  busyMs: v.optional(v.number()),
  connect: v.optional(str),
  content: v.optional(str),
  error: v.optional(str),
  mtime: v.optional(iso),
  path: name,
  realpath: v.optional(name),
  state: v.picklist(['present', 'missing', 'error', 'not-collected']),
  type: v.optional(v.picklist(['file', 'socket', 'directory', 'symlink', 'other'])),
})

const agentRecord = record({
  cmdline: str,
  configs: v.optional(v.array(fileRecord)),
  pid,
  sameMountNamespace: v.optional(v.boolean()),
  startedAt: v.optional(iso),
})

const processRecord = record({
  alive: v.boolean(),
  cmdline: v.optional(str),
  fdLinks: v.optional(v.array(str)),
  from: str,
  netns: v.optional(str),
  pid,
  ps: v.optional(str),
  role: v.picklist(['dnsmasq', 'proxy']),
  tcp: v.optional(str),
  tcp6: v.optional(str),
})

const probeRecord = record({
  argv: v.array(str),
  body: v.optional(str),
  error: v.optional(str),
  ms: v.optional(v.number()),
  status: v.optional(int),
  url: str,
})

const apiEvidence = record({
  error: v.optional(str),
  host: str,
  hostFrom: str,
  records: v.array(record({body: str, method: str, path: str, status: int})),
})

const ovnEvidence = record({
  agents: v.array(agentRecord),
  configs: v.array(fileRecord),
  connections: record({from: v.array(str), nb: v.optional(str), ovs: str, sb: str}),
  controllers: v.array(record({cmdline: str, pid})),
  haproxies: v.array(processRecord),
  nb: v.optional(commandRecord),
  nbSkipped: v.optional(str),
  ovs: commandRecord,
  sb: commandRecord,
  serverConfig: v.optional(fileRecord),
})

const routerEvidence = record({
  agents: v.optional(v.array(agentRecord)),
  configs: v.array(fileRecord),
  found: v.array(str),
  foundBy: v.optional(v.picklist(['api', 'namespace'])),
  haState: v.optional(fileRecord),
  id: v.optional(v.pipe(v.string(), v.regex(UUID, 'must be a UUID like 7f81dddf-f7cf-4161-bbae-551f6b32b521'), v.toLowerCase())),
  keepalived: v.optional(fileRecord),
  rules: v.optional(v.array(commandRecord)),
})

/** The namespace a network's evidence must name: qdhcp-NET, ovnmeta-NET, or qrouter-ROUTER ('' when no router was found). */
const namespaceOf = (n: {backend?: string; network: string; router?: {id?: string}}) =>
  n.backend === 'l3-agent' ? (n.router?.id ? `qrouter-${n.router.id}` : '') : `${n.backend === 'ovn' ? 'ovnmeta' : 'qdhcp'}-${n.network}`

const networkEvidence = v.pipe(
  record({
    addresses: v.optional(commandRecord),
    agents: v.optional(v.array(agentRecord)),
    agentsFrom: v.optional(str),
    api: v.optional(apiEvidence),
    // absent in snapshots written before it existed: those are the DHCP agent's (backendOf)
    backend: v.optional(v.picklist(BACKENDS)),
    config: fileRecord,
    // absent in snapshots written before it existed: those read as packages (deploymentOfEvidence)
    deployment: v.optional(v.picklist(DEPLOYMENT_NAMES)),
    deploymentFrom: v.optional(str),
    dnsmasqPidFile: fileRecord,
    haproxyConfig: fileRecord,
    haproxyPidFile: fileRecord,
    layout: v.picklist(['neutron', 'quantum']),
    // absent in snapshots written before it existed
    leases: v.optional(fileRecord),
    metadataAgentConfig: v.optional(fileRecord),
    namespace: v.pipe(
      v.string(),
      v.check(
        (n) => QDHCP_NAMESPACE.test(n) || OVNMETA_NAMESPACE.test(n) || QROUTER_NAMESPACE.test(n) || n === '',
        'must be qdhcp-<network UUID>, ovnmeta-<network UUID> or qrouter-<router UUID>',
      ),
    ),
    namespaceInode: v.optional(str),
    namespaces: commandRecord,
    network: v.pipe(v.string(), v.regex(UUID, 'must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79'), v.toLowerCase()),
    opts: fileRecord,
    ovn: v.optional(ovnEvidence),
    probe: v.optional(probeRecord),
    processes: v.array(processRecord),
    proxyPidFile: fileRecord,
    router: v.optional(routerEvidence),
    routes: v.optional(commandRecord),
    sockets: v.optional(commandRecord),
    statePath: name,
    upstreamSocket: fileRecord,
  }),
  // before the namespace rule: without its router part an l3-agent network's namespace cannot be told
  v.forward(
    v.check((n) => n.backend !== 'l3-agent' || n.router !== undefined, 'required for the l3-agent backend'),
    ['router'],
  ),
  v.forward(
    v.check(
      (n) => n.namespace.toLowerCase() === namespaceOf(n),
      (issue) =>
        (issue.input as {backend?: string}).backend === 'l3-agent'
          ? `${JSON.stringify((issue.input as {namespace: string}).namespace)} is not the namespace of the router the evidence names (qrouter-<router.id>, '' with no router)`
          : `${(issue.input as {namespace: string}).namespace} is not the namespace of network ${(issue.input as {network: string}).network}`,
    ),
    ['namespace'],
  ),
  v.forward(
    v.check((n) => (n.backend ?? 'dhcp-agent') !== 'ovn' || n.ovn !== undefined, 'required for the ovn backend'),
    ['ovn'],
  ),
)

const snapshot = record({
  format: v.literal(SNAPSHOT_FORMAT, `must be "${SNAPSHOT_FORMAT}"`),
  host: str,
  networks: v.array(networkEvidence),
  note: v.optional(str),
  takenAt: iso,
  tool: str,
})

// the schema and the Evidence interfaces cannot drift apart: what the schema lets through is a Snapshot
type Checked = v.InferOutput<typeof snapshot>
const assignable = (c: Checked): Snapshot => c
const assignableNetwork = (n: v.InferOutput<typeof networkEvidence>): NetworkEvidence => n
void assignable
void assignableNetwork

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

export type SnapshotCheck = {ok: true; snapshot: Snapshot} | {ok: false; field: string; problem: string}

/** Validate a parsed JSON document as a snapshot: the snapshot (ids lower-cased, secrets redacted), or the first problem. */
export function checkSnapshot(doc: unknown): SnapshotCheck {
  const r = v.safeParse(snapshot, doc, {abortEarly: true})
  // the callers that read a snapshot someone else wrote redact it next (config/secrets.ts redactSnapshot):
  // this floor imports nothing of ours
  if (r.success) return {ok: true, snapshot: r.output}
  const issue = r.issues[0]
  return {field: fieldPath(issue), ok: false, problem: describeIssue(issue)}
}
