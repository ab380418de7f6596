// `diagnose --hosts-from-api` fan-out at N hosts (issue 22, class 6): the built CLI against a Neutron
// stand-in on 127.0.0.1 that lists N hosts, and an ssh stand-in first on PATH that answers each host
// with the Zed-derived snapshot under that host's name (test/helpers/fleet-snapshots.ts). Prints the
// wall time, the CLI's peak RSS (GNU time's %M: the largest of it and the processes it waited for)
// and the size of stdout. No root, no sshd.
//
//   npx tsx test/bench/api-hosts.ts [--hosts N] [--ovn | --all] [--json] [--parallel P] [--debug]
//   (npm run bench -- --hosts-from-api [--hosts N] ... runs this)
//
// DHCP agent (default): GET /networks/NET/dhcp-agents lists N agents, GET /ports N DHCP ports, one per
// host. --ovn: a network:distributed port and N VM ports, one bound to each chassis (no DHCP agent
// scheduler: 404). --all: GET /agents lists N DHCP agents (diagnose --all --hosts-from-api).
import {spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : dflt
}
const N = Number(arg('--hosts', '1500'))
const mode = process.argv.includes('--ovn') ? 'ovn' : process.argv.includes('--all') ? 'all' : 'dhcp'
const json = process.argv.includes('--json')
const parallel = arg('--parallel', '16')

const apiFixture = (f: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/api/${f}`, 'utf8'))
const hostName = (i: number) => `net-${String(i).padStart(5, '0')}`

// the Neutron answers, made once
const dhcpPort = apiFixture('zed-basic-dhcp-port.json').ports[0]
const vmPort = apiFixture('zed-vm1-port.json').port
const agent = apiFixture('zed-basic-dhcp-agents.json').agents[0]
const subnet = apiFixture('zed-basic-subnet-create-201.json').subnet
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const ports =
  mode === 'ovn'
    ? [
        {...dhcpPort, 'binding:host_id': '', device_owner: 'network:distributed', id: uuid(999_999)},
        ...Array.from({length: N}, (_, i) => ({...vmPort, 'binding:host_id': hostName(i), id: uuid(i), network_id: ZED_NET})),
      ]
    : Array.from({length: N}, (_, i) => ({
        ...dhcpPort,
        'binding:host_id': hostName(i),
        fixed_ips: [{...dhcpPort.fixed_ips[0], ip_address: '198.51.100.1'}],
        id: uuid(i),
      }))
const agents = Array.from({length: N}, (_, i) => ({...agent, binary: 'neutron-dhcp-agent', host: hostName(i), id: uuid(i)}))
const bodies: Record<string, string> = {
  [`/v2.0/networks/${ZED_NET}`]: JSON.stringify({network: {admin_state_up: true, id: ZED_NET, name: 'qm-isolated', status: 'ACTIVE'}}),
  [`/v2.0/subnets?network_id=${ZED_NET}`]: JSON.stringify({subnets: [subnet]}),
  [`/v2.0/ports?network_id=${ZED_NET}`]: JSON.stringify({ports}),
  '/v2.0/agents': JSON.stringify({agents}),
}
if (mode !== 'ovn') bodies[`/v2.0/networks/${ZED_NET}/dhcp-agents`] = JSON.stringify({agents})

const server = createServer((req, res) => {
  const body = bodies[req.url ?? '']
  if (body === undefined) return res.writeHead(404, {'content-type': 'application/json'}).end('{"NeutronError": {"message": "not found"}}')
  res.writeHead(200, {'content-type': 'application/json'}).end(body)
})
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// the hosts: one template, the host name put in by sed
const dir = mkdtempSync(join(tmpdir(), 'qm-bench-api-hosts-'))
const template = join(dir, 'snapshot.json')
writeFileSync(template, JSON.stringify(hostSnapshot({host: 'QM_HOST_NAME', ip: '198.51.100.1'})))
mkdirSync(join(dir, 'bin'))
writeFileSync(
  join(dir, 'bin', 'ssh'),
  `#!/bin/sh\ndest=; prev=; for a in "$@"; do [ "$a" = -G ] && { echo 'user root'; exit 0; }; [ "$prev" = -- ] && dest=$a; prev=$a; done\nexec sed "s/QM_HOST_NAME/$dest/" ${template}\n`,
)
chmodSync(join(dir, 'bin', 'ssh'), 0o755)

const argv = [
  process.execPath,
  `${ROOT}bin/run.js`,
  'diagnose',
  ...(mode === 'all' ? ['--all'] : [ZED_NET]),
  '--hosts-from-api',
  '--os-auth-type',
  'none',
  '--os-endpoint',
  base,
  '--parallel',
  parallel,
  ...(json ? ['--json'] : []),
  ...(process.argv.includes('--debug') ? ['--debug'] : []),
]
const timeOut = join(dir, 'time')
const out: Buffer[] = []
const t0 = process.hrtime.bigint()
const r = await new Promise<{status: number | null; stdoutBytes: number; stderr: string}>((resolve) => {
  const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeOut, ...argv], {
    env: {...process.env, NO_COLOR: '1', OS_CLOUD: '', PATH: `${join(dir, 'bin')}:${process.env.PATH}`},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdoutBytes = 0
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => {
    stdoutBytes += b.length
    // kept (up to 64 MiB) to count the hosts that did not answer
    if (json && stdoutBytes < 64 * 1024 * 1024) out.push(b)
  })
  child.stderr.on('data', (b: Buffer) => (stderr += b))
  child.on('close', (status) => resolve({status, stdoutBytes, stderr}))
})
const wall = Number(process.hrtime.bigint() - t0) / 1e9
const [, rssKb] = readFileSync(timeOut, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
server.close()
if (process.argv.includes('--debug')) writeFileSync('/tmp/qm-bench-debug.log', r.stderr)
rmSync(dir, {force: true, recursive: true})
let unanswered = ''
try {
  const doc = JSON.parse(Buffer.concat(out).toString('utf8'))
  const bad = (doc.hosts as {reachable: boolean; error?: string}[]).filter((h) => !h.reachable)
  unanswered = `, ${bad.length} host(s) not inspected${bad.length > 0 ? ` (first: ${bad[0].error})` : ''}`
} catch {}
const lastErr = r.stderr
  .trim()
  .split('\n')
  .filter((l) => !/^Command exited/.test(l))
  .slice(-3)
  .join(' | ')
console.log(
  `${mode} ${N} hosts${json ? ' --json' : ''}: exit ${r.status}, ${wall.toFixed(1)} s, peak RSS ${(rssKb / 1024).toFixed(0)} MiB, stdout ${(r.stdoutBytes / 1024 / 1024).toFixed(2)} MiB${unanswered}${lastErr ? `; stderr: ${lastErr.slice(0, 300)}` : ''}`,
)
