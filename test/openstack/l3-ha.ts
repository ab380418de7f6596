/**
 * The harness's opt-in second L3 agent host for HA routers, as tests use it
 * (scripts/harness/openstack/ha-up.sh, ha-down.sh; the facts here are lib.sh's HA_*):
 *
 * - `qm-ci-host`: the harness's own agents (up.sh), in the machine's namespaces; bin/run.js runs
 *   there as it does in every openstack test.
 * - `qm-ci-ha2`: a private mount + uts + pid + network namespace (PID 1 ha-host-pid1.py) with its own
 *   /run, /etc/qm-openstack, /var/lib/qm-openstack/neutron, /var/log/qm-openstack, sysfs and hostname,
 *   running Debian's real linuxbridge, L3 and metadata agents; RabbitMQ, fake nova, Keystone and
 *   neutron-server are 127.0.0.1 inside it through relays. bin/run.js runs there through
 *   `nsenter -t PID1 -m -u -n -p`: it sees that host's processes (/proc), namespaces, files, hostname
 *   and network, as it would on a second real node, and reaches the API as that node would.
 *
 * `haWire(NET...)` joins the two hosts' bridges of a network (the HA network of an HA router's
 * project, the tenant network) with a veth cable, as a physical segment joins real hosts.
 */
import {readFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {fileURLToPath} from 'node:url'

import {BIN, ROOT} from '../helpers/cli.js'
import {HARNESS_LOG, HARNESS_RUN, NEUTRON_STATE_PATH, neutron, openstackEnv} from './env.js'
import {type Run, run} from './l3.js'

const SCRIPTS = fileURLToPath(new URL('../../scripts/harness/openstack/', import.meta.url))
export const HA_UP = `${SCRIPTS}ha-up.sh`
export const HA_DOWN = `${SCRIPTS}ha-down.sh`
/** the second host's name: its agents' `host`, its hostname (lib.sh HA_HOST) */
export const HA_HOST = 'qm-ci-ha2'
/** its files (lib.sh HA_DIR): state/ is its /var/lib/qm-openstack/neutron, logs/ its /var/log/qm-openstack */
export const HA_DIR = '/var/tmp/qm-openstack-ha2'

export type HostName = 'host1' | 'host2'
export const HOSTS: readonly HostName[] = ['host1', 'host2']
export const other = (h: HostName): HostName => (h === 'host1' ? 'host2' : 'host1')

/** the name each host's snapshot and diagnose give it: host1 is this machine (its hostname) */
export const hostLabel = (h: HostName): string => (h === 'host1' ? hostname() : HA_HOST)

async function must(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  const r = await run(cmd, args, {timeoutMs})
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} -> exit ${r.status}: ${r.stderr.trim().split('\n').slice(-15).join('\n')}`)
  return `${r.stdout}${r.stderr}`
}

/** ha-up.sh: the host up and its three agents alive; answers how long that took */
export async function haUp(): Promise<number> {
  const t0 = Date.now()
  await must(HA_UP, [], 400_000)
  return Date.now() - t0
}

/** ha-down.sh (idempotent) */
export async function haDown(): Promise<string> {
  return must(HA_DOWN, [], 120_000)
}

/** ha-up.sh --wire NET...: each network's cable between the two hosts' bridges */
export async function haWire(...networks: string[]): Promise<string> {
  return must(HA_UP, ['--wire', ...networks], 400_000)
}

/** the live PID 1 of qm-ci-ha2 (root numbering), from its pid record */
export function haPid1(): number {
  const [pid] = readFileSync(`${HARNESS_RUN}/ha-host.pid`, 'utf8').trim().split(' ')
  if (!/^\d+$/.test(pid)) throw new Error(`no PID 1 of ${HA_HOST} recorded`)
  return Number(pid)
}

/** run ARGV on a host: host1 as is, host2 inside all its namespaces (nsenter; pid numbers are its own) */
export function onHost(host: HostName, argv: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<Run> {
  if (host === 'host1') return run(argv[0], argv.slice(1), opts)
  return run('nsenter', ['-t', String(haPid1()), '-m', '-u', '-n', '-p', `--wdns=${ROOT}`, '--', ...argv], opts)
}

/** bin/run.js ARGS on a host, as root with the admin's OS_* (each host reaches the API on its own 127.0.0.1) */
export async function cliOn(host: HostName, args: string[]): Promise<{status: number | null; stdout: string; stderr: string; json?: any}> {
  const r = await onHost(host, [process.execPath, BIN, ...args], {env: openstackEnv({NO_COLOR: '1'}), timeoutMs: 120_000})
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {...r, json}
}

/** a host's agents' state path, as the root mount namespace sees it */
export const stateDir = (host: HostName): string => (host === 'host1' ? NEUTRON_STATE_PATH : `${HA_DIR}/state`)
/** a host's metadata agent log, as the root mount namespace sees it */
export const metadataLog = (host: HostName): string =>
  host === 'host1' ? `${HARNESS_LOG}/neutron-metadata-agent.log` : `${HA_DIR}/logs/neutron-metadata-agent.log`

/** keepalived-state-change's word for the router on a host (primary, backup), or 'none' */
export function haState(host: HostName, router: string): string {
  try {
    return readFileSync(`${stateDir(host)}/ha_confs/${router}/state`, 'utf8').trim()
  } catch {
    return 'none'
  }
}

/** the hosts whose state file says primary */
export const masters = (router: string): HostName[] => HOSTS.filter((h) => haState(h, router) === 'primary')

/** keepalived's two processes (parent, VRRP child) for the router on a host, in that host's numbering */
export function keepalivedPids(host: HostName, router: string): number[] {
  const dir = `${stateDir(host)}/ha_confs`
  return ['keepalived', 'keepalived-vrrp'].map((s) => Number(readFileSync(`${dir}/${router}.pid.${s}`, 'utf8').trim()))
}

/** SIGSTOP or SIGCONT to keepalived of the router on a host (by its pid files, signalled inside that host) */
export async function signalKeepalived(host: HostName, router: string, signal: 'STOP' | 'CONT'): Promise<number[]> {
  const pids = keepalivedPids(host, router)
  const r = await onHost(host, ['kill', `-${signal}`, ...pids.map(String)])
  if (r.status !== 0) throw new Error(`kill -${signal} ${pids.join(' ')} on ${host}: ${r.stderr}`)
  return pids
}

/** the router's ha- device on a host (inside its qrouter namespace) */
export async function haDevice(host: HostName, router: string): Promise<string> {
  const r = await onHost(host, ['ip', 'netns', 'exec', `qrouter-${router}`, 'ip', '-o', 'link', 'show'])
  const dev = /^\d+: (ha-[0-9a-f-]{11})[@:]/m.exec(r.stdout)?.[1]
  if (!dev) throw new Error(`no ha- device in qrouter-${router} on ${host}: ${r.stdout}${r.stderr}`)
  return dev
}

/** `ip link set DEV up|down` in the router's namespace on a host */
export async function setHaLink(host: HostName, router: string, dev: string, state: 'up' | 'down'): Promise<void> {
  const r = await onHost(host, ['ip', 'netns', 'exec', `qrouter-${router}`, 'ip', 'link', 'set', dev, state])
  if (r.status !== 0) throw new Error(`ip link set ${dev} ${state} on ${host}: ${r.stderr}`)
}

/** how many lines of a host's metadata agent log name the instance's IP (its requests) */
export function metadataRequests(host: HostName, ip: string): number {
  try {
    return readFileSync(metadataLog(host), 'utf8')
      .split('\n')
      .filter((l) => l.includes(`${ip},`) || l.includes(` ${ip} `)).length
  } catch {
    return 0
  }
}

/** the HA network Neutron made for the project's HA routers (`HA network tenant PROJECT`) */
export async function haNetworkOf(projectId: string): Promise<string> {
  const {networks} = await neutron<{networks: {id: string}[]}>('GET', `/networks?name=${encodeURIComponent(`HA network tenant ${projectId}`)}`)
  if (networks.length !== 1) throw new Error(`HA network of project ${projectId}: ${JSON.stringify(networks)}`)
  return networks[0].id
}
