// The collection past the metadata agent (src/node/nova.ts) against real sockets on this machine: a
// stand-in agent on a UNIX socket in a temp dir (what it is sent, how its answer is kept), and a
// stand-in Nova on 127.0.0.1 over plain HTTP and over TLS with a certificate made here by openssl
// (the protocol and certificate mismatches the real Zed agent fails on, ../shared/lab/README.md).
// Loopback only.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {agentNovaSettings} from '../../src/config/nova.js'
import {askAsInstance, collectNova, reachNova} from '../../src/node/nova.js'

const NET = '5f0c3b53-7c43-4f73-a0d3-6a6f3d1f6a1e'
const SECRET = 'stand-in-secret-never-printed'
let dir: string
const servers: Server[] = []
const listen = (s: Server, where: string | number) =>
  new Promise<void>((resolve) => {
    servers.push(s)
    if (typeof where === 'string') s.listen(where, resolve)
    else s.listen(where, '127.0.0.1', resolve)
  })
const portOf = (s: Server) => (s.address() as AddressInfo).port

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-nova-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '2',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    {stdio: 'ignore'},
  )
})
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  rmSync(dir, {force: true, recursive: true})
})

describe('asking the agent as an instance (--probe-as)', () => {
  let seen: IncomingHttpHeaders | undefined
  let seenPath: string | undefined
  let answer: (res: import('node:http').ServerResponse) => void
  const sock = () => join(dir, 'metadata_proxy')
  beforeAll(async () => {
    await listen(
      createServer((req, res) => {
        seen = req.headers
        seenPath = req.url
        answer(res)
      }),
      sock(),
    )
  })

  it('sends what the DHCP proxy adds for the instance; keeps status and size of a 200, never its body', async () => {
    answer = (res) => res.writeHead(200, {'Content-Type': 'text/plain'}).end('2012-08-10\nlatest')
    const r = await askAsInstance({from: '--probe-as', headers: {'X-Neutron-Network-ID': NET}, ip: '198.51.100.7', socket: sock()})
    expect(seenPath).toBe('/openstack')
    expect(seen).toMatchObject({'x-forwarded-for': '198.51.100.7', 'x-neutron-network-id': NET})
    expect(seen?.['x-neutron-router-id']).toBeUndefined()
    expect(r).toMatchObject({bytes: 17, contentType: 'text/plain', status: 200})
    expect(r.errorBody).toBeUndefined()
  })

  it('keeps the first bytes of an error page (whose page it is), at most 512', async () => {
    const page = `<h1>403 Forbidden</h1> Access was denied to this resource.${'x'.repeat(5000)}`
    answer = (res) => res.writeHead(403).end(page)
    const r = await askAsInstance({from: '--probe-as', headers: {'X-OVN-Network-ID': NET}, ip: '198.51.100.8', socket: sock()})
    expect(r.status).toBe(403)
    expect(r.errorBody?.startsWith('<h1>403 Forbidden</h1> Access was denied')).toBe(true)
    expect(r.errorBody).toHaveLength(512)
    expect(r.bytes).toBe(Buffer.byteLength(page))
  })

  it('an agent that never answers (waiting on a black-holed Nova) is a timeout, not a hang', async () => {
    answer = () => {}
    const r = await askAsInstance({from: '--probe-as', headers: {}, ip: '198.51.100.9', socket: sock()}, 300)
    expect(r.error).toBe('timeout')
  })

  it('an agent that trickles a byte at a time is stopped at the deadline, not kept alive by each byte', async () => {
    const timers: NodeJS.Timeout[] = []
    answer = (res) => {
      res.writeHead(500)
      timers.push(setInterval(() => res.write('x'), 50))
    }
    const r = await askAsInstance({from: '--probe-as', headers: {}, ip: '198.51.100.9', socket: sock()}, 400)
    for (const t of timers) clearInterval(t)
    expect(r.error).toBe('timeout')
  })

  it("an error page's secret-looking values are redacted before they are kept", async () => {
    answer = (res) => res.writeHead(500).end('Traceback: requests to https://nova:hunter2-pass@10.0.0.5:8775/ failed')
    const r = await askAsInstance({from: '--probe-as', headers: {}, ip: '198.51.100.9', socket: sock()})
    expect(r.errorBody).toContain('https://nova:')
    expect(r.errorBody).not.toContain('hunter2-pass')
  })

  it('no socket: the error code', async () => {
    const r = await askAsInstance({from: '--probe-as', headers: {}, ip: '198.51.100.9', socket: join(dir, 'none')})
    expect(r.error).toBe('ENOENT')
  })
})

describe("asking Nova the agent's way (--probe)", () => {
  let plain: number
  let tls: number
  let closed: number
  let asked = 0
  beforeAll(async () => {
    const versions = (_req: unknown, res: import('node:http').ServerResponse) => {
      asked++
      res.writeHead(200).end('2012-08-10\nlatest')
    }
    const p = createServer(versions)
    await listen(p, 0)
    plain = portOf(p)
    const t = createTlsServer({cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem'))}, versions)
    await listen(t, 0)
    tls = portOf(t)
    const c = createServer()
    await listen(c, 0)
    closed = portOf(c)
    await new Promise((r) => c.close(r))
  })
  const agent = (extra: string) => {
    const ini = join(dir, `agent-${Math.random()}.ini`)
    writeFileSync(ini, `[DEFAULT]\nnova_metadata_host = 127.0.0.1\n${extra}`)
    return {files: [{content: readFileSync(ini, 'utf8'), path: ini}], s: agentNovaSettings([{content: readFileSync(ini, 'utf8'), path: ini}], 'neutron')!}
  }

  it('http to a plain Nova: 200', async () => {
    const a = agent(`nova_metadata_port = ${plain}\n`)
    expect(await reachNova(a.s, a.files)).toMatchObject({status: 200, url: `http://127.0.0.1:${plain}/`})
  })

  it('https to a plain Nova: the handshake fails, and plain HTTP on the same port answers', async () => {
    const a = agent(`nova_metadata_port = ${plain}\nnova_metadata_protocol = https\n`)
    const r = await reachNova(a.s, a.files)
    expect(r.status).toBeUndefined()
    expect(r.otherScheme).toBe('http 200')
  })

  it('http to a TLS Nova: no HTTP answer, and a TLS handshake completes there', async () => {
    const a = agent(`nova_metadata_port = ${tls}\n`)
    const r = await reachNova(a.s, a.files)
    expect(r.status).toBeUndefined()
    expect(r.otherScheme).toBe('tls')
  })

  it('https without the CA: the certificate error; with auth_ca_cert naming it: 200', async () => {
    const bare = agent(`nova_metadata_port = ${tls}\nnova_metadata_protocol = https\n`)
    expect((await reachNova(bare.s, bare.files)).error).toMatch(/SELF_SIGNED|CERT/)
    const ca = agent(`nova_metadata_port = ${tls}\nnova_metadata_protocol = https\nauth_ca_cert = ${join(dir, 'cert.pem')}\n`)
    expect(await reachNova(ca.s, ca.files)).toMatchObject({status: 200})
  })

  it('every network of one run reaches the same Nova: it is asked once, each network gets the answer', async () => {
    const ini = join(dir, 'shared-agent.ini')
    writeFileSync(ini, `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = ${plain}\n`)
    const reached = new Map()
    const before = asked
    const runs = await Promise.all([1, 2, 3].map(() => collectNova({agentConfigs: [ini], layout: 'neutron', novaFound: null, probe: true, reached})))
    expect(runs.map((r) => r.reach?.status)).toEqual([200, 200, 200])
    expect(asked - before).toBe(1)
  })

  it('nothing listening: ECONNREFUSED', async () => {
    const a = agent(`nova_metadata_port = ${closed}\n`)
    expect(await reachNova(a.s, a.files)).toMatchObject({error: 'ECONNREFUSED'})
  })
})

describe("Nova's config beside the agent's (--nova-config)", () => {
  it('the secrets compared here: equal or differ, neither kept; the config kept redacted', async () => {
    const ini = join(dir, 'metadata_agent.ini')
    const nova = join(dir, 'nova.conf')
    writeFileSync(ini, `[DEFAULT]\nmetadata_proxy_shared_secret = ${SECRET}\n`)
    writeFileSync(nova, `[neutron]\nservice_metadata_proxy = true\nmetadata_proxy_shared_secret = ${SECRET}\n`)
    const same = await collectNova({agentConfigs: [ini], layout: 'neutron', novaConfig: nova, probe: false})
    expect(same).toMatchObject({configFrom: '--nova-config', secrets: 'equal'})
    expect(JSON.stringify(same)).not.toContain(SECRET)
    expect(same.config?.content).toContain('metadata_proxy_shared_secret = <redacted>')
    writeFileSync(nova, `[neutron]\nservice_metadata_proxy = true\nmetadata_proxy_shared_secret = ${SECRET}-old\n`)
    expect((await collectNova({agentConfigs: [ini], layout: 'neutron', novaConfig: nova, probe: false})).secrets).toBe('differ')
  })
})
