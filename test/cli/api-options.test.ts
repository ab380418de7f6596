// The API options of issue 21 item 3 through the built binary, against a fake Keystone v3 + Neutron
// on 127.0.0.1 in this process: --os-timeout / OS_TIMEOUT / api_timeout, application credentials, and
// network names where diagnose/collect take a network id.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, createServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, cliAsync} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const TOKEN = 'v3-token-0123456789abcdef'
const PASSWORD = 'v3-password-pw'
const AC_ID = '3f5e6a1b2c4d4e8f9a0b1c2d3e4f5a6b'
const AC_SECRET = 'app-cred-secret-Zq8xW2'
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
      const ok =
        (identity.methods[0] === 'password' && identity.password.user.password === PASSWORD) ||
        (identity.methods[0] === 'application_credential' && identity.application_credential.secret === AC_SECRET)
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
    if (req.method === 'GET' && req.url === '/v2.0/networks?name=twins')
      return send(200, {
        networks: [
          {id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'twins'},
          {id: 'aaaaaaaa-0000-4000-8000-000000000002', name: 'twins'},
        ],
      })
    if (req.method === 'GET' && req.url?.startsWith('/v2.0/networks?name=')) return send(200, {networks: []})
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

const appCredEnv = (extra: Record<string, string> = {}) => ({
  OS_APPLICATION_CREDENTIAL_ID: AC_ID,
  OS_APPLICATION_CREDENTIAL_SECRET: AC_SECRET,
  OS_AUTH_TYPE: 'v3applicationcredential',
  OS_AUTH_URL: `${base}/v3`,
  ...extra,
})
const tokenBody = () => JSON.parse(seen.find((s) => s.url === '/v3/auth/tokens')!.body)

describe('application credentials (v3applicationcredential)', () => {
  it('from OS_*: the token request is the id and secret with no scope; the secret appears nowhere, --debug included', async () => {
    seen.length = 0
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--debug', '-f', 'value', '-c', 'id'], {env: appCredEnv()})
    expect([r.status, r.stdout], r.stderr).toEqual([0, 'a507c135-12b9-419c-ab43-ecaa7ca57f83\n'])
    expect(tokenBody()).toEqual({auth: {identity: {application_credential: {id: AC_ID, secret: AC_SECRET}, methods: ['application_credential']}}})
    expect(r.stderr).toMatch(/debug: POST http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/tokens -> 201/)
    expect(r.stdout + r.stderr).not.toContain(AC_SECRET)
  })

  it('from the --os-* flags, by name with the user and its domain; the secret is not in --debug or --json output', async () => {
    seen.length = 0
    const r = await cliAsync(
      [
        'subnet',
        'create',
        'net1',
        '172.17.17.0/24',
        '--json',
        '--debug',
        '--os-auth-url',
        `${base}/v3`,
        '--os-auth-type',
        'v3applicationcredential',
        '--os-application-credential-name',
        'ci-cred',
        '--os-application-credential-secret',
        AC_SECRET,
        '--os-username',
        'ci',
        '--os-user-domain-name',
        'Ops',
      ],
      {env: {}},
    )
    expect(r.status, r.stderr).toBe(0)
    expect(tokenBody().auth.identity).toEqual({
      application_credential: {name: 'ci-cred', secret: AC_SECRET, user: {domain: {name: 'Ops'}, name: 'ci'}},
      methods: ['application_credential'],
    })
    expect(tokenBody().auth.scope).toBeUndefined()
    expect(r.stdout + r.stderr).not.toContain(AC_SECRET)
  })

  it('from clouds.yaml (auth_type + auth.application_credential_*), with OS_USER_ID for a name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-appcred-'))
    try {
      writeFileSync(
        join(dir, 'clouds.yaml'),
        `clouds:\n  ci:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: ${base}/v3\n      application_credential_id: ${AC_ID}\n      application_credential_secret: ${AC_SECRET}\n  byname:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: ${base}/v3\n      application_credential_name: ci-cred\n      application_credential_secret: ${AC_SECRET}\n`,
      )
      const env = {OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml')}
      seen.length = 0
      const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-cloud', 'ci', '--debug'], {env})
      expect(r.status, r.stderr).toBe(0)
      expect(tokenBody().auth.identity.application_credential).toEqual({id: AC_ID, secret: AC_SECRET})
      expect(r.stdout + r.stderr).not.toContain(AC_SECRET)
      seen.length = 0
      const n = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-cloud', 'byname'], {env: {...env, OS_USER_ID: 'u-123'}})
      expect(n.status, n.stderr).toBe(0)
      expect(tokenBody().auth.identity.application_credential).toEqual({name: 'ci-cred', secret: AC_SECRET, user: {id: 'u-123'}})
      // a name without its user cannot be looked up: exit 2 before any request
      seen.length = 0
      const m = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-cloud', 'byname'], {env})
      expect(m.status).toBe(2)
      expect(m.stderr).toMatch(/application credential auth: missing OS_USERNAME or OS_USER_ID/)
      expect(seen).toEqual([])
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('a wrong secret is exit 3 saying what to check, the secret nowhere; a missing secret is exit 2; v2.0 is refused', async () => {
    const wrong = 'wrong-secret-Pp0'
    const r = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24', '--debug', '--os-application-credential-secret', wrong], {env: appCredEnv()})
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(
      /authentication failed at http:\/\/127\.0\.0\.1:\d+\/v3\/auth\/tokens: HTTP 401 .*\(check the application credential id or name, its secret and its expiry\)/,
    )
    expect(r.stdout + r.stderr).not.toContain(wrong)
    expect(r.stdout + r.stderr).not.toContain(AC_SECRET)
    const missing = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24'], {env: appCredEnv({OS_APPLICATION_CREDENTIAL_SECRET: ''})})
    expect([missing.status, missing.stderr]).toEqual([
      2,
      'quantum-meta: application credential auth: missing OS_APPLICATION_CREDENTIAL_SECRET (or the --os-* flags, or --os-cloud with clouds.yaml)\n',
    ])
    const v2 = await cliAsync(['subnet', 'create', 'net1', '172.17.17.0/24'], {env: appCredEnv({OS_AUTH_URL: `${base}/v2.0`})})
    expect(v2.status).toBe(2)
    expect(v2.stderr).toMatch(/application credentials are Keystone v3 only/)
  })
})

describe('network names where diagnose and collect take a network id', () => {
  // the bundled snapshot holds network NET; the fake API answers the name lookup net1 -> NET
  const SNAP = join(ROOT, 'examples/grizzly-seed.snapshot.json')

  it('diagnose net1 --snapshot FILE: GET /networks?name=net1, "network net1 is ID" on stderr, the same verdict as by id', async () => {
    seen.length = 0
    const byName = await cliAsync(['diagnose', 'net1', '--snapshot', SNAP], {env: passwordEnv()})
    expect(byName.stderr.split('\n')[0]).toBe(`network net1 is ${NET}`)
    expect(seen.map((x) => `${x.method} ${x.url}`)).toEqual(['POST /v3/auth/tokens', 'GET /v2.0/networks?name=net1'])
    const byId = await cliAsync(['diagnose', NET, '--snapshot', SNAP], {env: {}})
    expect(byName.status).toBe(byId.status)
    expect(byName.stdout).toBe(byId.stdout)
    // --json: the document alone, no line on stderr about the lookup
    const json = await cliAsync(['diagnose', 'net1', '--snapshot', SNAP, '--json'], {env: passwordEnv()})
    expect(json.stderr).not.toContain('network net1 is')
    expect(JSON.stringify(json.json)).toContain(NET)
  })

  it('a name is URL-encoded into the query, nowhere else; none is exit 2 "no network named"; several exit 2 listing the ids', async () => {
    seen.length = 0
    const odd = '../x y&name=net1'
    const none = await cliAsync(['diagnose', odd, '--snapshot', SNAP], {env: passwordEnv()})
    expect([none.status, none.stderr]).toEqual([2, `quantum-meta: no network named ${JSON.stringify(odd)}\n`])
    expect(seen.at(-1)?.url).toBe(`/v2.0/networks?name=${encodeURIComponent(odd)}`)
    const twins = await cliAsync(['diagnose', 'twins', '--snapshot', SNAP], {env: passwordEnv()})
    expect(twins.status).toBe(2)
    expect(twins.stderr).toBe(
      'quantum-meta: 2 networks are named "twins": aaaaaaaa-0000-4000-8000-000000000001, aaaaaaaa-0000-4000-8000-000000000002; give the id\n',
    )
    const ghost = await cliAsync(['collect', 'ghost'], {env: passwordEnv()})
    expect([ghost.status, ghost.stderr]).toEqual([2, 'quantum-meta: no network named "ghost"\n'])
  })

  it('without credentials a non-UUID stays exit 2 before anything, now saying names need credentials', async () => {
    seen.length = 0
    for (const cmd of [
      ['diagnose', 'net1', '--snapshot', SNAP],
      ['collect', 'net1'],
    ]) {
      const r = await cliAsync(cmd, {env: {OS_AUTH_URL: '', OS_CLOUD: ''}})
      expect(r.status).toBe(2)
      expect(r.stderr).toMatch(/network id must be a UUID like .*, got "net1": a network name is looked up in the API, which needs credentials/)
    }
    expect(seen).toEqual([])
  })
})
