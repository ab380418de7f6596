// Issue 22 class 13: odd things where a file, a directory or a host name should be. An --ssh-config
// that is a FIFO is exit 2 at once (ssh would wait on it, and each host then time out); a FIFO given as
// a sosreport directory is named for what it is; an API host name that is a JSON object is one row
// saying so, never a JavaScript error.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli, cliAsync} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-untrusted-paths-'))
const fifo = join(dir, 'fifo')
spawnSync('mkfifo', [fifo])
afterAll(() => rmSync(dir, {force: true, recursive: true}))

describe('--ssh-config that is not a file', () => {
  // ssh, were it run, would answer at once: any wait would be the FIFO's
  const env = fakeSsh(dir, 'echo "ssh: connect to host x port 22: Connection refused" >&2; exit 255')

  it('a FIFO: exit 2 in one line at once, no ssh run', () => {
    const t0 = Date.now()
    const r = cli(['diagnose', NET, '--host', 'net1', '--ssh-config', fifo, '--no-api'], {env})
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`quantum-meta: --ssh-config ${fifo}: is a FIFO, not a regular file\n`)
  })

  it('a directory: exit 2; missing: exit 3; both one line', () => {
    const d = cli(['diagnose', NET, '--host', 'net1', '--ssh-config', dir, '--no-api', '--json'], {env})
    expect(d.status).toBe(2)
    expect(d.json.error.message).toBe(`--ssh-config ${dir}: is a directory, not a regular file`)
    const m = cli(['diagnose', NET, '--host', 'net1', '--ssh-config', join(dir, 'nope'), '--no-api'], {env})
    expect(m.status).toBe(3)
    expect(m.stderr).toBe(`quantum-meta: --ssh-config ${join(dir, 'nope')}: no such file or directory\n`)
  })
})

describe('--sosreport naming a FIFO', () => {
  it('says it is a FIFO, exit 2', () => {
    const r = cli(['diagnose', '--sosreport', fifo])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${fifo} is a FIFO, not a directory: --sosreport takes an extracted sosreport (the sosreport-HOST-... directory)\n`)
  })
})

describe('an API host name that is not a string', () => {
  let server: Server
  let base: string
  const hostile = {toString: 1, valueOf: 2} // what JSON.parse makes of it: String() of it throws
  beforeAll(async () => {
    const agent = (host: unknown) => ({admin_state_up: true, agent_type: 'DHCP agent', alive: true, binary: 'neutron-dhcp-agent', host, id: 'a'})
    const bodies: Record<string, unknown> = {
      '/v2.0/agents': {agents: [agent(hostile), agent(['net1']), agent(42)]},
      [`/v2.0/networks/${NET}`]: {network: {id: NET}},
      [`/v2.0/networks/${NET}/dhcp-agents`]: {agents: [agent(hostile)]},
      [`/v2.0/ports?network_id=${NET}`]: {ports: [{'binding:host_id': hostile, device_owner: 'network:dhcp', fixed_ips: hostile, id: hostile}]},
      [`/v2.0/subnets?network_id=${NET}`]: {subnets: []},
    }
    server = createServer((req, res) => {
      const b = bodies[req.url ?? '']
      res.writeHead(b ? 200 : 404, {'content-type': 'application/json'}).end(JSON.stringify(b ?? {NeutronError: {message: 'not found'}}))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const run = (args: string[]) =>
    cliAsync(['diagnose', ...args, '--hosts-from-api', '--os-auth-type', 'none', '--os-endpoint', base, '--json'], {
      env: {...fakeSsh(join(dir, 'api'), 'exit 255'), OS_CLOUD: ''},
    })

  it('a host that is an object: a row saying what the API gave, not asked; exit 3', async () => {
    const r = await run([NET])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(3)
    expect(r.json.hosts).toEqual([
      {
        error: 'the API names a host that is an object ({"toString":1,"valueOf":2}), not a host name: not asked over ssh',
        findings: [],
        host: '{"toString":1,"valueOf":2}',
        reachable: false,
      },
    ])
  })

  it('--all: the object, the list and the number are each such a row', async () => {
    const r = await run(['--all'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(3)
    expect(r.json.hosts.map((h: {host: string; error: string}) => [h.host, h.error.replace(/ \(.*\)/, '')])).toEqual([
      ['{"toString":1,"valueOf":2}', 'the API names a host that is an object, not a host name: not asked over ssh'],
      ['["net1"]', 'the API names a host that is an array, not a host name: not asked over ssh'],
      ['42', 'the API names a host that is a number, not a host name: not asked over ssh'],
    ])
  })
})
