/**
 * When a process started, on the wall clock, to the 10 ms /proc gives.
 *
 * /proc/PID/stat field 22 (starttime) counts USER_HZ ticks since boot on the kernel's boot-time
 * clock; /proc/uptime gives that clock's "now" in seconds with two decimals. Both are 10 ms
 * resolution, so  start = now - (uptime - starttime / USER_HZ)  is within 10 ms of the fork
 * (each value is truncated, in opposite directions). /proc/stat `btime`, the boot time the
 * old computation used, is truncated to whole seconds: starts came out up to a second early,
 * and an agent restarted right after a config write looked older than the write.
 *
 * USER_HZ is 100 on every Linux architecture Neutron runs on (`getconf CLK_TCK`; only alpha differs),
 * so it is a constant, not a fork of getconf per run.
 */
import {readFileSync} from 'node:fs'

export const USER_HZ = 100

/** The first number of /proc/uptime ("350735.47 234388.90"): seconds since boot. */
export function parseUptime(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text)
  return m ? Number(m[1]) : undefined
}

/** The boot instant on the wall clock, in ms: `nowMs` minus the uptime read at (about) the same moment. */
export function bootTimeMs(uptimeText: string, nowMs: number): number | undefined {
  const up = parseUptime(uptimeText)
  return up === undefined ? undefined : nowMs - up * 1000
}

/** A process's start in ms since the epoch, from the boot instant and its starttime ticks. */
export function startedAtMs(bootMs: number, startTicks: number, hz = USER_HZ): number {
  return Math.round(bootMs + (startTicks * 1000) / hz)
}

/**
 * The boot instant of this machine now: /proc/uptime read synchronously, right before Date.now(),
 * so no event-loop turn falls between the two readings. Undefined where /proc/uptime cannot be read.
 */
export function readBootTimeMs(read: (path: string) => string = (p) => readFileSync(p, 'utf8'), now: () => number = Date.now): number | undefined {
  let text: string
  try {
    text = read('/proc/uptime')
  } catch {
    return undefined
  }
  return bootTimeMs(text, now())
}
