/**
 * A sosreport as a NodeView: node files from its copies (absent from a copied tree: missing; from a
 * tree whose plugin did not run: not collected), commands from the outputs sos kept (catalog.ts),
 * processes from its `ps auxwww`, a UNIX socket's listener from the root namespace's netstat or ss.
 * It cannot connect, probe or tell a namespace's inode: those capabilities are absent.
 */
import type {CommandRecord, FileRecord, ProcessRecord} from '../../evidence/evidence.js'
import {type PsRow, psTable} from '../../parse/processes.js'
import {unixListeners} from '../../parse/sockets.js'
import {readTail} from '../../system/read-file.js'
import {type CommandKey, type CommandOptions, type NodeView, type NotTold, type PathStat, type ProcessList, type TailRead, tailRecord} from '../view.js'
import {COMMANDS, COPIED_TREES} from './catalog.js'
import {SOS_OUTPUT_MAX_BYTES, type SosDir} from './open.js'

const NO_PS = 'not in the sosreport: it has no process list (sos_commands/process/ps_auxwww), so whether the pid runs cannot be told'

const under = (path: string, tree: string) => path === tree || path.startsWith(`${tree}/`)

export class SosView implements NodeView {
  readonly kind = 'sosreport' as const
  private readonly ran = new Map<string, Promise<boolean>>()
  private ps?: Promise<{from: string; header: string; byPid: Map<number, PsRow>} | undefined>
  private listeners?: Promise<{from: string; paths: Map<string, string>} | undefined>

  constructor(readonly sos: SosDir) {}

  /** Whether a plugin ran: its sos_commands/PLUGIN, or a tree it copies, is in the report. */
  pluginRan(plugin: string): Promise<boolean> {
    let p = this.ran.get(plugin)
    if (!p) {
      const trees = COPIED_TREES.find((t) => t.plugin === plugin)?.trees ?? []
      p = (async () => {
        for (const rel of [`sos_commands/${plugin}`, ...trees.map((t) => t.slice(1))]) if (await this.sos.isDir(rel)) return true
        return false
      })()
      this.ran.set(plugin, p)
    }
    return p
  }

  async readFile(path: string): Promise<FileRecord> {
    const text = await this.sos.read(path.replace(/^\/+/, ''))
    if (text !== undefined) return {content: text, path, state: 'present', type: 'file'}
    const plugin = COPIED_TREES.find((c) => c.trees.some((t) => under(path, t)))?.plugin
    if (plugin === undefined || (await this.pluginRan(plugin))) return {path, state: 'missing'}
    return {error: `not in the sosreport: its ${plugin} plugin did not run`, path, state: 'not-collected'}
  }

  /** A log the report copied (openstack_neutron keeps /var/log/neutron), its end read as on the node. */
  async readTail(path: string, maxBytes: number): Promise<TailRead> {
    const rel = path.replace(/^\/+/, '')
    let real: string | undefined
    try {
      real = await this.sos.resolve(rel)
    } catch (error) {
      return {error: error instanceof Error ? error.message : String(error), state: 'error'}
    }
    if (real !== undefined) return tailRecord(await readTail(real, maxBytes))
    const plugin = COPIED_TREES.find((c) => c.trees.some((t) => under(path, t)))?.plugin
    if (plugin === undefined || (await this.pluginRan(plugin))) return {state: 'missing'}
    return {error: `not in the sosreport: its ${plugin} plugin did not run`, state: 'not-collected'}
  }

  list(dir: string): Promise<string[]> {
    return this.sos.list(dir.replace(/^\/+/, ''))
  }

  async stat(path: string): Promise<PathStat | undefined> {
    const rel = path.replace(/^\/+/, '')
    if (await this.sos.isDir(rel)) return {type: 'directory'}
    return (await this.sos.resolve(rel)) === undefined ? undefined : {type: 'file'}
  }

  /** The first file of the catalogue's that the report has, with its text. */
  private async found(key: keyof typeof COMMANDS, ns?: string): Promise<{rel: string; text: string} | undefined> {
    for (const rel of COMMANDS[key]?.paths(ns) ?? []) {
      const text = await this.sos.read(rel, SOS_OUTPUT_MAX_BYTES)
      if (text !== undefined) return {rel, text}
    }
    return undefined
  }

  /** What sos ran under this key, verbatim (it keeps stdout and stderr together); or why it is not here. */
  async command(key: CommandKey, _argv: string[], opts: CommandOptions = {}): Promise<CommandRecord | undefined> {
    const entry = COMMANDS[key]
    if (!entry) return undefined
    const hit = await this.found(key, opts.ns)
    if (hit) return {argv: entry.argv(opts.ns, hit.rel), exitCode: 0, stderr: '', stdout: hit.text}
    if (!entry.missing) return undefined
    const {argv, reason} = entry.missing(opts.ns, await this.sos.isDir(`sos_commands/${entry.plugin}`))
    return {argv, exitCode: null, notCollected: reason, stderr: '', stdout: ''}
  }

  private psList() {
    this.ps ??= this.found('ps').then((hit) => (hit ? {from: hit.rel, ...psTable(hit.text)} : undefined))
    return this.ps
  }

  async processes(): Promise<ProcessList> {
    const ps = await this.psList()
    if (!ps) return {entries: [], notCollected: NO_PS}
    return {entries: [...ps.byPid.values()].map((r) => ({cmdline: r.command, pid: r.pid})), from: ps.from, shownAs: this.sos.name(ps.from)}
  }

  /** The pid looked up in ps (a sosreport has no /proc to read): its line under the header when it ran. */
  async process(pid: number, role: ProcessRecord['role'], from: string): Promise<ProcessRecord | NotTold> {
    const ps = await this.psList()
    if (!ps) return {notCollected: `${NO_PS} (pid ${pid})`}
    const row = ps.byPid.get(pid)
    const rec: ProcessRecord = {alive: row !== undefined, from, pid, role}
    if (row) rec.ps = `${ps.header}\n${row.line}\n`
    return rec
  }

  /** A UNIX socket as the root namespace's socket table shows it: a listener there, or none. */
  async connect(path: string): Promise<FileRecord> {
    this.listeners ??= this.found('root-sockets').then((hit) => (hit ? {from: hit.rel, paths: unixListeners(hit.text)} : undefined))
    const table = await this.listeners
    if (!table)
      return {error: 'not in the sosreport: no netstat or ss of the root namespace to tell whether anything listens on it', path, state: 'not-collected'}
    if (table.paths.has(path)) return {path, state: 'present', type: 'socket'}
    return {connect: `no listener in the sosreport's ${table.from.split('/').pop()!.replaceAll('_', ' ')}`, path, state: 'present', type: 'socket'}
  }
}
