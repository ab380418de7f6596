/**
 * The L3 agent chain's live collector against a router built from real parts on this machine: a
 * qrouter-<uuid> namespace with the rules a real Zed L3 agent wrote (test/fixtures/router/
 * iptables-save-c.txt, loaded with this machine's iptables-restore), a qr- veth holding the gateway, the
 * agent's haproxy config (the real one, paths moved) run by real haproxy, a stand-in metadata agent on
 * the UNIX socket (it answers 404 like Nova for an unknown address) and a stand-in neutron-l3-agent
 * process. An instance namespace whose default route is the router curls 169.254.169.254: its answer
 * is the truth each verdict must agree with. Without API credentials (the router is found by its qr-
 * device holding the gateway named in the DHCP opts). The real L3 agent's tests are the harness's.
 * Needs root, iptables, haproxy, curl, python3; names are random, everything is removed after.
 */
import {type ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

const isRoot = process.getuid?.() === 0
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0
const ready = isRoot && ['iptables-restore', 'haproxy', 'curl', 'python3'].every(has)
const fx = (f: string) => readFileSync(new URL(`../fixtures/router/${f}`, import.meta.url), 'utf8')
const ip = (...args: string[]) => execFileSync('ip', args, {encoding: 'utf8'})

const AGENT = `import os,socket,sys
p=sys.argv[1]
try: os.unlink(p)
except OSError: pass
s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(16)
while True:
  c,_=s.accept()
  try:
    if c.recv(65536): c.sendall(b'HTTP/1.1 404 Not Found\\r\\nContent-Length: 9\\r\\nConnection: close\\r\\n\\r\\nnot found')
  except OSError: pass
  c.close()
`

interface Router {
  id: string
  network: string
  ns: string
  vm: string
  root: string
  state: string
  config: string
  haproxyPid: () => number
  startHaproxy: () => void
  metadataAgent?: ChildProcess
  l3Agent?: ChildProcess
  nova?: ChildProcess
  cleanup: () => void
}

/** The content of a file another process writes whole (renamed into place), waited for up to 10 s. */
function waitForFile(path: string): string {
  for (let i = 0; i < 200; i++) {
    if (existsSync(path)) return readFileSync(path, 'utf8').trim()
    execFileSync('sleep', ['0.05'])
  }
  throw new Error(`${path} never appeared`)
}

function buildRouter(): Router {
  const id = randomUUID()
  const network = randomUUID()
  const ns = `qrouter-${id}`
  const vm = `qm-l3vm-${id.slice(0, 8)}`
  const root = mkdtempSync(join(tmpdir(), 'qm-l3-'))
  const state = join(root, 'state')
  for (const d of ['external/pids', 'ns-metadata-proxy', `dhcp/${network}`, 'bin']) mkdirSync(join(state, d), {recursive: true})
  const dev = `qr-${id.slice(0, 11)}`
  const made: string[] = []
  const r: Router = {
    cleanup() {
      for (const c of [r.metadataAgent, r.l3Agent, r.nova]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
      try {
        process.kill(r.haproxyPid(), 'SIGKILL')
      } catch {
        // not running
      }
      for (const n of made) spawnSync('ip', ['netns', 'delete', n])
      rmSync(root, {force: true, recursive: true})
    },
    config: join(root, 'l3_agent.ini'),
    haproxyPid: () => Number(readFileSync(join(state, 'external', 'pids', `${id}.pid.haproxy`), 'utf8')),
    id,
    network,
    ns,
    root,
    startHaproxy: () => execFileSync('ip', ['netns', 'exec', ns, 'haproxy', '-f', join(state, 'ns-metadata-proxy', `${id}.conf`)]),
    state,
    vm,
  }
  try {
    for (const n of [ns, vm]) {
      ip('netns', 'add', n)
      made.push(n)
    }
    ip('link', 'add', dev, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm)
    for (const [n, d, a] of [
      [ns, dev, '203.0.113.1/24'],
      [vm, 'eth0', '203.0.113.10/24'],
    ]) {
      ip('-n', n, 'link', 'set', 'lo', 'up')
      ip('-n', n, 'addr', 'add', a, 'dev', d)
      ip('-n', n, 'link', 'set', d, 'up')
    }
    ip('-n', vm, 'route', 'add', 'default', 'via', '203.0.113.1')
    execFileSync('ip', ['netns', 'exec', ns, 'iptables-restore'], {input: fx('iptables-save-c.txt').replace(/^\[\d+:\d+\] /gm, '')})
    writeFileSync(
      join(state, 'dhcp', network, 'opts'),
      'tag:subnet-x,option:classless-static-route,169.254.169.254/32,203.0.113.1,0.0.0.0/0,203.0.113.1\ntag:subnet-x,option:router,203.0.113.1',
    )
    writeFileSync(r.config, `[DEFAULT]\ninterface_driver = linuxbridge\nenable_metadata_proxy = True\nmetadata_port = 9697\nstate_path = ${state}\n`)
    const conf = fx('haproxy.conf')
      .replaceAll('7f81dddf-f7cf-4161-bbae-551f6b32b521', id)
      .replaceAll('/var/lib/neutron', state)
      .replace(/^\s*(user|group)\s.*\n/gm, '')
    writeFileSync(join(state, 'ns-metadata-proxy', `${id}.conf`), conf)
    writeFileSync(join(root, 'agent.py'), AGENT)
    r.metadataAgent = spawn('python3', [join(root, 'agent.py'), join(state, 'metadata_proxy')], {stdio: 'ignore'})
    // Nova's metadata API as the agent's config names it (metadata_agent.ini beside l3_agent.ini): a stand-in on
    // 127.0.0.1 that answers GET / with the version list, as Nova does (nova.reach with --probe)
    copyFileSync(fileURLToPath(new URL('./rig/assets/nova-standin.py', import.meta.url)), join(root, 'nova.py'))
    r.nova = spawn('python3', [join(root, 'nova.py'), join(root, 'nova-port')], {stdio: 'ignore'})
    const novaPort = waitForFile(join(root, 'nova-port'))
    writeFileSync(
      join(root, 'metadata_agent.ini'),
      `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = ${novaPort}\nmetadata_proxy_shared_secret = l3-rig-secret\n`,
    )
    const program = join(state, 'bin', 'neutron-l3-agent')
    writeFileSync(program, 'import time\ntime.sleep(600)\n')
    r.l3Agent = spawn('python3', [program, '--config-file', r.config], {stdio: 'ignore'})
    r.startHaproxy()
  } catch (error) {
    r.cleanup()
    throw error
  }
  return r
}

/** What the instance gets: the HTTP status, or curl's exit code (7 refused/unreachable, 28 timeout). */
function truth(r: Router): string {
  const c = spawnSync(
    'ip',
    ['netns', 'exec', r.vm, 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://169.254.169.254/latest/meta-data/'],
    {
      encoding: 'utf8',
    },
  )
  return c.status === 0 ? c.stdout : `curl exit ${c.status}`
}

const diagnose = (r: Router) =>
  cli(['diagnose', r.network, '--backend', 'l3-agent', '--config-file', r.config, '--state-path', r.state, '--no-api', '--probe', '--json'])
const firstBroken = (json: {findings: {id: string; status: string}[]}) => json.findings.find((f) => f.status === 'fail')?.id

let router: Router | undefined
afterEach(() => {
  router?.cleanup()
  router = undefined
})

const waitFor = async (ok: () => boolean) => {
  for (let i = 0; i < 50 && !ok(); i++) await new Promise((res) => setTimeout(res, 100))
}

describe.skipIf(!ready)('the L3 agent chain, collected live from a router made of real parts', () => {
  it('healthy: the instance gets its answer; diagnose exits 0 with every link judged, the marked probe answered', async () => {
    router = buildRouter()
    await waitFor(() => truth(router!) === '404')
    expect(truth(router)).toBe('404')
    const r = diagnose(router)
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.json.backend).toBe('l3-agent')
    // every link judged: nothing but skips the operator did not ask for (--probe-as, --nova-config) or that hold no verdict (the log)
    expect(
      r.json.findings.filter((f: {status: string; skipped?: string}) => f.status !== 'pass' && f.skipped === undefined).map((f: {id: string}) => f.id),
    ).toEqual([])
    const probe = r.json.findings.find((f: {id: string}) => f.id === 'l3.probe')
    expect(probe.evidence[0]).toMatch(/GET http:\/\/127\.0\.0\.1:9697\/ \(SO_MARK 0x1\): HTTP 404/)
    // --all: the networks of this node's routers (here: the DHCP opts of the state path whose gateway a qr- device holds)
    const all = cli(['diagnose', '--all', '--backend', 'l3-agent', '--config-file', router.config, '--state-path', router.state, '--no-api', '--json'])
    expect(all.json.networks.map((n: {network: string}) => n.network)).toEqual([router.network])
  })

  it('each fault: the instance breaks and diagnose names the link (proxy killed, redirect deleted, metadata agent stopped)', async () => {
    router = buildRouter()
    await waitFor(() => truth(router!) === '404')
    const faults: [string, () => void, string, () => void][] = [
      ['proxy killed', () => process.kill(router!.haproxyPid(), 'SIGKILL'), 'l3.proxy', () => router!.startHaproxy()],
      [
        'redirect deleted',
        () => ip('netns', 'exec', router!.ns, 'iptables', '-t', 'nat', '-D', 'neutron-l3-agent-PREROUTING', ...REDIRECT),
        'l3.redirect',
        () => ip('netns', 'exec', router!.ns, 'iptables', '-t', 'nat', '-A', 'neutron-l3-agent-PREROUTING', ...REDIRECT),
      ],
      ['metadata agent stopped', () => router!.metadataAgent!.kill('SIGKILL'), 'l3.upstream', () => {}],
    ]
    for (const [name, breakIt, link, restore] of faults) {
      breakIt()
      await new Promise((res) => setTimeout(res, 200))
      const seen = truth(router)
      expect(seen, name).not.toBe('404')
      const r = diagnose(router)
      expect([r.status, firstBroken(r.json)], `${name}: the instance got ${seen}`).toEqual([1, link])
      restore()
    }
  })

  it('the namespace deleted: without API credentials the router is no longer found, and the DHCP side routing via it is a warning', async () => {
    router = buildRouter()
    process.kill(router.haproxyPid(), 'SIGKILL')
    ip('netns', 'delete', router.ns)
    expect(truth(router)).toMatch(/^curl exit/)
    const r = diagnose(router)
    const f = r.json.findings.find((x: {id: string}) => x.id === 'l3.router')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/no qrouter namespace on this node has it/)
  })
})

const REDIRECT = ['-d', '169.254.169.254/32', '-i', 'qr-+', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'REDIRECT', '--to-ports', '9697']
