/** The one spelling of a UUID (network, subnet, port ids: Grizzly's too). A chain's namespace names are in its folder. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The most a pid can be on Linux (PID_MAX_LIMIT, 2^22 on 64-bit; /proc/sys/kernel/pid_max is at most this). */
export const PID_MAX = 4_194_304

/**
 * A pid a fix may signal (`kill PID`, `kill -HUP PID`): a process of its own, not 0 (`kill 0` signals
 * the pasting shell's process group), 1 (init), a negative one (a group, or every process) or one no
 * kernel hands out. Evidence is untrusted: a snapshot may say anything, a pid file may name init.
 */
export const isSignalablePid = (pid: unknown): pid is number => typeof pid === 'number' && Number.isInteger(pid) && pid >= 2 && pid <= PID_MAX
