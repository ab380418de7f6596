/**
 * What the test rigs (test/fleet/rig.ts, test/openstack/agent-hosts.ts, test/helpers/sshd.ts) read of
 * processes and loopback ports, to end only what they started: a PID's start time (a reused PID has
 * another), its command line, whether it is alive (not a zombie), its children; whether a port is free.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createConnection} from 'node:net'

/** a process's start time (field 22 of /proc/PID/stat): a PID reused later has another */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

export function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return undefined
  }
}

/** the process exists and is not a zombie */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** nothing accepts a connection on 127.0.0.1:port */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })
}

/**
 * Processes that look, in /proc/PID/cmdline, like `argv0 ARGS...` (a node that only sleeps): an agent,
 * dnsmasq or haproxy as collect finds them, without running one. `end()` kills those started, by PID.
 */
export class FakeProcesses {
  private readonly started: ChildProcess[] = []

  start(argv0: string, args: string[]): ChildProcess {
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)', '--', ...args], {argv0, stdio: 'ignore'})
    this.started.push(c)
    return c
  }

  end(): void {
    for (const c of this.started.splice(0)) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL')
  }
}
