// The DHCP agent's own process (it has no pid file), from /proc/PID/cmdline and /proc/PID/stat.
//   systemd, Grizzly:  /usr/bin/python /usr/bin/quantum-dhcp-agent --config-file=/etc/quantum/quantum.conf ...
//   oslo setproctitle: one NUL-terminated title, as on a real Zed node:
//     neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent --config-file /etc/neutron/neutron.conf ...)
// privsep-helper children carry the agent's --config-file list too; they are not the agent.

/** The DHCP agent's programs (Neutron, Quantum). */
export const DHCP_AGENT_PROGRAMS = ['neutron-dhcp-agent', 'quantum-dhcp-agent'] as const

export interface AgentArgs {
  program: string
  /** every --config-file, in order (oslo.config: later files override earlier ones) */
  configFiles: string[]
  configDirs: string[]
  /** --config-file and --config-dir in the order given: the order oslo.config reads them in */
  sources: {kind: 'file' | 'dir'; path: string}[]
}

const base = (a: string | undefined) => (a ?? '').split('/').pop() ?? ''

export function parseAgentCmdline(cmdline: string, programs: readonly string[] = DHCP_AGENT_PROGRAMS): AgentArgs | undefined {
  let argv = cmdline.split('\0').filter((a) => a !== '')
  if (argv.length === 1) {
    const title = /^(\S+) \((.*)\)\s*$/.exec(argv[0])
    argv = (title ? title[2] : argv[0]).split(' ').filter((a) => a !== '')
  }
  let i = 0
  if (/^python[\d.]*$/.test(base(argv[0]))) {
    i = 1
    while (i < argv.length && argv[i].startsWith('-')) i++ // interpreter options (-u, -O, ...)
  }
  const program = base(argv[i])
  if (!programs.includes(program)) return undefined
  const out: AgentArgs = {configDirs: [], configFiles: [], program, sources: []}
  for (let j = i + 1; j < argv.length; j++) {
    const m = /^--(config-file|config-dir)(?:=(.*))?$/.exec(argv[j])
    if (!m) continue
    const value = m[2] ?? argv[++j]
    if (value === undefined) continue
    ;(m[1] === 'config-file' ? out.configFiles : out.configDirs).push(value)
    out.sources.push({kind: m[1] === 'config-file' ? 'file' : 'dir', path: value})
  }
  return out
}

/** Field 22 of /proc/PID/stat: start time in clock ticks after boot (read after the `(comm)`, which may hold spaces). */
export function procStartTicks(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const v = Number(fields[19])
  return Number.isInteger(v) ? v : undefined
}

/** `btime SECONDS` of /proc/stat: the boot time, truncated to whole seconds (so not used for start times: see src/node/proc-clock.ts). */
export function procBootTime(procStat: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(procStat)
  return m ? Number(m[1]) : undefined
}
