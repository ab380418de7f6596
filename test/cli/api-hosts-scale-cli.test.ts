// Issue 22 class 6: `diagnose --hosts-from-api` at many hosts. Every host is handed the same API
// answers (the network's DHCP agents and ports, which grow with the hosts): each host's findings used
// to name every other host and port, so the output grew with hosts² (1,500 hosts: 489 MiB of --json,
// 4 GiB of memory, 9 min). A Neutron stand-in on 127.0.0.1 lists N hosts, an ssh stand-in on PATH
// answers each with the Zed-derived snapshot under its name. The figures: test/bench/api-hosts.ts.
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync, ROOT} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const fixture = (f: string) => JSON.parse(readFileSync(`${ROOT}test/fixtures/api/${f}`, 'utf8'))
const hostName = (i: number) => `net-${String(i).padStart(5, '0')}`
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
const dhcpPort = fixture('zed-basic-dhcp-port.json').ports[0]
const agent = fixture('zed-basic-dhcp-agents.json').agents[0]
const subnet = fixture('zed-basic-subnet-create-201.json').subnet

/** Neutron's answers for a network that N DHCP agents host, each with its DHCP port. */
function answers(n: number): Record<string, string> {
  const ports = Array.from({length: n}, (_, i) => ({...dhcpPort, 'binding:host_id': hostName(i), id: uuid(i)}))
  const agents = Array.from({length: n}, (_, i) => ({...agent, host: hostName(i), id: uuid(i)}))
  return {
    [`/v2.0/networks/${ZED_NET}`]: JSON.stringify({network: {admin_state_up: true, id: ZED_NET, name: 'qm-isolated', status: 'ACTIVE'}}),
    [`/v2.0/networks/${ZED_NET}/dhcp-agents`]: JSON.stringify({agents}),
    [`/v2.0/ports?network_id=${ZED_NET}`]: JSON.stringify({ports}),
    [`/v2.0/subnets?network_id=${ZED_NET}`]: JSON.stringify({subnets: [subnet]}),
  }
}

describe('--hosts-from-api at many hosts', () => {
  let server: Server
  let base: string
  const dir = mkdtempSync(join(tmpdir(), 'qm-api-scale-'))
  const cache = new Map<number, Record<string, string>>()
  beforeAll(async () => {
    // GET /N/v2.0/...: the answers of a network of N hosts
    server = createServer((req, res) => {
      const [, n, ...rest] = (req.url ?? '').split('/')
      if (!cache.has(Number(n))) cache.set(Number(n), answers(Number(n)))
      const body = cache.get(Number(n))![`/${rest.join('/')}`]
      if (body === undefined) return res.writeHead(404, {'content-type': 'application/json'}).end('{"NeutronError": {"message": "not found"}}')
      res.writeHead(200, {'content-type': 'application/json'}).end(body)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // each host's snapshot: one template, its name put in by sed (sh, not bash: hundreds are started)
    const template = join(dir, 'snapshot.json')
    writeFileSync(template, JSON.stringify(hostSnapshot({host: 'QM_HOST_NAME', ip: '198.51.100.1'})))
    mkdirSync(join(dir, 'bin'))
    writeFileSync(
      join(dir, 'bin', 'ssh'),
      `#!/bin/sh\ndest=; prev=; for a in "$@"; do [ "$a" = -G ] && { echo 'user root'; exit 0; }; [ "$prev" = -- ] && dest=$a; prev=$a; done\nexec sed "s/QM_HOST_NAME/$dest/" ${template}\n`,
    )
    chmodSync(join(dir, 'bin', 'ssh'), 0o755)
  })
  afterAll(async () => {
    rmSync(dir, {force: true, recursive: true})
    await new Promise<void>((r) => server.close(() => r()))
  })

  const run = (n: number, extra: string[] = []) =>
    cliAsync(['diagnose', ZED_NET, '--hosts-from-api', '--os-auth-type', 'none', '--os-endpoint', `${base}/${n}`, '--parallel', '8', ...extra], {
      env: {OS_CLOUD: '', PATH: `${join(dir, 'bin')}:${process.env.PATH}`},
    })

  it('40 hosts: each host names at most 20 other agents and ports, and counts the rest', async () => {
    const r = await run(40, ['--json'])
    expect(r.stderr).toBe('')
    expect(r.json.hosts).toHaveLength(40)
    expect(r.json.hosts.every((h: {reachable: boolean}) => h.reachable)).toBe(true)
    const find = (h: number, id: string) => r.json.hosts[h].findings.find((f: {id: string}) => f.id === id)
    // the first host: its own agent among the first 20 lines
    const agents0 = find(0, 'api.dhcp-agents')
    expect(agents0.status).toBe('pass')
    expect(agents0.evidence).toHaveLength(21)
    expect(agents0.evidence.at(-1)).toBe('... and 20 more agents in the answer')
    expect(agents0.summary).toMatch(/^hosted by the live DHCP agent on net-00000; also hosted by net-00001, .*, net-00020 and 19 more: run diagnose there too/)
    // the last host: the first 20, then its own, then how many more
    const agents39 = find(39, 'api.dhcp-agents')
    expect(agents39.evidence.slice(-2)).toEqual([
      `GET /v2.0/networks/${ZED_NET}/dhcp-agents: net-00039 alive true admin_state_up true`,
      '... and 19 more agents in the answer',
    ])
    const port39 = find(39, 'api.dhcp-port')
    expect(port39.evidence).toHaveLength(23) // 20, its own, how many more, the opts next hop
    expect(port39.evidence[20]).toMatch(/^DHCP port 00000000-0000-4000-8000-000000000039 on net-00039: 198\.51\.100\.1$/)
  })

  it('the --json document grows with the hosts, not with their square', async () => {
    const small = await run(60, ['--json'])
    const large = await run(240, ['--json'])
    expect([small.status, large.status]).toEqual([0, 0])
    const perHost = (r: {stdout: string}, n: number) => r.stdout.length / n
    // 4 times the hosts: the same bytes per host (give or take the cross-host findings, which list each host once)
    expect(perHost(large, 240) / perHost(small, 60)).toBeLessThan(1.5)
  }, 300_000)

  it('10,000 hosts: exit 2 in one line before any ssh runs (at most 5,000 a run); --json the error document', async () => {
    const t0 = Date.now()
    const r = await run(10_000)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `quantum-meta: the API lists 10000 hosts serving network ${ZED_NET}: more than the 5000 one run asks over ssh (ask them in parts with --host)\n`,
    )
    expect(Date.now() - t0).toBeLessThan(30_000)
    const j = await run(10_000, ['--json'])
    expect(j.status).toBe(2)
    expect(j.json.error).toMatchObject({code: 'api-too-many-hosts', exit: 2})
  }, 120_000)
})
