// A hostile or broken Keystone/Neutron on 127.0.0.1: answers too large, too deep, cut short, not
// JSON, with escape sequences, with ids shaped like paths, slow. Driven through the built CLI the way
// an operator would meet them: one line on stderr, the documented exit code, never a stack, never a
// hang, and after a 2xx to the POST the note that the subnet may exist.
// Each scenario is the first path segment of the endpoint: --os-endpoint http://127.0.0.1:PORT/<scenario>.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ResponseError, request} from '../../src/openstack/http.js'
import {BIN} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const SUB = 'a507c135-12b9-419c-ab43-ecaa7ca57f83'
const LOC = 'c0ffee00-1111-4222-8333-444444444444'
let server: Server
let base: string
const seen: {method: string; url: string}[] = []
/** bytes the server managed to write for the huge answers, per scenario */
const sent = new Map<string, number>()

const subnet = (extra: Record<string, unknown> = {}) => ({
  subnet: {cidr: '172.17.17.0/24', enable_dhcp: true, gateway_ip: null, id: SUB, ip_version: 4, name: 'sub1', network_id: NET, ...extra},
})
const ESCAPES = '\u001b[31mRED\u001b[0m \u001b]0;pwned title\u0007 \u001b[2J\r\u0000bell\u0007 \u009b31m \u202egnp.exe'

function drain(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = ''
    req.on('data', (d) => (b += d))
    req.on('end', () => resolve(b))
  })
}

/** Write `total` bytes of JSON-looking filler with backpressure until done or the client hangs up. */
async function stream(res: ServerResponse, key: string, total: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024, 0x20)
  let n = 0
  let closed = false
  res.on('close', () => (closed = true))
  res.write('{"subnet": {"name": "')
  while (n < total && !closed) {
    n += chunk.length
    sent.set(key, n)
    if (!res.write(chunk)) {
      await new Promise<void>((r) => {
        const done = () => (res.off('drain', done), res.off('close', done), r())
        res.on('drain', done)
        res.on('close', done)
      })
    }
  }
  if (!closed) res.end('"}}')
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    await drain(req)
    seen.push({method: req.method!, url: req.url!})
    const [, scenario, ...rest] = req.url!.split('/')
    const tail = `/${rest.join('/')}`
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, {'Content-Type': 'application/json', ...headers})
      res.end(text)
    }
    // Keystone scenarios
    if (scenario === 'ks-ansi') return send(401, JSON.stringify({error: {code: 401, message: `${ESCAPES} ${'x'.repeat(3000)}`, title: 'Unauthorized'}}))
    if (scenario === 'ks-badcat') {
      return send(201, JSON.stringify({token: {catalog: [null, 7, {endpoints: [null, {interface: 'public', url: 'file:///etc/shadow'}], type: 'network'}]}}), {
        'X-Subject-Token': 'tok',
      })
    }
    if (scenario === 'ks-disc') return send(300, JSON.stringify({versions: {values: [null, {id: 3, links: 'x'}, 'v3']}}))
    if (scenario === 'ks2-badtoken') return send(200, JSON.stringify({access: {serviceCatalog: [], token: {id: 'tok\r\nX-Evil: 1'}}}))
    if (req.method === 'GET' && scenario === 'badid' && tail.startsWith('/v2.0/networks?name=net1')) {
      return send(200, JSON.stringify({networks: [{id: '../../../etc', name: 'net1'}]}))
    }
    if (req.method !== 'POST' || tail !== '/v2.0/subnets') return send(404, JSON.stringify({NeutronError: {message: 'no route', type: 'HTTPNotFound'}}))
    switch (scenario) {
      case 'ok':
        return send(201, JSON.stringify(subnet()))
      case 'huge':
        res.writeHead(201, {'Content-Type': 'application/json', Location: `${base}/v2.0/subnets/${LOC}`})
        return stream(res, 'huge', 600 * 1024 * 1024)
      case 'huge-announced':
        res.writeHead(201, {'Content-Length': String(2 * 1024 * 1024 * 1024), 'Content-Type': 'application/json'})
        return stream(res, 'huge-announced', 2 * 1024 * 1024 * 1024)
      case 'huge-409':
        res.writeHead(409, {'Content-Type': 'application/json'})
        return stream(res, 'huge-409', 600 * 1024 * 1024)
      case 'deep':
        return send(
          201,
          `{"subnet": {"id": "${SUB}", "network_id": "${NET}", "cidr": "172.17.17.0/24", "gateway_ip": null, "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
        )
      case 'deep-top':
        return send(201, `${'['.repeat(100_000)}${']'.repeat(100_000)}`)
      case 'badjson':
        return send(201, '{"subnet": {"id": "')
      case 'null':
        return send(201, 'null')
      case 'array':
        return send(201, '[]')
      case 'missing':
        return send(201, JSON.stringify({subnet: {id: SUB}}))
      case 'nosubnet':
        return send(201, JSON.stringify({network: {}}))
      case 'truncated':
        res.writeHead(201, {'Content-Length': '2000', 'Content-Type': 'application/json'})
        res.write(`{"subnet": {"id": "${SUB}", `)
        return setTimeout(() => res.socket?.destroy(), 50)
      case 'pathid':
        return send(201, JSON.stringify(subnet({id: '../../../../tmp/x', network_id: '../../..'})))
      case 'pathnet':
        return send(201, JSON.stringify(subnet({network_id: '../../..'})))
      case 'ansi':
        return send(409, JSON.stringify({NeutronError: {detail: '', message: `${ESCAPES} ${'y'.repeat(5000)}`, type: 'OverQuota'}}))
      case 'angles':
        return send(503, '<'.repeat(2 * 1024 * 1024), {'Content-Type': 'text/html'})
      case 'escname':
        return send(201, JSON.stringify(subnet({name: `sub\u001b[2J\u001b]0;x\u0007name`})))
      case 'slow': {
        // headers after 1 s, then the body one piece every 100 ms
        const text = JSON.stringify(subnet())
        await new Promise((r) => setTimeout(r, 1000))
        res.writeHead(201, {'Content-Type': 'application/json'})
        for (let i = 0; i < text.length; i += 20) {
          res.write(text.slice(i, i + 20))
          await new Promise((r) => setTimeout(r, 100))
        }
        return res.end()
      }
      case 'stall':
        res.writeHead(201, {'Content-Type': 'application/json'})
        return res.write('{"subnet": ')
    }
    return send(500, '{}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((r) => server.close(() => r()))
})

interface Run {
  status: number | null
  stdout: string
  stderr: string
  ms: number
  json?: any
}

/** The built CLI, killed (by its pid) if it outlives `killMs`: a hang fails the test instead of the suite. */
function run(args: string[], env: NodeJS.ProcessEnv = {}, killMs = 25_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, NO_COLOR: '1', OS_AUTH_URL: '', OS_CLOUD: '', ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      let json
      try {
        json = JSON.parse(stdout)
      } catch {}
      resolve({json, ms: Date.now() - started, status, stderr, stdout})
    })
  })
}

const create = (scenario: string, ...more: string[]) =>
  run(['subnet', 'create', NET, '172.17.17.0/24', '--os-auth-type', 'none', '--os-endpoint', `${base}/${scenario}`, ...more])

/** What every error path must look like: one line, our prefix, no stack, no JS error names. */
function oneCleanLine(r: Run) {
  expect(r.stderr).toMatch(/^quantum-meta: [^\n]+\n$/)
  expect(r.stderr).not.toMatch(/internal error|RangeError|TypeError|ERR_STRING_TOO_LONG|Maximum call stack|\n\s+at /)
  expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/)
}

describe('answers too large are not read past 8 MB', () => {
  it('a 600 MB 201 streamed without a length: exit 3 quickly, the id from Location, the connection dropped', async () => {
    const r = await create('huge')
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain(
      'answered HTTP 201 but its body passed the 8 MB limit: stopped reading; the subnet may have been created (id c0ffee00-1111-4222-8333-444444444444)',
    )
    expect(r.stderr).toContain(`openstack subnet list --network ${NET}`)
    expect(r.ms).toBeLessThan(10_000)
    // the server could not push much more than the cap (plus socket buffers) before the client hung up
    expect(sent.get('huge')).toBeLessThan(48 * 1024 * 1024)
  })

  it('peak memory stays modest on the 600 MB answer (GNU time, max RSS)', async () => {
    // through /usr/bin/time (no shell): its RSS line ends stderr
    const t = await new Promise<{stderr: string; status: number | null}>((resolve) => {
      const child = spawn(
        '/usr/bin/time',
        ['-f', 'maxrss %M', process.execPath, BIN, 'subnet', 'create', NET, '172.17.17.0/24', '--os-auth-type', 'none', '--os-endpoint', `${base}/huge`],
        {
          env: {...process.env, NO_COLOR: '1'},
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      )
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000)
      child.on('close', (status) => (clearTimeout(timer), resolve({status, stderr})))
    })
    expect(t.status).toBe(3)
    expect(t.stderr).toMatch(/may have been created/)
    const kb = Number(/maxrss (\d+)/.exec(t.stderr)?.[1])
    expect(kb).toBeGreaterThan(0)
    expect(kb).toBeLessThan(200 * 1024)
  })

  it('a 201 announcing 2 GB is not read at all; its id is not known', async () => {
    const r = await create('huge-announced')
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain(
      'answered HTTP 201 but announced a 2147483648-byte body, over the 8 MB limit: not read; the subnet may have been created (its id is not known)',
    )
  })

  it('a huge error answer is exit 3 and says nothing of a created subnet', async () => {
    const r = await create('huge-409')
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain('answered HTTP 409 but its body passed the 8 MB limit')
    expect(r.stderr).not.toContain('may have been created')
  })
})

describe('a 2xx that is not a subnet: one line, the subnet may exist, exit 3', () => {
  it.each([
    ['deep', `JSON nested deeper than 32 levels; the subnet may have been created (its id is not known)`],
    ['deep-top', 'JSON nested deeper than 32 levels; the subnet may have been created (its id is not known)'],
    ['badjson', 'a body that is not JSON ({"subnet": {"id": "); the subnet may have been created (its id is not known)'],
    ['null', 'JSON null; the subnet may have been created'],
    ['array', 'a JSON array; the subnet may have been created'],
    ['missing', `a network_id that is not a UUID: none; the subnet may have been created (id ${SUB})`],
    ['nosubnet', 'without a "subnet" object; the subnet may have been created'],
    ['truncated', 'answered HTTP 201 but the connection closed before the body was complete'],
  ])('%s', async (scenario, text) => {
    const r = await create(scenario)
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain(text)
    expect(r.stderr).toContain('may have been created')
    expect(r.stdout).toBe('')
  })

  it('under --json it is one error document with exit 3', async () => {
    const r = await create('deep', '--json')
    expect(r.status).toBe(3)
    expect(r.json.error).toMatchObject({code: 'subnet-maybe-created', exit: 3})
  })
})

describe('ids from the server are UUIDs before they reach a path, a command line or a message', () => {
  it('subnet create --wait never turns a network_id of ../../.. into a path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-hostile-'))
    try {
      mkdirSync(join(dir, 'state', 'dhcp'), {recursive: true})
      writeFileSync(join(dir, 'dhcp_agent.ini'), '[DEFAULT]\nenable_isolated_metadata = True\n')
      for (const scenario of ['pathid', 'pathnet']) {
        const r = await create(scenario, '--wait', '--wait-timeout', '1', '--state-path', join(dir, 'state'), '--config-file', join(dir, 'dhcp_agent.ini'))
        expect(r.status).toBe(3)
        oneCleanLine(r)
        expect(r.stderr).toMatch(/not a UUID: "\.\.\/\.\.\/\.\.(\/\.\.\/tmp\/x)?"; the subnet may have been created/)
        expect(r.stderr).not.toContain('waiting up to')
        expect(r.stdout).toBe('')
      }
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('a network found by name with a path-shaped id: exit 3, and no POST is sent with it', async () => {
    seen.length = 0
    const r = await run(['subnet', 'create', 'net1', '172.17.17.0/24', '--os-auth-type', 'none', '--os-endpoint', `${base}/badid`])
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain('the API answered a network whose id is not a UUID: "../../../etc"')
    expect(seen.map((s) => s.method)).toEqual(['GET'])
  })
})

describe('server text is printed clean and short', () => {
  it('a NeutronError with escapes, CR, NUL, bidi and 5000 chars: one clean line, cut with a note, exit 1', async () => {
    const r = await create('ansi')
    expect(r.status).toBe(1)
    oneCleanLine(r)
    expect(r.stderr).toContain('HTTP 409: OverQuota: RED bell gnp.exe yyy')
    expect(r.stderr).toMatch(/y+\.\.\. \(cut at 300 chars\)\n$/)
    expect(r.stderr.length).toBeLessThan(500)
  })

  it('a Keystone 401 with escapes: one clean line, exit 3', async () => {
    const r = await run(['subnet', 'create', NET, '172.17.17.0/24'], {
      OS_AUTH_URL: `${base}/ks-ansi/v3`,
      OS_PASSWORD: 'p',
      OS_PROJECT_NAME: 'demo',
      OS_USERNAME: 'u',
    })
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain('authentication failed at')
    expect(r.stderr).toContain('(cut at 300 chars)')
  })

  it('a catalog with null entries and a file:// network URL: exit 3 naming it, no TypeError', async () => {
    const r = await run(['subnet', 'create', NET, '172.17.17.0/24'], {
      OS_AUTH_URL: `${base}/ks-badcat/v3`,
      OS_PASSWORD: 'p',
      OS_PROJECT_NAME: 'demo',
      OS_USERNAME: 'u',
    })
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.stderr).toContain('quantum-meta: the catalog\'s public network endpoint is not an http(s) URL: "file:///etc/shadow"')
  })

  it('a Keystone version document of the wrong shape, a v2.0 token with CR LF: exit 3 in one line', async () => {
    const creds = {OS_PASSWORD: 'p', OS_PROJECT_NAME: 'demo', OS_USERNAME: 'u'}
    const disc = await run(['subnet', 'create', NET, '172.17.17.0/24'], {...creds, OS_AUTH_URL: `${base}/ks-disc`})
    expect(disc.status).toBe(3)
    oneCleanLine(disc)
    expect(disc.stderr).toContain('does not look like Keystone (no v3 or v2.0 in its version document)')
    const tok = await run(['subnet', 'create', NET, '172.17.17.0/24'], {...creds, OS_AUTH_URL: `${base}/ks2-badtoken/v2.0`})
    expect(tok.status).toBe(3)
    oneCleanLine(tok)
    expect(tok.stderr).toContain('(access.token.id) answered a token that is not printable ASCII')
  })

  it('an HTML error of 2 MB of "<" is read in linear time', async () => {
    const r = await create('angles')
    expect(r.status).toBe(3)
    oneCleanLine(r)
    expect(r.ms).toBeLessThan(8000)
  })

  it("escape sequences in a created subnet's fields never reach the terminal", async () => {
    const r = await create('escname')
    expect(r.status).toBe(0)
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    expect(r.stdout).toMatch(/\| name +\| subname +\|\n/)
  })
})

describe('slow answers', () => {
  it('a 201 that arrives slowly but whole is a success', async () => {
    const r = await create('slow', '-f', 'value', '-c', 'id')
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${SUB}\n`, ''])
  })

  it('a body that stalls after the status line is a ResponseError carrying the status (the POST may have worked)', async () => {
    const err = await request('POST', `${base}/stall/v2.0/subnets`, {body: {}, timeoutMs: 500}).catch((error: unknown) => error)
    expect(err).toBeInstanceOf(ResponseError)
    expect(err).toMatchObject({exit: 3, status: 201})
    expect((err as Error).message).toBe(
      `POST ${base}/stall/v2.0/subnets answered HTTP 201 but its body was not complete within 0.5 s (the API timeout: --os-timeout, OS_TIMEOUT)`,
    )
  })
})

describe('--debug never prints userinfo', () => {
  it('an endpoint URL with user:password@ shows ***@ in every debug line and message', async () => {
    const port = new URL(base).port
    const r = await run([
      'subnet',
      'create',
      NET,
      '172.17.17.0/24',
      '--debug',
      '--os-auth-type',
      'none',
      '--os-endpoint',
      `http://alice:s3cr3t-pw@127.0.0.1:${port}/ok`,
    ])
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(/debug: POST http:\/\/\*\*\*@127\.0\.0\.1:\d+\/ok\/v2\.0\/subnets -> 201/)
    expect(r.stdout + r.stderr).not.toMatch(/s3cr3t-pw|alice/)
    const bad = await run([
      'subnet',
      'create',
      NET,
      '172.17.17.0/24',
      '--debug',
      '--os-auth-type',
      'none',
      '--os-endpoint',
      `http://alice:s3cr3t-pw@127.0.0.1:${port}/ansi`,
    ])
    expect(bad.status).toBe(1)
    expect(bad.stdout + bad.stderr).not.toMatch(/s3cr3t-pw|alice/)
  })
})

describe('section 8: bad input is refused locally, exit 2, nothing sent', () => {
  it.each([
    [['--wait-timeout', '-5'], /--wait-timeout|greater than or equal to 1/],
    [['--wait-timeout=-5'], /greater than or equal to 1/],
    [['--wait-timeout', '0'], /greater than or equal to 1/],
  ])('%j is refused', async (flags, text) => {
    seen.length = 0
    const r = await create('ok', '--wait', ...flags)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(text)
    expect(seen).toEqual([])
  })

  it('--os-auth-type bogus names the type and the supported ones, not a missing OS_AUTH_URL', async () => {
    const r = await run(['subnet', 'create', NET, '172.17.17.0/24', '--os-auth-type', 'bogus'])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(
      'quantum-meta: --os-auth-type: unsupported auth type "bogus"; supported: password, v3password, v2password, token, v3token, v2token, v3applicationcredential, none, noauth\n',
    )
    const env = await run(['subnet', 'create', NET, '172.17.17.0/24'], {OS_AUTH_TYPE: 'v3oidcpassword', OS_AUTH_URL: `${base}/ok/v3`})
    expect(env.status).toBe(2)
    expect(env.stderr).toMatch(/^quantum-meta: OS_AUTH_TYPE: unsupported auth type "v3oidcpassword"; supported: password/)
  })

  it.each([
    ['--allocation-pool', 'start=10.9.9.10,end=10.9.9.20', /10\.9\.9\.10-10\.9\.9\.20 is not inside 172\.17\.17\.0\/24/],
    ['--allocation-pool', 'start=172.17.17.50,end=172.17.17.10', /start 172\.17\.17\.50 comes after end 172\.17\.17\.10/],
    ['--allocation-pool', 'start=172.17.17.10,end=172.17.17.20=x', /--allocation-pool wants start=…,end=…/],
    ['--allocation-pool', 'start=172.17.17.10,start=172.17.17.11', /gives start= twice/],
    ['--allocation-pool', 'start=2001:db8::1,end=2001:db8::2', /must be IPv4 addresses/],
    ['--host-route', 'destination=foo,gateway=bar', /--host-route "destination=foo,gateway=bar": destination must be an IPv4 CIDR/],
    ['--host-route', 'destination=10.0.0.0/8,nexthop=10.0.0.300', /the gateway \(next hop\) must be an IPv4 address/],
    ['--host-route', 'destination=10.0.0.0/33,gateway=172.17.17.1', /destination must be an IPv4 CIDR/],
    ['--host-route', 'destination=10.0.0.0/8', /lacks gateway=/],
  ])('%s %s', async (flag, value, text) => {
    seen.length = 0
    const r = await create('ok', flag, value)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(text)
    expect(r.stderr.split('\n')).toHaveLength(2)
    expect(seen).toEqual([])
  })

  it('two overlapping pools are refused; good pools and routes (nexthop= or gateway=) are sent as Neutron wants them', async () => {
    const clash = await create('ok', '--allocation-pool', 'start=172.17.17.10,end=172.17.17.20', '--allocation-pool', 'start=172.17.17.20,end=172.17.17.30')
    expect([clash.status, clash.stderr]).toEqual([
      2,
      'quantum-meta: --allocation-pool start=172.17.17.20,end=172.17.17.30 overlaps --allocation-pool start=172.17.17.10,end=172.17.17.20\n',
    ])
    seen.length = 0
    const ok = await create(
      'ok',
      '--allocation-pool',
      'start=172.17.17.10,end=172.17.17.20',
      '--host-route',
      'destination=10.0.0.0/8,nexthop=172.17.17.1',
      '--host-route',
      'destination=192.0.2.0/24,gateway=172.17.17.2',
    )
    expect(ok.status).toBe(0)
    // the POST, then (a gateway-less IPv4 subnet with DHCP) the agent list that tells whether the cloud is ML2/OVN
    expect(seen.map((s) => s.method)).toEqual(['POST', 'GET'])
    const v6 = await run([
      'subnet',
      'create',
      NET,
      '2001:db8:1::/64',
      '--ip-version',
      '6',
      '--os-auth-type',
      'none',
      '--os-endpoint',
      `${base}/ok`,
      '--allocation-pool',
      'start=2001:db8:1::10,end=2001:db8:1::ffff',
    ])
    expect(v6.status).toBe(0)
    const v6out = await run([
      'subnet',
      'create',
      NET,
      '2001:db8:1::/64',
      '--ip-version',
      '6',
      '--os-auth-type',
      'none',
      '--os-endpoint',
      `${base}/ok`,
      '--allocation-pool',
      'start=2001:db8:1::10,end=2001:db8:2::1',
    ])
    expect(v6out.status).toBe(2)
    expect(v6out.stderr).toContain('is not inside 2001:db8:1::/64')
  })
})

describe('--os-cacert must name a readable regular file', () => {
  it('a missing file, a directory, a FIFO and a file without a certificate: exit 2 naming the path, no hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-cacert-'))
    try {
      const fifo = join(dir, 'fifo.pem')
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
      writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n')
      const cases: [string, string][] = [
        [join(dir, 'missing.pem'), 'no such file or directory'],
        [dir, 'is a directory'],
        [fifo, 'not a regular file'],
        [join(dir, 'empty.pem'), 'no PEM certificate in it (-----BEGIN CERTIFICATE-----)'],
      ]
      for (const [path, why] of cases) {
        const r = await run(
          ['subnet', 'create', NET, '172.17.17.0/24', '--os-auth-type', 'none', '--os-endpoint', 'https://127.0.0.1:9/', '--os-cacert', path],
          {},
          10_000,
        )
        expect(r.status).toBe(2)
        expect(r.stderr).toBe(`quantum-meta: CA bundle ${path} (--os-cacert, OS_CACERT or cacert in clouds.yaml): ${why}\n`)
      }
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
