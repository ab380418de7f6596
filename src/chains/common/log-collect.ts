/**
 * The end of the metadata agent's log (and Nova metadata API's, where this node has one), collected
 * once per run and shared by every network's evidence. Where the agent logs, in the order oslo.log
 * itself decides it: the running agent's own --log-file (with --log-dir when relative) or --log-dir
 * (<dir>/<program>.log); else log_file/log_dir in [DEFAULT] of its --config-file/--config-dir files;
 * else the deployment's path (src/deployments/: packages /var/log/neutron/neutron-metadata-agent.log,
 * TripleO /var/log/containers/neutron/..., journald on EDPM and openstack-ansible); else, on a live
 * systemd node, the unit's journal (`journalctl -u UNIT -n 2000 -o short-iso --no-pager`, read-only).
 *
 * Bounded: the last LOG_TAIL_MAX_BYTES of a regular file (a 2 GB file costs what a small one does),
 * whole lines, each clipped; a FIFO, device or directory is refused without being opened, a symlink at
 * the log's own path is not followed (only what the deployment's path or the agent's own --log-file
 * names is read, and a link planted there to /etc/shadow is not), binary content is not kept. Lines
 * are redacted as they arrive (config/secrets.ts redactLogText) and colour codes stripped.
 */
import {isAbsolute, join, posix} from 'node:path'

import {redactLogText} from '../../config/secrets.js'
import {effective, parseIni} from '../../config/oslo-ini.js'
import {deploymentOf, fill, unitOf} from '../../deployments/registry.js'
import type {ServiceName} from '../../deployments/types.js'
import {type DeploymentName, LOG_TAIL_MAX_BYTES, type LayoutName, type LogRecord} from '../../evidence/evidence.js'
import {parseAgentCmdline} from '../../parse/agent.js'
import {cleanLogText, parseLogArgs} from '../../parse/metadata-log.js'
import type {NodeView, TailRead} from '../../sources/view.js'

/** Whose log: the DHCP/L3 chains' metadata agent, or ML2/OVN's. */
export type LogService = 'metadata-agent' | 'ovn-metadata-agent'

/** The programs of each, as a process list names them (both releases; TripleO's networking-ovn name; 2025.2's neutron-ovn-agent). */
const PROGRAMS: Record<LogService, readonly string[]> = {
  'metadata-agent': ['neutron-metadata-agent', 'quantum-metadata-agent'],
  'ovn-metadata-agent': ['neutron-ovn-metadata-agent', 'networking-ovn-metadata-agent', 'neutron-ovn-agent'],
}

/** Lines asked of journald: about what 256 KiB of a log holds. */
export const JOURNAL_LINES = 2000

export interface LogScope {
  layout: LayoutName
  deployment?: DeploymentName
}

interface Candidate {
  path: string
  from: string
}

/** Where one running agent logs, from its command line, else its config files; undefined when it names neither. */
async function agentLog(view: NodeView, pid: number, cmdline: string, service: LogService): Promise<Candidate | undefined> {
  const args = parseAgentCmdline(cmdline, PROGRAMS[service])
  if (!args) return undefined
  const {logDir, logFile} = parseLogArgs(cmdline)
  const of = `of pid ${pid}`
  if (logFile !== undefined) {
    if (isAbsolute(logFile)) return {from: `--log-file ${of}`, path: posix.normalize(logFile)}
    if (logDir !== undefined && isAbsolute(logDir)) return {from: `--log-dir and --log-file ${of}`, path: posix.normalize(join(logDir, logFile))}
    return undefined
  }
  if (logDir !== undefined && isAbsolute(logDir)) return {from: `--log-dir ${of}`, path: posix.normalize(join(logDir, `${args.program}.log`))}
  // oslo.config's order: later files override earlier ones
  let file: {value: string; where: string} | undefined
  let dir: {value: string; where: string} | undefined
  for (const s of args.sources) {
    if (!isAbsolute(s.path)) continue
    const paths = s.kind === 'file' ? [s.path] : (await view.list(s.path)).filter((n) => n.endsWith('.conf')).map((n) => join(s.path, n))
    for (const p of paths) {
      const rec = await view.readFile(p)
      if (rec.content === undefined) continue
      let ini
      try {
        ini = parseIni(rec.content)
      } catch {
        continue
      }
      const f = effective(ini, 'DEFAULT', 'log_file')
      const d = effective(ini, 'DEFAULT', 'log_dir')
      if (f && f.value !== '') file = {value: f.value, where: `${p}:${f.line + 1}`}
      if (d && d.value !== '') dir = {value: d.value, where: `${p}:${d.line + 1}`}
    }
  }
  if (file && isAbsolute(file.value)) return {from: `log_file at ${file.where} (pid ${pid})`, path: posix.normalize(file.value)}
  if (file && dir && isAbsolute(dir.value))
    return {from: `log_dir and log_file at ${dir.where}, ${file.where} (pid ${pid})`, path: posix.normalize(join(dir.value, file.value))}
  if (dir && isAbsolute(dir.value)) return {from: `log_dir at ${dir.where} (pid ${pid})`, path: posix.normalize(join(dir.value, `${args.program}.log`))}
  return undefined
}

/** A view's tail of a file, cleaned and redacted, as a log record. */
async function readLog(view: NodeView, service: string, c: Candidate): Promise<LogRecord> {
  const rec: LogRecord = {from: c.from, path: c.path, service, state: 'not-collected'}
  if (!view.readTail) return {...rec, error: "this source cannot read a log's end"}
  const r: TailRead = await view.readTail(c.path, LOG_TAIL_MAX_BYTES)
  rec.state = r.state
  if (r.error !== undefined) rec.error = r.error
  if (r.state !== 'present' || r.text === undefined) return rec
  if (r.mtime !== undefined) rec.mtime = r.mtime
  if (r.size !== undefined) rec.size = r.size
  if (r.offset !== undefined) rec.offset = r.offset
  return keepText(rec, r.text, r.offset === 0)
}

function keepText(rec: LogRecord, raw: string, fromStart: boolean): LogRecord {
  const clean = cleanLogText(raw)
  if (clean.binary) return {...rec, error: 'holds binary data (NUL or undecodable bytes), not a text log: not kept', state: 'error'}
  rec.tail = redactLogText(clean.text)
  if (fromStart) rec.firstLine = 1
  return rec
}

/** A view that reads a unit's journal: this node, or an agentless host (its script sent the journal's end). */
const readsJournal = (view: NodeView) => view.kind === 'live' || view.kind === 'agentless'

/** The unit's journal, read-only, on a view that runs commands (a live node) or sent it (an agentless host). */
async function readJournal(view: NodeView, service: string, unit: string, from: string): Promise<LogRecord> {
  const argv = ['journalctl', '-u', `${unit}.service`, '-n', String(JOURNAL_LINES), '-o', 'short-iso', '--no-pager']
  const rec: LogRecord = {argv, from, path: `journal:${unit}.service`, service, state: 'not-collected'}
  const out = await view.command('journal', argv)
  if (!out) return {...rec, error: 'this source does not run journalctl'}
  if (out.notCollected !== undefined) return {...rec, error: out.notCollected}
  if (out.error !== undefined || out.exitCode !== 0)
    return {...rec, error: redactLogText(cleanLogText(out.error ?? out.stderr.slice(0, 500)).text || `exit ${out.exitCode}`), state: 'error'}
  rec.state = 'present'
  // the last lines only, as a file's tail would be (a journal line may be long)
  const text = out.stdout.length > LOG_TAIL_MAX_BYTES ? out.stdout.slice(out.stdout.indexOf('\n', out.stdout.length - LOG_TAIL_MAX_BYTES) + 1) : out.stdout
  return keepText(rec, /^-- No entries --\s*$/.test(text) ? '' : text, false)
}

/**
 * The metadata agent's log and Nova metadata API's, as this view shows them: one record per place
 * looked at (a missing file is recorded too, so a check can say where it looked).
 */
export async function collectLogs(view: NodeView, scope: LogScope, service: LogService): Promise<LogRecord[]> {
  const out: LogRecord[] = []
  const list = await view.processes()
  const seen = new Set<string>()
  for (const {cmdline, pid} of list.entries) {
    if (!PROGRAMS[service].some((p) => cmdline.includes(p))) continue
    // an agent in another mount namespace (a container) names paths that are not this view's
    const details = view.processDetails ? await view.processDetails(pid) : {}
    if (details.sameMountNamespace === false) continue
    const c = await agentLog(view, pid, cmdline, service)
    // the agent's workers (metadata_workers) share its command line and its log
    if (!c || seen.has(c.path)) continue
    seen.add(c.path)
    out.push(await readLog(view, service, c))
    if (seen.size >= 4) break
  }
  const dep = deploymentOf(scope)
  const entry = dep.services[service as ServiceName]
  if (out.length === 0) {
    for (const where of entry?.logs ?? []) {
      const path = fill(where, {project: scope.layout})
      if (path.startsWith('/')) out.push(await readLog(view, service, {from: `the ${dep.label} default`, path}))
      else if (path === 'journal' && readsJournal(view))
        out.push(await readJournal(view, service, unitOf(scope, service as ServiceName), `the ${dep.label} default`))
      else if (path !== 'journal') out.push({error: `read it with: ${path}`, from: `the ${dep.label} default`, path, service, state: 'not-collected'})
    }
  }
  // no file: an agent under systemd logs to its journal
  if (
    !out.some((r) => r.state === 'present') &&
    readsJournal(view) &&
    !out.some((r) => r.path.startsWith('journal:')) &&
    (await view.stat('/run/systemd/system'))
  ) {
    out.push(await readJournal(view, service, unitOf(scope, service as ServiceName), 'no log file: the systemd journal'))
  }
  for (const where of dep.novaMetadata?.logs ?? []) out.push(await readLog(view, 'nova-metadata', {from: `the ${dep.label} default`, path: where}))
  return out
}
