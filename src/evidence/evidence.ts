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
  /** readlink of every /proc/PID/fd/* that is a socket, e.g. socket:[123] (its children's too: haproxy -Ws's worker) */
  fdLinks?: string[]
  /** the pids of its children whose sockets fdLinks holds too */
  children?: number[]
  /** the container its cgroup names (a sidecar, or the agent's own container) */
  container?: {engine: 'podman' | 'docker' | 'containerd' | 'cri-o'; id: string}
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
 * --probe-as IP (or --probe with an instance port picked): one request to the metadata agent's socket with
 * the headers the network's proxy would add for an instance with that IP, so the real agent looks the port
 * up, signs its instance id and asks Nova. Only the status, size and headers of the answer are kept: the
 * body of a 200 is the instance's metadata (an error page's first bytes are kept, to tell whose it is).
 */
export interface AsInstanceRecord {
  /** the instance's address, as X-Forwarded-For */
  ip: string
  /** where the address came from: `--probe-as`, or the port or lease picked */
  from: string
  /** the socket asked (the one the proxy forwards to) */
  socket: string
  method: string
  path: string
  /** the headers sent (none is a secret) */
  headers: Record<string, string>
  status?: number
  /** no answer: a socket error code, or `timeout` */
  error?: string
  /** the answer's size in bytes and its Content-Type */
  bytes?: number
  contentType?: string
  /** the first bytes of a non-200 answer (an error page); never a 200's */
  errorBody?: string
  ms?: number
  timeoutMs?: number
}

/**
 * With --probe: `GET /` of Nova's metadata API (its version list: no instance, no secret) the way the
 * metadata agent's config says to reach it (protocol, host, port, CA, client certificate), from the
 * agent's network namespace.
 */
export interface NovaReachRecord {
  url: string
  /** the network namespace the request was sent from, in words */
  from: string
  status?: number
  /** no HTTP answer: ECONNREFUSED, timeout, EHOSTUNREACH, ENOTFOUND, a TLS error code, closed (no answer) */
  error?: string
  /** the TLS error's message (certificate verify failed, wrong version number) */
  detail?: string
  /** after a failure, what the other scheme got from the same host and port: `https 200`, `http 200`, `tls` (a handshake) */
  otherScheme?: string
  ms?: number
}

/** The metadata agent's settings for Nova (from its config; the secret's value is never kept). */
export interface AgentNovaSettings {
  /** the file they were read from */
  file: string
  host: string
  port: string
  protocol: string
  /** auth_ca_cert, nova_client_cert (paths), nova_metadata_insecure */
  caCert?: string
  clientCert?: string
  insecure?: boolean
  /** metadata_proxy_shared_secret set and not empty */
  secretSet: boolean
  /** `file:line: key = value` of each setting read (secret redacted) */
  lines: string[]
}

/** Past the metadata agent: Nova's metadata API as the agent reaches it, and Nova's own config when it is at hand. */
export interface NovaEvidence {
  agent?: AgentNovaSettings
  asInstance?: AsInstanceRecord
  /** why no --probe-as request was sent (no instance port found, no socket) */
  asInstanceSkipped?: string
  reach?: NovaReachRecord
  /** Nova's config (--nova-config, or the running Nova metadata API's), secrets redacted */
  config?: FileRecord
  /** how that config was found: `--nova-config`, or the Nova metadata API process that reads it */
  configFrom?: string
  /**
   * the agent's metadata_proxy_shared_secret against Nova's, compared on the node when both files were
   * read (neither value nor a digest of it is kept): equal, or differ
   */
  secrets?: 'equal' | 'differ'
}

/** The Neutron release installed where the agent runs, as its package metadata names it. */
export interface ReleaseRecord {
  /** `21.0.0` (of `neutron-21.0.0.egg-info`); absent when none was found */
  version?: string
  /** the path it was read from, or where it was looked for and why it was not found */
  from: string
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

/** An agent's container, as the host's /proc tells it (node/container.ts). */
export interface ContainerRecord {
  /** the agent's host pid, whose /proc/PID/root its files were read through */
  pid: number
  /** /proc/PID/root */
  root: string
  /** private: its pid files hold pids of its own namespace (kolla before 2025.2, openstack-helm); host: the host's */
  pidNamespace: 'host' | 'private'
  /** the engine its cgroup names */
  engine?: 'podman' | 'docker' | 'containerd' | 'cri-o'
  /** the container id its cgroup names (12 hex digits) */
  id?: string
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
  /**
   * the container the agent runs in, when it sees another filesystem than the host's: its files
   * (config, state, socket) were read through its root, its pid files' numbers mapped to the host's
   */
  container?: ContainerRecord
  /**
   * the host files the deployment copies into the agent's container at start (kolla's /etc/kolla/<service>/,
   * TripleO's puppet-generated tree), each beside the copy the agent reads: a difference is a change
   * made on the host that the running container has not read
   */
  hostConfigs?: {host: FileRecord; copy: string}[]
  /** the agent's container is not running: where its state (statePath, as the container sees it) was read on the host */
  stateOnHost?: string
  /** the engine of the deployment's containers when no running agent showed it (a stopped container's volume) */
  containerEngine?: 'podman' | 'docker'
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
  /** past the metadata agent: Nova (with --probe-as, --probe, --nova-config); absent in older snapshots */
  nova?: NovaEvidence
  /** with --probe, when fe80::a9fe:a9fe is usable in the namespace: GET http://[fe80::a9fe:a9fe%DEV]/ from inside it; absent in older snapshots */
  probe6?: ProbeRecord
  /**
   * /proc/sys/net/ipv6/conf/default/disable_ipv6 where the agent runs (what oslo.utils' is_ipv6_enabled()
   * reads before an agent serves metadata on fe80::a9fe:a9fe); absent in older snapshots
   */
  ipv6Switch?: FileRecord
  /** the Neutron release where the agent runs (which decides when fe80::a9fe:a9fe must be there); absent in older snapshots */
  neutronRelease?: ReleaseRecord
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
