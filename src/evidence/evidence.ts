/**
 * Evidence: what the commands printed and what the files held, verbatim, with what ran.
 * No verdicts here. A snapshot (`quantum-meta collect`) is this, written as JSON; checks parse it
 * when they read it, so an old snapshot benefits from a better parser.
 */
/*
 * The bottom floor: everything depends on this folder, it depends on nothing of ours.
 * Evidence grows by adding optional fields; SNAPSHOT_FORMAT changes only when an old snapshot
 * could no longer be read.
 */
export const SNAPSHOT_FORMAT = 'quantum-meta-snapshot/1'

/** The most read from the end of one log (a huge file is fine: only its end is read). */
export const LOG_TAIL_MAX_BYTES = 256 * 1024

/** Where the paths say things live: Quantum (Grizzly) or Neutron (../layout.ts knows the paths). */
export type LayoutName = 'neutron' | 'quantum'

/**
 * How Neutron serves metadata to this network: the name of a chain (src/chains/registry.ts lists
 * them; evidence without one is the registry's default chain's).
 */
export type BackendName = string

/**
 * How Neutron was installed on the node: where its files are and how its services are run
 * (../deployments/ holds what each one means). packages: Debian/Ubuntu packages; rdo: RHEL/RDO packages.
 */
export type DeploymentName = 'packages' | 'rdo' | 'kolla' | 'tripleo' | 'edpm' | 'openstack-ansible' | 'openstack-helm' | 'charms' | 'snap'
export const DEPLOYMENT_NAMES: readonly DeploymentName[] = [
  'packages',
  'rdo',
  'kolla',
  'tripleo',
  'edpm',
  'openstack-ansible',
  'openstack-helm',
  'charms',
  'snap',
]
/** What a network's evidence without a `deployment` field (snapshots before it existed, sosreports) was collected on. */
export const DEFAULT_DEPLOYMENT: DeploymentName = 'packages'

export interface CommandRecord {
  argv: string[]
  exitCode: number | null
  stdout: string
  stderr: string
  /** why the program did not run at all (not installed, timed out) */
  error?: string
  /** when one command covered many namespaces: the `netns: NAME` section of its stdout kept here */
  section?: string
  /**
   * The command's output is not in the evidence, and why (a sosreport whose plugin did not run or
   * left it out): checks that need it skip with this reason instead of judging an empty output.
   */
  notCollected?: string
}

export type FileState = 'present' | 'missing' | 'error' | 'not-collected'

export interface FileRecord {
  path: string
  state: FileState
  /** file type as lstat saw it */
  type?: 'file' | 'socket' | 'directory' | 'symlink' | 'other'
  content?: string
  error?: string
  /** for a UNIX socket: what a connect() got ('ok', 'ECONNREFUSED', ...) */
  connect?: string
  /** for a UNIX socket: how long connect() kept getting EAGAIN (the listener's accept queue was full) */
  busyMs?: number
  /** last modification (of the target, for a symlink), ISO 8601 */
  mtime?: string
  /** the path with every symlink resolved, when it differs */
  realpath?: string
}

/** An agent process, found by scanning /proc (the agents write no pid file of their own). */
export interface AgentRecord {
  pid: number
  /** /proc/PID/cmdline, verbatim (oslo rewrites it into one title: `PROGRAM (/usr/bin/python3 …)`) */
  cmdline: string
  /** start time, ISO 8601: now - (/proc/uptime - /proc/PID/stat starttime / 100), 10 ms resolution (older snapshots: after /proc/stat btime, whole seconds, up to 1 s early) */
  startedAt?: string
  /** false when it runs in another mount namespace (a container): its paths are not this host's */
  sameMountNamespace?: boolean
  /**
   * The files its --config-file/--config-dir name, in the order oslo.config reads them (a directory's
   * *.conf sorted), each cut down to its section headers and the isolated-metadata switches (every
   * other line blanked, so line numbers hold and no secret of neutron.conf is kept).
   */
  configs?: FileRecord[]
}

export interface ProcessRecord {
  pid: number
  /** the role this pid was looked up for */
  role: 'dnsmasq' | 'proxy'
  /** where the pid came from, e.g. the pid file path, or 'ps' in a hand-made snapshot */
  from: string
  alive: boolean
  /** /proc/PID/cmdline, NUL-separated, verbatim */
  cmdline?: string
  /** `ps -f --pid PID` output, verbatim (hand-made snapshots) */
  ps?: string
  /** readlink /proc/PID/ns/net, e.g. net:[4026532310] */
  netns?: string
  /** readlink of every /proc/PID/fd/* that is a socket, e.g. socket:[123] */
  fdLinks?: string[]
  /** /proc/PID/net/tcp and tcp6: the TCP table of the process's network namespace */
  tcp?: string
  tcp6?: string
}

export interface ProbeRecord {
  url: string
  argv: string[]
  /** HTTP status, when an answer came */
  status?: number
  /** 'refused' | 'timeout' | 'unreachable' | other error code */
  error?: string
  body?: string
  ms?: number
}

/**
 * The end of a service's log as the collector read it (the metadata agent's, Nova metadata API's):
 * at most the last LOG_TAIL_MAX_BYTES of a regular file, or the last lines journald kept. Whole lines
 * only, secrets redacted, colour codes and other control characters out, each line clipped; kept raw
 * otherwise, so a newer classifier reads an old snapshot.
 */
export interface LogRecord {
  /** whose log: `metadata-agent`, `ovn-metadata-agent`, `nova-metadata` */
  service: string
  /** the file read, or `journal:UNIT` for journald */
  path: string
  /** how the path was found: `--log-file of pid 123`, `log_file in /etc/neutron/x.ini`, `the packages default`, `journalctl` */
  from: string
  state: FileState
  error?: string
  /** the lines read (LF-separated), redacted */
  tail?: string
  /** the line number in the file of the tail's first line, when the tail starts at the file's start (else unknown) */
  firstLine?: number
  /** the byte offset of the tail's first line in the file */
  offset?: number
  /** the file's size when read */
  size?: number
  mtime?: string
  /** the argv that produced it (journalctl) */
  argv?: string[]
}

/** What the Quantum/Neutron API said about the network (raw bodies), when credentials were given. */
export interface ApiEvidence {
  /** the DHCP agent host name this node is known by, and where that came from */
  host: string
  hostFrom: string
  /** why the API could not be asked at all (authentication, unreachable) */
  error?: string
  records: {method: string; path: string; status: number; body: string}[]
}

/**
 * One network's evidence. Every chain fills these fields (snapshot format 1 began with the DHCP
 * agent's: another chain records the files it has no use for as `not-collected`), and may add its
 * own part (see the end).
 */
export interface NetworkEvidence {
  network: string
  /** the chain this evidence was collected for; absent in older snapshots, which are all the default chain's */
  backend?: BackendName
  namespace: string
  layout: LayoutName
  /** how Neutron is installed on the node (where files are, how services restart); absent in older snapshots: packages */
  deployment?: DeploymentName
  /** how the deployment was told: the flag, the sign seen on the node (an agent's cgroup or environment, a marker path), or the default */
  deploymentFrom?: string
  statePath: string
  /** `ip netns list` */
  namespaces: CommandRecord
  /** net:[inode] of /run/netns/<namespace>, to tell whether a process lives in it */
  namespaceInode?: string
  /** addresses inside the namespace (`ip -j -n NS addr show`, or the seed's `ip -4 a` text) */
  addresses?: CommandRecord
  /** routes inside the namespace (hand-made snapshots: `route -n`) */
  routes?: CommandRecord
  /** sockets inside the namespace (hand-made snapshots: `netstat -4 -anpt`) */
  sockets?: CommandRecord
  config: FileRecord
  opts: FileRecord
  /**
   * dnsmasq's lease file, STATE/dhcp/NET/leases (`EXPIRY MAC IP HOSTNAME CLIENTID` a line: the instances
   * that leased from this host; MACs and client ids are not secrets), bounded like every state file;
   * absent in older snapshots and hand-made ones
   */
  leases?: FileRecord
  dnsmasqPidFile: FileRecord
  /** Grizzly–Ocata python proxy: STATE/external/pids/NET.pid */
  proxyPidFile: FileRecord
  /** Pike+ haproxy: STATE/external/pids/NET.pid.haproxy */
  haproxyPidFile: FileRecord
  haproxyConfig: FileRecord
  /** the UNIX socket the proxy forwards to (haproxy `server metadata PATH`, else STATE/metadata_proxy) */
  upstreamSocket: FileRecord
  /** metadata_agent.ini beside the DHCP agent's config (or --metadata-agent-config); secret values replaced by `<redacted>`, as in `config` */
  metadataAgentConfig?: FileRecord
  processes: ProcessRecord[]
  /** the DHCP agent processes on this node; absent when not collected (transcripts, older snapshots) */
  agents?: AgentRecord[]
  /** where `agents` was looked for when not /proc (a sosreport's `sos_commands/process/ps_auxwww`) */
  agentsFrom?: string
  probe?: ProbeRecord
  api?: ApiEvidence
  /** the tails of the metadata agent's log and Nova metadata API's, where found; absent in older snapshots */
  logs?: LogRecord[]
  // a chain adds its own part (its OVSDB rows, its router) by augmenting this interface from its
  // folder (the OVN chain's evidence.ts); the snapshot schema takes that part from the chain
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT
  takenAt: string
  host: string
  tool: string
  /** a note on how the snapshot was made (e.g. assembled from a transcript) */
  note?: string
  networks: NetworkEvidence[]
}
/** The deployment a network's evidence was collected on: its `deployment` field, else packages (older snapshots). */
export const deploymentOfEvidence = (ev: Pick<NetworkEvidence, 'deployment'>): DeploymentName => ev.deployment ?? DEFAULT_DEPLOYMENT
