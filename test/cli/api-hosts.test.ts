// `diagnose NET --hosts-from-api` through the built CLI, against a server on 127.0.0.1 that answers each
// way a broken or hostile one does. The pure part on real Neutron answers: test/unit/api-hosts.test.ts.
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'

// the real Zed network of the fixtures (SOURCES.md): one DHCP agent on lab-host, its DHCP port, a VM port
const NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const agent = (host: unknown, extra: Record<string, unknown> = {}) => ({
  agent_type: 'DHCP agent',
  alive: true,
  host,
  id: '11111111-2222-4333-8444-555555555555',
  ...extra,
})

// The built CLI against a server on 127.0.0.1 (--os-auth-type none --os-endpoint): what an operator sees.
describe('diagnose --hosts-from-api through the built CLI', () => {
  let server: Server
  let base: string
  let dir: string
  let sshConfig: string
  const seen: string[] = []
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '')
      const [, scenario, ...rest] = (req.url ?? '').split('/')
      const path = `/${rest.join('/')}`
      const json = (status: number, body: unknown) =>
        res.writeHead(status, {'content-type': 'application/json'}).end(typeof body === 'string' ? body : JSON.stringify(body))
      if (scenario === 'garbage') return json(200, '\u001b[2J<html>not neutron</html>')
      if (path === '/v2.0/agents')
        return json(200, {
          agents: [
            {...agent('qm-closed'), binary: 'neutron-dhcp-agent'},
            {...agent('lb'), binary: 'neutron-linuxbridge-agent'},
          ],
        })
      if (path === `/v2.0/networks/${NET}`) return json(200, {network: {id: NET}})
      if (path.startsWith('/v2.0/subnets')) return json(200, {subnets: []})
      if (path.startsWith('/v2.0/ports')) return json(200, {ports: []})
      if (path === `/v2.0/networks/${NET}/dhcp-agents`) {
        if (scenario === 'none') return json(200, {agents: []})
        // a host that cannot be reached: the row says ssh's message, the command exits 3
        return json(200, {agents: [agent('qm-closed'), agent('-oProxyCommand=touch /tmp/qm-pwned')]})
      }
      json(404, {NeutronError: {message: 'The resource could not be found.'}})
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    // the API's host name maps to an ssh destination through an ssh config, as README says: here a
    // loopback port nobody listens on (taken from the kernel, then closed)
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const closed = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    dir = mkdtempSync(join(tmpdir(), 'qm-api-hosts-'))
    sshConfig = join(dir, 'ssh_config')
    writeFileSync(sshConfig, `Host qm-closed\n  HostName 127.0.0.1\n  Port ${closed}\n  UserKnownHostsFile /dev/null\n`)
  })
  afterAll(async () => {
    rmSync(dir, {force: true, recursive: true})
    await new Promise<void>((r) => server.close(() => r()))
  })

  const run = (scenario: string, extra: string[] = []) =>
    cliAsync(
      [
        'diagnose',
        NET,
        '--hosts-from-api',
        '--os-auth-type',
        'none',
        '--os-endpoint',
        `${base}/${scenario}`,
        '--connect-timeout',
        '2',
        '--ssh-config',
        sshConfig,
        ...extra,
      ],
      {env: {OS_CLOUD: ''}},
    )

  it('a server answering garbage: exit 3, one line, nothing of its escapes', async () => {
    const r = await run('garbage')
    expect(r.status).toBe(3)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\u001b/)
    expect(r.stdout).toBe('')
  })

  it('no host serves the network: exit 3 saying so', async () => {
    const r = await run('none')
    expect(r.status).toBe(3)
    expect(r.stderr).toBe(`quantum-meta: the API lists no DHCP agent hosting network ${NET}: no host serves its metadata\n`)
  })

  it("the API's hosts are asked over ssh: one on a closed port is a row with ssh's message, a hostile name a row that was never asked (exit 3)", async () => {
    const r = await run('two', ['--json'])
    expect(r.status).toBe(3)
    const hosts = r.json.hosts.map((h: {host: string; reachable: boolean; listed?: string[]; error: string}) => [h.host, h.reachable, h.listed?.length ?? 0])
    expect(hosts).toEqual([
      ['qm-closed', false, 1],
      ['"-oProxyCommand=touch /tmp/qm-pwned"', false, 0],
    ])
    expect(r.json.hosts[0].error).toMatch(/^ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/)
    expect(r.json.hosts[0].listed).toEqual(['DHCP agent 11111111-2222-4333-8444-555555555555 (alive)'])
    expect(existsSync('/tmp/qm-pwned')).toBe(false)
    expect(r.json.hosts[1].error).toMatch(/not a plain host name: not asked over ssh$/)
  })

  it('--all: every host of a DHCP or OVN metadata agent, asked for every network it serves', async () => {
    const r = await cliAsync(
      [
        'diagnose',
        '--all',
        '--hosts-from-api',
        '--os-auth-type',
        'none',
        '--os-endpoint',
        `${base}/all`,
        '--connect-timeout',
        '2',
        '--ssh-config',
        sshConfig,
        '--json',
      ],
      {env: {OS_CLOUD: ''}},
    )
    expect(r.status).toBe(3)
    expect(r.json.hosts).toEqual([{error: expect.stringMatching(/Connection refused$/), host: 'qm-closed', networks: [], reachable: false}])
  })

  it('bad input is exit 2 with one line: with --snapshot, with --no-api', async () => {
    const b = await cliAsync(['diagnose', NET, '--hosts-from-api', '--snapshot', '/dev/null'])
    expect(b.status).toBe(2)
    expect(b.stderr).toMatch(/^quantum-meta: give --hosts-from-api \(ask the hosts over ssh\) or --snapshot \(files\), not both\n$/)
    const c = await cliAsync(['diagnose', NET, '--hosts-from-api', '--no-api'])
    expect([c.status, c.stderr]).toEqual([2, 'quantum-meta: --hosts-from-api asks the API: drop --no-api\n'])
  })
})
