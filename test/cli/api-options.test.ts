// The API options of issue 21 item 3 through the built binary, against a fake Keystone v3 + Neutron
// on 127.0.0.1 in this process: --os-timeout / OS_TIMEOUT / api_timeout, application credentials, and
// network names where diagnose/collect take a network id.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, createServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const TOKEN = 'v3-token-0123456789abcdef'
const PASSWORD = 'v3-password-pw'
let server: Server
let hang: Server
const hanging = new Set<Socket>()
let base: string
let hangBase: string
const seen: {method: string; url: string; body: string}[] = []

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = ''
    req.on('data', (d) => (b += d))
    req.on('end', () => resolve(b))
  })
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await body(req)
    seen.push({body: text, method: req.method!, url: req.url!})
    const send = (status: number, doc: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {'Content-Type': 'application/json', ...headers})
      res.end(JSON.stringify(doc))
    }
    if (req.method === 'POST' && req.url === '/v3/auth/tokens') {
      const identity = JSON.parse(text).auth.identity
      const ok = identity.methods[0] === 'password' && identity.password.user.password === PASSWORD
      if (!ok) return send(401, {error: {code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized'}})
      return send(
        201,
        {token: {catalog: [{endpoints: [{interface: 'public', region_id: 'RegionOne', url: base}], type: 'network'}]}},
        {'X-Subject-Token': TOKEN},
      )
    }
    if (req.headers['x-auth-token'] !== TOKEN) return send(401, {error: {message: 'unauthorized'}})
    if (req.method === 'POST' && req.url === '/v2.0/subnets') {
      const s = JSON.parse(text).subnet
      return send(201, {subnet: {...s, id: 'a507c135-12b9-419c-ab43-ecaa7ca57f83'}})
    }
    if (req.method === 'GET' && req.url === '/v2.0/networks?name=net1') return send(200, {networks: [{id: NET, name: 'net1'}]})
    if (req.method === 'GET' && req.url === '/v2.0/agents') return send(200, {agents: []})
    return send(404, {NeutronError: {message: 'not found', type: 'HTTPNotFound'}})
  })
  // accepts, reads, never answers
  hang = createServer(() => {})
  hang.on('connection', (s) => hanging.add(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  hangBase = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const s of hanging) s.destroy()
  await new Promise<void>((r) => hang.close(() => r()))
  await new Promise<void>((r) => server.close(() => r()))
})

const passwordEnv = (url = `${base}/v3`) => ({OS_AUTH_URL: url, OS_PASSWORD: PASSWORD, OS_PROJECT_NAME: 'demo', OS_USERNAME: 'admin'})

describe('API timeout: --os-timeout, OS_TIMEOUT, api_timeout', () => {
  it('--os-timeout 1 against a Keystone that never answers: exit 3 naming the timeout, well before the 30 s default', async () => {
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-timeout', '1'], {env: passwordEnv(`${hangBase}/v3`)})
    expect([r.status, r.stderr]).toEqual([
      3,
      `quantum-meta: POST ${hangBase}/v3/auth/tokens: no answer within 1 s (the API timeout: --os-timeout, OS_TIMEOUT)\n`,
    ])
  })

  it('OS_TIMEOUT reaches diagnose --hosts-from-api too (its Keystone request)', async () => {
    const r = await cliAsync(['diagnose', NET, '--hosts-from-api'], {env: {...passwordEnv(`${hangBase}/v3`), OS_TIMEOUT: '1'}})
    expect(r.status).toBe(3)
    expect(r.stderr).toContain('no answer within 1 s (the API timeout')
  })

  it('OS_TIMEOUT=0 / abc, --os-timeout 3601, api_timeout: x are exit 2 naming the setting, before any request', async () => {
    seen.length = 0
    for (const [extra, env, from] of [
      [[], {OS_TIMEOUT: '0'}, 'OS_TIMEOUT'],
      [[], {OS_TIMEOUT: 'abc'}, 'OS_TIMEOUT'],
      [['--os-timeout', '3601'], {}, '--os-timeout'],
    ] as [string[], Record<string, string>, string][]) {
      const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', ...extra], {env: {...passwordEnv(), ...env}})
      expect([r.status, r.stderr]).toEqual([2, `quantum-meta: ${from} must be whole seconds from 1 to 3600, got "${env.OS_TIMEOUT ?? extra[1]}"\n`])
    }
    const d = await cliAsync(['diagnose', NET, '--hosts-from-api'], {env: {...passwordEnv(), OS_TIMEOUT: 'abc'}})
    expect([d.status, d.stderr]).toEqual([2, 'quantum-meta: OS_TIMEOUT must be whole seconds from 1 to 3600, got "abc"\n'])
    const dir = mkdtempSync(join(tmpdir(), 'qm-timeout-'))
    try {
      writeFileSync(
        join(dir, 'clouds.yaml'),
        `clouds:\n  c:\n    api_timeout: x\n    auth:\n      auth_url: ${base}/v3\n      username: admin\n      password: ${PASSWORD}\n      project_name: demo\n`,
      )
      const c = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-cloud', 'c'], {env: {OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml')}})
      expect([c.status, c.stderr]).toEqual([2, 'quantum-meta: api_timeout of cloud c in clouds.yaml must be whole seconds from 1 to 3600, got "x"\n'])
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
    expect(seen).toEqual([])
  })

  it('a valid --os-timeout changes nothing else: the subnet is created', async () => {
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-timeout', '5', '-f', 'value', '-c', 'id'], {env: passwordEnv()})
    expect([r.status, r.stdout], r.stderr).toEqual([0, 'a507c135-12b9-419c-ab43-ecaa7ca57f83\n'])
  })
})
