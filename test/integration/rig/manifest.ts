/**
 * What one fake node owns, written down before it is created, so that a run that crashed
 * (vitest killed, machine-wide timeout) can be cleaned up by the next run.
 *
 * Every node lives in a temp dir `$TMPDIR/qmt-rig-XXXXXX/` holding `rig.json`: the owning
 * process (pid + start time), the namespaces and the PIDs (each with a string its command line
 * must contain). A namespace is recorded *before* `ip netns add`, a PID right after it is known.
 *
 * The sweep (once per process) only touches:
 *  - manifests whose owner process is gone: their recorded PIDs (if the command line still
 *    matches), their recorded namespaces, their temp dir;
 *  - namespaces named `qmt-sw-<8 hex>` / `qmt-vm-<8 hex>` (names only this rig generates) that
 *    no live manifest claims.
 * qdhcp-<uuid> namespaces are never matched by name: each run makes fresh UUIDs and records them.
 */
import {readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type TrackedPid, isAlive, netnsExists, netnsList, run, stopOurs} from './exec.js'

export const TMP_PREFIX = 'qmt-rig-'
/** Namespaces the rig names itself (switch and VM). */
export const RIG_NS = /^qmt-(sw|vm)-[0-9a-f]{8}$/

export interface ManifestData {
  owner: {pid: number; start: string}
  namespaces: string[]
  pids: TrackedPid[]
}

/** Field 22 of /proc/PID/stat (start time in clock ticks): with the PID it identifies a process. */
export function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

export class Manifest {
  readonly data: ManifestData
  constructor(readonly dir: string) {
    this.data = {namespaces: [], owner: {pid: process.pid, start: procStart(process.pid) ?? ''}, pids: []}
    this.save()
  }

  get path() {
    return join(this.dir, 'rig.json')
  }

  save() {
    writeFileSync(this.path, JSON.stringify(this.data, null, 2) + '\n', {mode: 0o644})
  }

  addNamespace(ns: string) {
    if (!this.data.namespaces.includes(ns)) this.data.namespaces.push(ns)
    this.save()
  }

  addPid(t: TrackedPid) {
    this.data.pids.push(t)
    this.save()
  }
}

function ownerAlive(m: ManifestData): boolean {
  return isAlive(m.owner.pid) && procStart(m.owner.pid) === m.owner.start
}

function readManifests(): {dir: string; data: ManifestData | null}[] {
  const base = tmpdir()
  let names: string[] = []
  try {
    names = readdirSync(base).filter((n) => n.startsWith(TMP_PREFIX))
  } catch {
    return []
  }
  return names.map((n) => {
    const dir = join(base, n)
    try {
      return {data: JSON.parse(readFileSync(join(dir, 'rig.json'), 'utf8')) as ManifestData, dir}
    } catch {
      return {data: null, dir}
    }
  })
}

/** Remove everything a manifest lists: processes (if still theirs), namespaces, the temp dir. */
export async function destroyRecorded(dir: string, m: ManifestData): Promise<void> {
  for (const t of [...m.pids].reverse()) await stopOurs(t)
  for (const ns of [...m.namespaces].reverse()) {
    if (await netnsExists(ns)) await run('ip', ['netns', 'delete', ns])
  }
  rmSync(dir, {force: true, recursive: true})
}

let swept: Promise<string[]> | null = null

/** Clean up after crashed runs, once per process. Returns what it removed (for logs). */
export function sweepLeftovers(): Promise<string[]> {
  swept ??= (async () => {
    const removed: string[] = []
    const manifests = readManifests()
    const claimed = new Set<string>()
    for (const {data, dir} of manifests) {
      if (data === null) continue // being written right now, or not ours: leave it
      if (ownerAlive(data)) {
        for (const ns of data.namespaces) claimed.add(ns)
        continue
      }
      await destroyRecorded(dir, data)
      removed.push(dir, ...data.namespaces)
    }
    const claimedNow = (ns: string) => readManifests().some(({data}) => data !== null && ownerAlive(data) && data.namespaces.includes(ns))
    for (const ns of await netnsList()) {
      // re-read the manifests before each delete: a concurrent run may have claimed it meanwhile
      if (RIG_NS.test(ns) && !claimed.has(ns) && !claimedNow(ns)) {
        await run('ip', ['netns', 'delete', ns])
        removed.push(ns)
      }
    }
    return removed
  })()
  return swept
}
