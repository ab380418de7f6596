/**
 * The ground-truth "VM": a network namespace whose eth0 (a veth, MAC fa:16:3e:…) is plugged into
 * the rig's bridge, a real DHCP client (busybox udhcpc asking for option 121) and a real HTTP
 * client (curl). It tells what an instance on the network really experiences.
 *
 * 169.254.169.254 is only ever contacted from inside this namespace.
 */
import {readFileSync, rmSync, writeFileSync} from 'node:fs'

import {must, netnsExists, run} from './exec.js'

export interface VmHttp {
  /** the HTTP status, when a response came back */
  status?: number
  body?: string
  /**
   * why there was no response: 'refused' (RST), 'timeout' (no answer within the connect or
   * total timeout), 'no-route' (ENETUNREACH / EHOSTUNREACH, locally or by ICMP), or curl's text
   */
  error?: 'refused' | 'timeout' | 'no-route' | string
  /** the system error curl reported (e.g. "Network is unreachable"), or curl's message */
  detail?: string
  /** milliseconds the request took */
  ms?: number
}

export interface VmResult {
  /** udhcpc got a lease and the address is on eth0 */
  leased: boolean
  /** the address the lease gave (null without a lease) */
  ip: string | null
  /** the next hop of the VM's route to 169.254.169.254, or null when it has no such route */
  routeToMetadata: string | null
  http: VmHttp
  /** udhcpc's output, what it handed to the hook, the VM's addresses and routes, curl's trace */
  log: string
}

export interface VmSpec {
  namespace: string
  /** the device inside the namespace */
  dev: string
  /** the udhcpc hook script (executable) */
  hook: string
  /** where the hook logs the DHCP answer */
  dhcpLog: string
  /** where curl writes the body */
  bodyFile: string
}

/** The clean PATH every command in the VM gets (env -i: nothing of the host's environment leaks in). */
const VM_PATH = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'

/** Connect timeout of the VM's HTTP GET: short enough that a wrong next hop (ARP gives up after ~3 s) reads as a timeout. */
export const CONNECT_TIMEOUT_S = 2
/** Total timeout: every answer the rig can produce (200, 500, 503) comes back within milliseconds. */
export const MAX_TIME_S = 4

const inVm = (s: VmSpec, args: string[], timeout?: number) => run('ip', ['netns', 'exec', s.namespace, 'env', '-i', VM_PATH, ...args], {timeout})

/** Forget everything a previous run configured: addresses, routes, ARP entries. */
export async function resetVm(s: VmSpec): Promise<void> {
  await run('ip', ['-n', s.namespace, '-4', 'route', 'flush', 'dev', s.dev])
  await run('ip', ['-n', s.namespace, '-4', 'addr', 'flush', 'dev', s.dev])
  await run('ip', ['-n', s.namespace, 'neigh', 'flush', 'dev', s.dev])
}

/** The next hop of the VM's route for 169.254.169.254 (exact /32 route or a covering one), or null. */
export async function metadataRoute(s: VmSpec): Promise<string | null> {
  const r = await run('ip', ['-n', s.namespace, '-4', 'route', 'get', '169.254.169.254'])
  if (r.code !== 0) return null // "RTNETLINK answers: Network is unreachable"
  const via = /\bvia (\d+\.\d+\.\d+\.\d+)/.exec(r.stdout)
  return via?.[1] ?? null
}

function classify(code: number | null, trace: string): Pick<VmHttp, 'detail' | 'error'> {
  // curl -v says why connect() failed: "connect to H port P failed: Connection refused",
  // "Immediate connect fail for H: Network is unreachable"
  const why =
    /connect to \S+ port \d+ failed: (.+)$/m.exec(trace)?.[1] ??
    /Immediate connect fail for \S+: (.+)$/m.exec(trace)?.[1] ??
    /^curl: \(\d+\) (.+)$/m.exec(trace)?.[1] ??
    trace.trim().split('\n').at(-1) ??
    ''
  if (code === 28) return {detail: why, error: 'timeout'}
  if (/Connection refused/i.test(why)) return {detail: why, error: 'refused'}
  if (/Network is unreachable|No route to host/i.test(why)) return {detail: why, error: 'no-route'}
  if (code === 52) return {detail: why, error: 'empty-reply'}
  if (code === 56) return {detail: why, error: 'reset'}
  return {detail: why, error: why || `curl exit ${code}`}
}

/** Run DHCP once, look at the route, GET http://169.254.169.254/ — all inside the VM namespace. */
export async function runVm(s: VmSpec): Promise<VmResult> {
  const log: string[] = []
  if (!(await netnsExists(s.namespace))) throw new Error(`VM namespace ${s.namespace} is gone`)
  await resetVm(s)
  writeFileSync(s.dhcpLog, '')
  rmSync(s.bodyFile, {force: true})

  // -f foreground, -q quit once leased, -n give up without a lease, -t 3 discovers 1 s apart
  const dhcpArgs = ['udhcpc', '-i', s.dev, '-f', '-q', '-n', '-t', '3', '-T', '1', '-O', 'staticroutes', '-O', 'msstaticroutes', '-s', s.hook]
  const d = await run('ip', ['netns', 'exec', s.namespace, 'env', '-i', VM_PATH, `QMT_DHCP_LOG=${s.dhcpLog}`, ...dhcpArgs], {timeout: 20_000})
  log.push(`$ ${dhcpArgs.join(' ')}   (exit ${d.code}, ${d.ms} ms)`, (d.stdout + d.stderr).trim())
  log.push('--- the hook got:', readFileSync(s.dhcpLog, 'utf8').trim())

  const addr = await must('ip', ['-n', s.namespace, '-4', '-o', 'addr', 'show', 'dev', s.dev])
  const ip = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(addr.stdout)?.[1] ?? null
  const leased = d.code === 0 && ip !== null
  const routes = await must('ip', ['-n', s.namespace, '-4', 'route', 'show'])
  log.push('--- ip -4 addr / ip route in the VM:', addr.stdout.trim(), routes.stdout.trim())
  const routeToMetadata = await metadataRoute(s)

  const curlArgs = [
    'curl',
    '-q',
    '-v',
    '-sS',
    '--noproxy',
    '*',
    '--connect-timeout',
    String(CONNECT_TIMEOUT_S),
    '--max-time',
    String(MAX_TIME_S),
    '-o',
    s.bodyFile,
    '-w',
    '%{http_code}',
    'http://169.254.169.254/',
  ]
  const c = await inVm(s, curlArgs, (MAX_TIME_S + 5) * 1000)
  log.push(`$ ${curlArgs.join(' ')}   (exit ${c.code}, ${c.ms} ms)`, c.stderr.trim())
  let http: VmHttp
  if (c.code === 0) {
    let body = ''
    try {
      body = readFileSync(s.bodyFile, 'utf8')
    } catch {}
    http = {body, ms: c.ms, status: Number.parseInt(c.stdout.trim(), 10)}
    log.push('--- body:', body.trim())
  } else {
    http = {...classify(c.code, c.stderr), ms: c.ms}
  }
  return {http, ip: leased ? ip : null, leased, log: log.join('\n'), routeToMetadata}
}
