// `diagnose --all` with credentials also lists the networks the API has this host's DHCP agent host
// (GET /agents?host=H, then /agents/ID/dhcp-networks): a network whose namespace and state directory
// are both gone still gets its row, its namespace.exists failing. Through the built CLI, against a
// server on 127.0.0.1 (--os-auth-type none --os-endpoint), on a state path of the test's own.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'

const HOST = 'qm-node-7'
const AGENT = '11111111-2222-4333-8444-555555555555'
// ids no namespace on a test machine has: one with a state dir here, one the API alone knows
const WITH_STATE = 'c1e2c3d4-0000-4000-8000-0000000000a1'
const API_ONLY = 'c1e2c3d4-0000-4000-8000-0000000000a2'

let server: Server
let base: string
let dir: string
const seen: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '')
    const [, scenario, ...rest] = (req.url ?? '').split('/')
    const path = `/${rest.join('/')}`
    const json = (status: number, body: unknown) => res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    if (path === `/v2.0/agents?host=${HOST}`) {
      if (scenario === 'down') return json(500, {NeutronError: {message: 'Request Failed: internal server error'}})
      if (scenario === 'elsewhere') return json(200, {agents: []})
      return json(200, {
        agents: [
          {agent_type: 'Linux bridge agent', alive: true, binary: 'neutron-linuxbridge-agent', host: HOST, id: '99999999-2222-4333-8444-555555555555'},
          {agent_type: 'DHCP agent', alive: true, binary: 'neutron-dhcp-agent', host: HOST, id: AGENT},
        ],
      })
    }
    if (path === `/v2.0/agents/${AGENT}/dhcp-networks`) return json(200, {networks: [{id: WITH_STATE}, {id: API_ONLY}, {id: '../../etc'}, {id: 'x; reboot'}]})
    const net = /^\/v2\.0\/networks\/([0-9a-f-]{36})$/.exec(path)
    if (net) return json(200, {network: {admin_state_up: true, id: net[1], status: 'ACTIVE'}})
    if (path.startsWith('/v2.0/subnets')) return json(200, {subnets: []})
    if (path.startsWith('/v2.0/ports')) return json(200, {ports: []})
    if (path.endsWith('/dhcp-agents')) return json(200, {agents: [{agent_type: 'DHCP agent', alive: true, host: HOST, id: AGENT}]})
    json(404, {NeutronError: {message: 'The resource could not be found.'}})
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = mkdtempSync(join(tmpdir(), 'qm-all-hosted-'))
  writeFileSync(join(dir, 'dhcp_agent.ini'), `[DEFAULT]\nenable_isolated_metadata = True\nhost = ${HOST}\n`)
  mkdirSync(join(dir, 'state', 'dhcp', WITH_STATE), {recursive: true})
  writeFileSync(join(dir, 'state', 'dhcp', WITH_STATE, 'opts'), 'tag:tag0,option:classless-static-route,169.254.169.254/32,203.0.113.2\n')
})
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(dir, {force: true, recursive: true})
})

const all = (scenario: string, ...extra: string[]) =>
  cliAsync(
    [
      'diagnose',
      '--all',
      '--backend',
      'dhcp-agent',
      '--state-path',
      join(dir, 'state'),
      '--config-file',
      join(dir, 'dhcp_agent.ini'),
      '--os-auth-type',
      'none',
      '--os-endpoint',
      `${base}/${scenario}`,
      '--json',
      ...extra,
    ],
    {env: {NO_COLOR: '1'}},
  )
const ours = (doc: {networks: {network: string}[]}) => doc.networks.map((n) => n.network).filter((n) => n === WITH_STATE || n === API_ONLY)
const finding = (doc: {networks: {network: string; findings: {id: string; status: string}[]}[]}, net: string, id: string) =>
  doc.networks.find((n) => n.network === net)?.findings.find((f) => f.id === id)

describe.skipIf(process.getuid?.() !== 0)("diagnose --all asks the API for the networks this host's DHCP agent hosts", () => {
  it('a network the API has on this agent, with no namespace and no state here, gets a row: namespace.exists fails (exit 1)', async () => {
    const r = await all('ok')
    expect(r.status, r.stderr).toBe(1)
    expect(ours(r.json).sort()).toEqual([WITH_STATE, API_ONLY].sort())
    expect(finding(r.json, API_ONLY, 'namespace.exists')?.status).toBe('fail')
    expect(seen).toContain(`/ok/v2.0/agents?host=${HOST}`)
    expect(seen).toContain(`/ok/v2.0/agents/${AGENT}/dhcp-networks`)
    // ids that are not UUIDs never become a network (nor a path or a command)
    expect(JSON.stringify(r.json)).not.toMatch(/reboot|\.\.\/\.\.\/etc/)
    expect(r.stderr).toBe('')
  })

  it('--no-api: the node alone (its state dir), and the API is not asked', async () => {
    const before = seen.length
    const r = await all('noapi', '--no-api')
    expect(ours(r.json)).toEqual([WITH_STATE])
    expect(seen.slice(before).filter((u) => u.startsWith('/noapi/'))).toEqual([])
  })

  it("the API failing or listing no DHCP agent here: one warning line saying so, and the node's own networks", async () => {
    const down = await all('down')
    expect(ours(down.json)).toEqual([WITH_STATE])
    expect(down.stderr).toBe(`warning: --all lists this node's networks only: GET /agents?host=${HOST} answered HTTP 500\n`)
    const elsewhere = await all('elsewhere')
    expect(ours(elsewhere.json)).toEqual([WITH_STATE])
    expect(elsewhere.stderr).toBe(
      `warning: --all lists this node's networks only: the API lists no DHCP agent on host ${HOST} (host in ${join(dir, 'dhcp_agent.ini')}); give --agent-host if it reports another name\n`,
    )
  })
})
