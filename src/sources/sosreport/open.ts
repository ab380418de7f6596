/**
 * A sosreport directory, read only inside itself: what is generic about reading an untrusted tree of a
 * node's files (the sos-specific part is catalog.ts and view.ts).
 *
 * A sosreport is untrusted input:
 *   - every file is read through the bounded regular-file reader (a FIFO or device is refused, never
 *     opened; a file over its cap is refused);
 *   - a symlink is followed only while it stays inside the sosreport (one leading out is bad input, exit 2);
 *   - each file is read once, however many times the report names it (a process list naming the same
 *     config a thousand times reads it once), and the whole report is read up to SOS_TOTAL_MAX_BYTES;
 *   - a path from the report is shown in a message with its control characters escaped (\x1b), so a
 *     name cannot set the terminal's title or clear its screen.
 */
import {constants, type Stats} from 'node:fs'
import {lstat, open, readdir, realpath, stat} from 'node:fs/promises'
import {basename, join} from 'node:path'

import {cannotError, describeSystemError, usageError} from '../../errors.js'
import {describeType, formatBytes, MiB, readError, readRegularFile, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'

/** A command's output kept by sos (ps and netstat of a big node run to megabytes): at most this much is read. */
export const SOS_OUTPUT_MAX_BYTES = 16 * MiB
/**
 * At most this much is read from one sosreport, all files together (each once): a node with thousands
 * of networks needs a few tens of MiB; a report that asks for more is bad input, refused at once.
 */
export const SOS_TOTAL_MAX_BYTES = 256 * MiB
/** At most this many entries of a directory are listed (var/lib/neutron/dhcp, a --config-dir). */
const MAX_ENTRIES = 20_000

/** Which layout of sos's networking output the report has (the fixtures record theirs). */
export type SosLayout = 'sos-4.0' | 'sos-namespaces-dir'

export interface SosreportInfo {
  /** the directory as given */
  dir: string
  /** its `hostname` file (sos's host plugin), else the name in the directory's name */
  host: string
  /** version.txt's `sosreport: X` (or sos_reports/manifest.json's version) */
  version?: string
  layout: SosLayout
}

/** A path that names a tarball: a sosreport is read extracted. */
const TARBALL = /\.(tar|tar\.(xz|gz|bz2|zst)|tgz|txz|tbz2?)$/i

/** Whether a regular file starts like a tar archive or a compressed one (xz, gzip, bzip2, zstd): 262 bytes read, no more. */
async function looksArchived(path: string): Promise<boolean> {
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
    try {
      if (!(await fh.stat()).isFile()) return false
      const b = Buffer.alloc(262)
      const {bytesRead} = await fh.read(b, 0, 262, 0)
      const head = b.subarray(0, bytesRead)
      const starts = (hex: string) => head.subarray(0, hex.length / 2).equals(Buffer.from(hex, 'hex'))
      return starts('fd377a585a00') || starts('1f8b') || starts('425a68') || starts('28b52ffd') || head.subarray(257, 262).toString('latin1') === 'ustar'
    } finally {
      await fh.close()
    }
  } catch {
    return false
  }
}

/** A path as a message may show it: C0/C1 control characters and DEL as \xNN (never sent to the terminal raw). */
export function shown(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

interface Loaded {
  text: string
  bytes: number
}

/** The sosreport directory, read only inside itself, each file once, all of it up to SOS_TOTAL_MAX_BYTES. */
export class SosDir {
  private readonly resolved = new Map<string, Promise<string | undefined>>()
  private readonly loaded = new Map<string, Promise<Loaded>>()
  private readonly listed = new Map<string, Promise<string[]>>()
  /** bytes read so far, every file counted once */
  private total = 0

  constructor(
    readonly given: string,
    readonly root: string,
  ) {}

  /** `DIR/rel` as the operator would find it (messages name it so, control characters escaped). */
  name(rel: string): string {
    return shown(join(this.given, rel))
  }

  /**
   * The real path of `rel`, its symlinks followed only while they stay inside the sosreport;
   * undefined when nothing is there (a dangling symlink included). A symlink out of it is bad input.
   */
  resolve(rel: string): Promise<string | undefined> {
    let p = this.resolved.get(rel)
    if (!p) this.resolved.set(rel, (p = this.resolveOnce(rel)))
    return p
  }

  private async resolveOnce(rel: string): Promise<string | undefined> {
    const lexical = join(this.root, rel)
    if (lexical !== this.root && !lexical.startsWith(`${this.root}/`))
      throw usageError('sosreport-symlink', `${this.name(rel)} is outside the sosreport: refused, a sosreport is read only inside itself`)
    let real: string
    try {
      real = await realpath(lexical)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      if (code === 'ELOOP') throw usageError('sosreport-symlink', `${this.name(rel)}: a symlink loop in the sosreport`)
      throw cannotError('sosreport-unreadable', `${this.name(rel)}: ${describeSystemError(error)}`)
    }
    if (real !== this.root && !real.startsWith(`${this.root}/`)) {
      throw usageError('sosreport-symlink', `${this.name(rel)} leads out of the sosreport (to ${shown(real)}): refused, a sosreport is read only inside itself`)
    }
    return real
  }

  /** A file's text; undefined when the sosreport has no such file. A FIFO, device or over-large file is bad input. */
  async read(rel: string, maxBytes = TEXT_FILE_MAX_BYTES): Promise<string | undefined> {
    const real = await this.resolve(rel)
    if (real === undefined) return undefined
    let p = this.loaded.get(real)
    if (!p) {
      p = this.load(rel, real, maxBytes)
      // a missing file is not kept: the next ask looks again (it may be there then)
      p.catch(() => this.loaded.delete(real))
      this.loaded.set(real, p)
    }
    let got: Loaded
    try {
      got = await p
    } catch (error) {
      if (error === MISSING) return undefined
      throw error
    }
    // read before under a larger cap (a command output's), asked now as a file of a smaller one
    if (got.bytes > maxBytes) throw usageError('file-too-large', `${this.name(rel)}: larger than ${formatBytes(maxBytes)}, the most read from such a file`)
    return got.text
  }

  private async load(rel: string, real: string, maxBytes: number): Promise<Loaded> {
    let st: Stats | undefined
    try {
      st = await stat(real)
    } catch {
      // left to the reader, which says why
    }
    // what a read will take is counted before it starts: reads run side by side, each sees the others'
    const reserved = st?.isFile() && st.size <= maxBytes ? st.size : 0
    if (this.total + reserved > SOS_TOTAL_MAX_BYTES) throw this.overBudget(rel)
    this.total += reserved
    const r = await readRegularFile(real, maxBytes, st)
    this.total -= reserved
    if (!r.ok) {
      if (r.kind === 'missing') throw MISSING
      throw readError(this.name(rel), r, 'sosreport-unreadable')
    }
    this.total += r.stat.size
    if (this.total > SOS_TOTAL_MAX_BYTES) throw this.overBudget(rel)
    return {bytes: r.stat.size, text: r.text}
  }

  private overBudget(rel: string) {
    return usageError(
      'sosreport-too-large',
      `${shown(this.given)}: more than ${formatBytes(SOS_TOTAL_MAX_BYTES)} to read (at ${this.name(rel)}), the most read from one sosreport`,
    )
  }

  async isDir(rel: string): Promise<boolean> {
    const real = await this.resolve(rel)
    if (real === undefined) return false
    return (await stat(real)).isDirectory()
  }

  /** The names in a directory of the sosreport, sorted (none when it is not there). */
  async list(rel: string): Promise<string[]> {
    const real = await this.resolve(rel)
    if (real === undefined) return []
    let p = this.listed.get(real)
    if (!p) {
      p = (async () => ((await stat(real)).isDirectory() ? (await readdir(real)).slice(0, MAX_ENTRIES).sort() : []))()
      this.listed.set(real, p)
    }
    return p
  }

  /** When the report was taken: sos_reports/manifest.json's start_time, else version.txt's mtime. */
  async takenAt(): Promise<string> {
    const manifest = await this.read('sos_reports/manifest.json', SOS_OUTPUT_MAX_BYTES).catch(() => undefined)
    const started = /"start_time":\s*"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/.exec(manifest ?? '')
    return started ? `${started[1]}T${started[2]}` : (await stat(join(this.root, 'version.txt'))).mtime.toISOString()
  }
}

/** A missing file, inside the reader (a sosreport without it is an answer, not an error). */
const MISSING = Symbol('missing')

/**
 * Open DIR as a sosreport: an existing directory with sos_commands/ and version.txt. A tarball, a
 * plain file or a directory of something else is bad input (exit 2) naming it; a missing or
 * unreadable path is exit 3.
 */
export async function openSosreport(dir: string): Promise<{sos: SosDir; info: Omit<SosreportInfo, 'host'>}> {
  if (dir === '') throw usageError('usage', '--sosreport: the path is empty (give the directory `sos report` made, extracted)')
  let st: Stats
  try {
    st = await stat(dir)
  } catch (error) {
    throw cannotError('sosreport-unreadable', `${shown(dir)}: ${describeSystemError(error)}`)
  }
  if (!st.isDirectory()) {
    if (st.isFile() && (TARBALL.test(dir) || (await looksArchived(dir))))
      throw usageError('sosreport-tarball', `${shown(dir)} is a sosreport tarball: extract it first (tar xf ${shown(dir)}) and give the directory it makes`)
    throw usageError(
      'not-a-sosreport',
      `${shown(dir)} is ${st.isFile() ? '' : `${describeType(st)}, `}not a directory: --sosreport takes an extracted sosreport (the sosreport-HOST-... directory)`,
    )
  }
  const sos = new SosDir(dir, await realpath(dir))
  const commands = await sos.isDir('sos_commands')
  const versionReal = await sos.resolve('version.txt')
  const versionFile = versionReal === undefined ? undefined : await lstat(versionReal)
  if (!commands || !versionFile?.isFile()) {
    throw usageError(
      'not-a-sosreport',
      `${shown(dir)} is not a sosreport: it has no ${commands ? 'version.txt' : 'sos_commands/'} (give the sosreport-HOST-... directory \`sos report\` made, extracted)`,
    )
  }
  const versionText = await sos.read('version.txt')
  let version = /^sosreport:\s*(\S+)/m.exec(versionText ?? '')?.[1]
  if (version === undefined) {
    const manifest = await sos.read('sos_reports/manifest.json', SOS_OUTPUT_MAX_BYTES)
    try {
      const v = (JSON.parse(manifest ?? 'null') as {version?: unknown} | null)?.version
      if (typeof v === 'string') version = v
    } catch {
      // a manifest that is not JSON tells no version
    }
  }
  const layout: SosLayout = (await sos.isDir('sos_commands/networking/namespaces')) ? 'sos-namespaces-dir' : 'sos-4.0'
  return {info: {dir, layout, version}, sos}
}

/** The host a sosreport is of: its `hostname` file (host plugin), else the name in sosreport-NAME-DATE-... */
export async function hostOf(sos: SosDir): Promise<string> {
  for (const rel of ['hostname', 'sos_commands/host/hostname', 'etc/hostname']) {
    const text = (await sos.read(rel))?.trim().split('\n')[0]?.trim()
    if (!text) continue
    // it names the host in tables and reports: a host name, never control characters or a page of text
    if (!/^[\x21-\x7e]{1,253}$/.test(text))
      throw usageError('not-a-sosreport', `${sos.name(rel)}: not a host name (${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''})`)
    return text
  }
  const m = /^sosreport-(.+?)-\d{4}-\d{2}-\d{2}-/.exec(basename(sos.root)) ?? /^sosreport-([^-]+)/.exec(basename(sos.root))
  return m ? m[1] : basename(sos.root)
}
