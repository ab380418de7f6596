/**
 * A process in a container, as the host's /proc shows it (../shared/reference/containers-nova.md 1.3,
 * 2.1, 2.2): whether it sees another filesystem (its mount namespace is not ours: its files are read
 * through /proc/PID/root), whether its pids are ours (its pid namespace: a pid file it writes holds
 * pids of that namespace, mapped to ours through the NSpid line of /proc/P/status), and which
 * container it is (the engine and id in its cgroup). No container CLI is run: /proc tells it all.
 */
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'

import type {ContainerRecord} from '../evidence/evidence.js'

const readlinkOr = (path: string): string | undefined => {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return undefined
  }
}

/**
 * The engine and id a cgroup line names: podman `libpod-<id>` (systemd `libpod-<id>.scope`, cgroupfs
 * `/libpod_parent/libpod-<id>`, a trailing `/container`), docker `docker-<id>.scope` or `/docker/<id>`,
 * containerd `cri-containerd-<id>`, CRI-O `crio-<id>`; undefined when none shows.
 */
export function containerInCgroup(cgroup: string): Required<Pick<ContainerRecord, 'engine' | 'id'>> | undefined {
  const m =
    /libpod-(?:conmon-)?([0-9a-f]{12,64})/.exec(cgroup) ??
    /docker[-/]([0-9a-f]{12,64})/.exec(cgroup) ??
    /cri-containerd-([0-9a-f]{12,64})/.exec(cgroup) ??
    /crio-([0-9a-f]{12,64})/.exec(cgroup)
  if (!m) return undefined
  const engine = m[0].startsWith('libpod') ? 'podman' : m[0].startsWith('docker') ? 'docker' : m[0].startsWith('cri-containerd') ? 'containerd' : 'cri-o'
  return {engine, id: m[1].slice(0, 12)}
}

/** The last pid of an NSpid line (the pid in the process's own innermost namespace); undefined without one. */
export function innermostPid(status: string): number | undefined {
  const line = /^NSpid:\s*([\d\s]+)$/m.exec(status)?.[1]
  const pids = line?.trim().split(/\s+/).map(Number)
  return pids && pids.length > 0 ? pids.at(-1) : undefined
}

/**
 * The container a process runs in, told from the host's /proc; undefined when it shares our mount
 * namespace (its paths are ours). `proc`: where /proc is (tests).
 */
export function containerOf(pid: number, proc = '/proc'): ContainerRecord | undefined {
  const mnt = readlinkOr(`${proc}/${pid}/ns/mnt`)
  const ours = readlinkOr(`${proc}/self/ns/mnt`)
  if (mnt === undefined || ours === undefined || mnt === ours) return undefined
  const pidNs = readlinkOr(`${proc}/${pid}/ns/pid`)
  const ourPidNs = readlinkOr(`${proc}/self/ns/pid`)
  const rec: ContainerRecord = {
    pid,
    // unreadable: taken as the host's (the pid files' numbers are then looked up as they are)
    pidNamespace: pidNs !== undefined && ourPidNs !== undefined && pidNs !== ourPidNs ? 'private' : 'host',
    root: `${proc}/${pid}/root`,
  }
  const cgroup = readOr(`${proc}/${pid}/cgroup`)
  const found = cgroup === undefined ? undefined : containerInCgroup(cgroup)
  if (found) Object.assign(rec, found)
  return rec
}

/**
 * The host pid of each pid of one pid namespace: every process of /proc whose ns/pid is `pidNs`,
 * by the last number of its NSpid line. One pass over /proc, made when a pid file of a container with
 * its own pid namespace is first looked up.
 */
export function pidsOfNamespace(pidNs: string, proc = '/proc'): Map<number, number> {
  const out = new Map<number, number>()
  let names: string[]
  try {
    names = readdirSync(proc)
  } catch {
    return out
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    if (readlinkOr(`${proc}/${name}/ns/pid`) !== pidNs) continue
    const inner = innermostPid(readOr(`${proc}/${name}/status`) ?? '')
    if (inner !== undefined) out.set(inner, Number(name))
  }
  return out
}

/** The pid namespace of a process (pid:[N]), undefined when unreadable. */
export const pidNamespaceOf = (pid: number, proc = '/proc'): string | undefined => readlinkOr(`${proc}/${pid}/ns/pid`)
