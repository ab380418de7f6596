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

/** Where the paths say things live: Quantum (Grizzly) or Neutron (../layout.ts knows the paths). */
export type LayoutName = 'neutron' | 'quantum'

/** How Neutron serves metadata to this network: the DHCP agent's qdhcp namespace, ML2/OVN's ovnmeta one, or a router's qrouter one (the L3 agent). */
export type BackendName = 'dhcp-agent' | 'ovn' | 'l3-agent'
export const BACKENDS: readonly BackendName[] = ['dhcp-agent', 'ovn', 'l3-agent']
/** What a network's evidence without a `backend` field (snapshots before it existed) was collected from. */
export const DEFAULT_BACKEND: BackendName = 'dhcp-agent'

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

/** A DHCP agent process, found by scanning /proc (the agent writes no pid file of its own). */
export interface AgentRecord {
  pid: number
  /** /proc/PID/cmdline, verbatim (oslo rewrites it into one title: `neutron-dhcp-agent (/usr/bin/python3 …)`) */
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

/** What the Quantum/Neutron API said about the network (raw bodies), when credentials were given. */
export interface ApiEvidence {
  /** the DHCP agent host name this node is known by, and where that came from */
  host: string
  hostFrom: string
  /** why the API could not be asked at all (authentication, unreachable) */
  error?: string
  records: {method: string; path: string; status: number; body: string}[]
}

export interface NetworkEvidence {
  network: string
  /** the chain this evidence was collected for; absent in older snapshots, which are all 'dhcp-agent' */
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
  /** ML2/OVN only (backend 'ovn'): the chassis, its OVSDB rows and the agent */
  ovn?: OvnEvidence
  /** the L3 agent only (backend 'l3-agent'): the router serving the network here and what the agent made for it */
  router?: RouterEvidence
}

/**
 * What an L3 agent node shows about a routed network: the router whose interface holds the subnet's
 * gateway IP, and the agent's work for it. The namespace (qrouter-ROUTER, '' when no router was
 * found), its addresses, the proxy's pid file, config and process, the metadata agent's socket and
 * the API answers are in the common fields (`api` gains GET /routers/R and /routers/R/l3-agents).
 */
export interface RouterEvidence {
  /** the router serving the network on this node (a UUID); absent when none was found */
  id?: string
  /** how `id` was found: a router interface port holding a gateway IP (API), or a qrouter namespace whose qr- device holds one */
  foundBy?: 'api' | 'namespace'
  /** the lines that show it, or where it was looked for when no router was found */
  found: string[]
  /** the L3 agent processes found in /proc; absent when not collected */
  agents?: AgentRecord[]
  /** the files the agent's settings are read from, in oslo.config's order (the running agent's --config-files, else the defaults), cut to the keys the checks read */
  configs: FileRecord[]
  /** inside the namespace: iptables-save, then (when it shows no L3 agent chain) the other iptables backend and `nft list ruleset` */
  rules?: CommandRecord[]
  /** keepalived's state for this router here, STATE/ha_confs/ROUTER/state (primary or master, backup, fault) */
  haState?: FileRecord
  /** STATE/ha_confs/ROUTER/keepalived.conf, not read (it may hold the VRRP password): present only for an HA router */
  keepalived?: FileRecord
}

/**
 * What an ML2/OVN chassis shows about one network: the metadata agent (neutron-ovn-metadata-agent, or
 * neutron-ovn-agent with the metadata extension) and its config, the local Open_vSwitch DB, the OVN
 * southbound DB (and the northbound one when this node can reach it), read with the ctl tools'
 * `--format=json`, verbatim. The namespace, haproxy and socket evidence is in the common fields
 * (namespace = ovnmeta-NET, haproxyPidFile, haproxyConfig, upstreamSocket, processes).
 */
export interface OvnEvidence {
  /** the agent processes found in /proc; `configs` holds each --config-file, secrets redacted */
  agents: AgentRecord[]
  /** the config files the collection read the connections from (the agent's own, else --config-file), secrets redacted */
  configs: FileRecord[]
  /** ovn-controller processes found in /proc (pid, cmdline) */
  controllers: {pid: number; cmdline: string}[]
  /** where the OVSDB connections came from, e.g. `/etc/neutron/neutron_ovn_metadata_agent.ini [ovn] ovn_sb_connection` */
  connections: {ovs: string; sb: string; nb?: string; from: string[]}
  /** ovs-vsctl --format=json: `list Open_vSwitch .`, then `list Interface` (some columns) */
  ovs: CommandRecord
  /** ovn-sbctl --format=json: Chassis, Chassis_Private, SB_Global, then the network's Port_Binding rows */
  sb: CommandRecord
  /** ovn-nbctl --format=json: the network's Logical_Switch_Port rows, then DHCP_Options */
  nb?: CommandRecord
  /** why the NB was not read (no ovn_nb_connection on this node) */
  nbSkipped?: string
  /** the server's ml2_conf.ini, when this node has one (ovn_metadata_enabled explains a missing metadata port); secrets redacted */
  serverConfig?: FileRecord
  /** haproxy processes anywhere on the node whose command line names this network (an orphan left by `ip netns del` shows here) */
  haproxies: ProcessRecord[]
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

/** The backend a network's evidence belongs to: its `backend` field, else the DHCP agent's (older snapshots). */
export const backendOf = (ev: Pick<NetworkEvidence, 'backend'>): BackendName => ev.backend ?? DEFAULT_BACKEND
/** The deployment a network's evidence was collected on: its `deployment` field, else packages (older snapshots). */
export const deploymentOfEvidence = (ev: Pick<NetworkEvidence, 'deployment'>): DeploymentName => ev.deployment ?? DEFAULT_DEPLOYMENT
