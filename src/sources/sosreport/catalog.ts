/**
 * Where a sosreport keeps what a live collector would run or read: for each command key of
 * sources/view.ts, the files sos writes its output to (every layout it has used, older first) and the
 * argv sos ran; for each tree of node files, the plugin that copies it. The shape of hotsos's
 * host_helpers/cli/catalog.py (a command's live form beside its sosreport paths).
 *
 * sos's networking plugin, two layouts of per-namespace output:
 *   - sos 4.0 to 4.4 (Debian 12's 4.0 made the fixtures): sos_commands/networking/
 *     ip_netns_exec_NS_ip_address_show, ..._netstat_-W_-neopa, ..._ss_-peaonmi;
 *   - newer sos (its networking plugin today): sos_commands/networking/namespaces/NS/
 *     ip_netns_exec_NS_ip_-d_address_show, ..._netstat_-W_-neopa, ..._ss_-peaonmi.
 */
import type {CommandKey} from '../view.js'

export interface CatalogEntry {
  /** the sos plugin whose output it is (sos_commands/PLUGIN) */
  plugin: string
  /** the files that may hold it, the first found wins */
  paths(ns: string | undefined): string[]
  /** the argv sos ran, told from the file found */
  argv(ns: string | undefined, rel: string): string[]
  /**
   * When no file holds it: the reason recorded (the checks that need it skip saying so), or undefined
   * when the evidence simply leaves it out.
   */
  missing?(ns: string | undefined, pluginRan: boolean): {argv: string[]; reason: string}
}

const NET = 'sos_commands/networking'

/** A per-namespace output of the networking plugin, in both layouts (each command's both places before the next command). */
const perNamespace = (ns: string, commands: string[]) =>
  commands.flatMap((c) => [`${NET}/ip_netns_exec_${ns}_${c}`, `${NET}/namespaces/${ns}/ip_netns_exec_${ns}_${c}`])

/** The socket tables sos keeps, newest option set first. */
const SOCKET_TABLES = ['netstat_-W_-neopa', 'netstat_-T_-neopa', 'netstat_-neopa', 'ss_-peaonmi']

export const COMMANDS: Partial<Record<CommandKey | 'root-sockets' | 'ps', CatalogEntry>> = {
  'netns-addresses': {
    argv: (ns, rel) => ['ip', 'netns', 'exec', ns!, 'ip', ...(rel.endsWith('_ip_-d_address_show') ? ['-d'] : []), 'address', 'show'],
    missing: (ns) => ({
      argv: ['ip', 'netns', 'exec', ns!, 'ip', 'address', 'show'],
      reason: `not in the sosreport (no ip address show of ${ns}: sos's networking plugin may have been limited to fewer namespaces)`,
    }),
    paths: (ns) => perNamespace(ns!, ['ip_address_show', 'ip_-d_address_show']),
    plugin: 'networking',
  },
  'netns-list': {
    argv: () => ['ip', 'netns'],
    missing: (_ns, ran) => ({
      argv: ['ip', 'netns'],
      reason: ran ? `not in the sosreport (${NET}/ip_netns is missing)` : 'not in the sosreport: its networking plugin did not run',
    }),
    paths: () => [`${NET}/ip_netns`, `${NET}/ip_netns_list`],
    plugin: 'networking',
  },
  'netns-rules': {
    argv: (ns) => ['ip', 'netns', 'exec', ns!, 'iptables-save'],
    missing: (ns) => ({
      argv: ['ip', 'netns', 'exec', ns!, 'iptables-save'],
      reason: `not in the sosreport (no iptables-save of ${ns}: sos's networking plugin saves a namespace's rules only when the iptables modules are loaded)`,
    }),
    paths: (ns) => perNamespace(ns!, ['iptables-save']),
    plugin: 'networking',
  },
  'netns-sockets': {
    argv: (ns, rel) => ['ip', 'netns', 'exec', ns!, ...rel.slice(rel.lastIndexOf(`${ns}_`) + ns!.length + 1).split('_')],
    paths: (ns) => perNamespace(ns!, SOCKET_TABLES),
    plugin: 'networking',
  },
  ps: {
    argv: () => ['ps', 'auxwww'],
    paths: () => ['sos_commands/process/ps_auxwww'],
    plugin: 'process',
  },
  /** the root namespace's socket table: what listens on the node's UNIX sockets (a sosreport cannot connect()) */
  'root-sockets': {
    argv: (_ns, rel) => rel.split('/').pop()!.split('_'),
    paths: () => SOCKET_TABLES.map((t) => `${NET}/${t}`),
    plugin: 'networking',
  },
}

/**
 * The trees of node files a plugin copies whole (sos's openstack_neutron copies all of /etc/neutron and
 * /var/lib/neutron): a file absent from a copied tree was absent on the node; from a tree whose plugin
 * did not run, it was not collected.
 */
export const COPIED_TREES: readonly {plugin: string; trees: readonly string[]}[] = [
  // sos's openstack_* plugins copy the service's logs too (/var/log/neutron/*.log, capped by sos's log size limit)
  {plugin: 'openstack_neutron', trees: ['/etc/neutron', '/var/lib/neutron', '/var/log/neutron']},
  {plugin: 'openstack_quantum', trees: ['/etc/quantum', '/var/lib/quantum', '/var/log/quantum']},
  {plugin: 'openstack_nova', trees: ['/var/log/nova']},
]
