// Secrets never leave the machine: planted markers in every file and process `collect` reads, and in
// the error paths that quote input, must appear nowhere in a snapshot, on stdout or on stderr.
// The collect tests need root (collect reads other users' /proc entries); they make no namespace:
// the network's namespace is simply absent, the rest (files, pid files, processes) is real.
import {type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {FakeProcesses} from '../helpers/proc.js'
import {cli, cliAsync} from '../helpers/cli.js'

const NET = '5e2a7c11-0d4b-4e6a-9c3f-2b1d8e7f6a90'
const isRoot = process.getuid?.() === 0
// markers: unique, and none of them holds a word the redaction keys on
const M = (n: number) => `QMLEAK${n}Z`
const leaked = (text: string) => [...new Set(text.match(/QMLEAK\d+Z/g) ?? [])]

let dir: string
const fakes = new FakeProcesses()
const fake = (argv0: string, args: string[]) => fakes.start(argv0, args)

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qm-secrets-'))
})
afterAll(() => {
  fakes.end()
  rmSync(dir, {force: true, recursive: true})
})

describe.skipIf(!isRoot)('collect: no planted secret in the snapshot, on stdout or on stderr', () => {
  let paths: {conf: string; md: string; state: string}
  let agentPid: number
  beforeAll(async () => {
    const state = join(dir, 'state')
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    mkdirSync(join(state, 'external', 'pids'), {recursive: true})
    mkdirSync(join(state, 'ns-metadata-proxy'), {recursive: true})
    mkdirSync(join(dir, 'conf.d'))
    const conf = join(dir, 'dhcp_agent.ini')
    writeFileSync(
      conf,
      [
        '[DEFAULT]',
        'enable_isolated_metadata = True',
        `metadata_proxy_shared_secret = ${M(1)}`,
        `  ${M(2)}`,
        `transport_url = rabbit://neutron:${M(3)}@10.0.0.5:5672,neutron:${M(4)}@10.0.0.6:5672/`,
        `#metadata_proxy_shared_secret = ${M(5)}`,
        `# admin_password = ${M(6)}`,
        `My Odd Secret Name = ${M(7)}`,
        `ssl_key_file = /etc/neutron/${M(8)}.pem`,
        '[database]',
        `connection = mysql+pymysql://neutron:${M(9)}@db/neutron`,
        '[keystone_authtoken]',
        `password: ${M(10)}`,
        '',
      ].join('\n'),
    )
    const md = join(dir, 'metadata_agent.ini')
    writeFileSync(
      md,
      [
        '[DEFAULT]',
        `metadata_proxy_socket = ${state}/metadata_proxy`,
        'nova_metadata_host = 10.0.0.5',
        `metadata_proxy_shared_secret = "${M(11)}"`,
        `\t${M(12)}`,
        `auth_url = http://admin:${M(13)}@keystone:5000/v3`,
        `; admin_password = ${M(14)}`,
        '[cache]',
        `memcache_secret_key = ${M(15)}`,
        '',
      ].join('\n'),
    )
    // the agent's own config files (cut down to the switches, but a switch may hold anything)
    writeFileSync(
      join(dir, 'neutron.conf'),
      `[DEFAULT]\ntransport_url = rabbit://u:${M(16)}@h/\nforce_metadata = http://u:${M(17)}@h/\n[database]\npassword = ${M(18)}\n`,
    )
    writeFileSync(join(dir, 'conf.d', '10-secret.conf'), `[DEFAULT]\nenable_metadata_network = False\nmetadata_proxy_shared_secret = ${M(19)}\n`)
    writeFileSync(
      join(state, 'ns-metadata-proxy', `${NET}.conf`),
      [
        'global',
        '    user neutron',
        'userlist admins',
        `    user admin insecure-password ${M(20)}`,
        'listen listener',
        '    bind 169.254.169.254:80',
        `    server metadata ${state}/metadata_proxy`,
        `    http-request set-header X-Neutron-Network-ID ${NET}`,
        `    http-request set-header X-Auth-Token ${M(21)}`,
        `    stats auth admin:${M(22)}`,
        `#   stats auth admin:${M(23)}`,
        '',
      ].join('\n'),
    )
    writeFileSync(join(state, 'dhcp', NET, 'opts'), `tag:tag0,option:classless-static-route,169.254.169.254/32,10.0.0.2\n# http://u:${M(24)}@h/\n`)
    const agent = fake('/usr/bin/neutron-dhcp-agent', [
      '--config-file',
      join(dir, 'neutron.conf'),
      '--config-dir',
      join(dir, 'conf.d'),
      '--os-password',
      M(30),
      `--transport-url=rabbit://u:${M(31)}@h/`,
    ])
    const dnsmasq = fake('dnsmasq', ['--no-hosts', `--dhcp-optsfile=${state}/dhcp/${NET}/opts`, `--password=${M(32)}`])
    const haproxy = fake('haproxy', ['-f', `${state}/ns-metadata-proxy/${NET}.conf`, '--secret', M(33)])
    await new Promise((r) => setTimeout(r, 300))
    writeFileSync(join(state, 'dhcp', NET, 'pid'), `${dnsmasq.pid}\n`)
    writeFileSync(join(state, 'external', 'pids', `${NET}.pid.haproxy`), `${haproxy.pid}\n`)
    agentPid = agent.pid!
    paths = {conf, md, state}
  })

  const flags = () => ['--config-file', paths.conf, '--metadata-agent-config', paths.md, '--state-path', paths.state, '--no-api']

  it('collect to stdout (with --debug): every file kind and every process, none of 33 markers; the values checks need stay', () => {
    const r = cli(['collect', NET, ...flags(), '--debug'])
    expect(r.stderr).not.toMatch(/internal error/)
    expect(r.status).toBe(0)
    expect(leaked(r.stdout + r.stderr)).toEqual([])
    const ev = r.json.networks[0]
    // the test reached every kind of record it planted markers in
    expect(ev.agents.some((a: {pid: number}) => a.pid === agentPid)).toBe(true)
    const agent = ev.agents.find((a: {pid: number}) => a.pid === agentPid)
    expect(agent.configs.map((c: {content?: string}) => c.content !== undefined)).toEqual([true, true])
    expect(ev.processes.map((p: {role: string; alive: boolean}) => `${p.role} ${p.alive}`).sort()).toEqual(['dnsmasq true', 'proxy true'])
    expect(ev.haproxyConfig.content).toContain(`http-request set-header X-Neutron-Network-ID ${NET}`)
    expect(ev.config.content).toContain('enable_isolated_metadata = True\nmetadata_proxy_shared_secret = <redacted>\n  <redacted>\n')
    expect(ev.config.content).toContain('transport_url = rabbit://neutron:<redacted>@10.0.0.6:5672/')
    expect(ev.metadataAgentConfig.content).toContain(`metadata_proxy_socket = ${paths.state}/metadata_proxy\nnova_metadata_host = 10.0.0.5\n`)
    expect(agent.cmdline.split('\0')).toContain(join(dir, 'neutron.conf'))
  })

  it('collect --output FILE, then diagnose that snapshot and diagnose live, human and --json: no marker anywhere', () => {
    const out = join(dir, 'snap.json')
    const r = cli(['collect', NET, ...flags(), '--output', out])
    expect(r.status).toBe(0)
    expect(leaked(readFileSync(out, 'utf8') + r.stdout + r.stderr)).toEqual([])
    for (const args of [
      ['diagnose', NET, '--snapshot', out],
      ['diagnose', NET, '--snapshot', out, '--json'],
      ['diagnose', NET, ...flags()],
      ['diagnose', NET, ...flags(), '--json', '--debug'],
    ]) {
      const d = cli(args)
      expect(d.stderr, args.join(' ')).not.toMatch(/internal error/)
      expect(leaked(d.stdout + d.stderr), args.join(' ')).toEqual([])
    }
    // the secret is still known to be set: metadata-agent.config does not warn about an empty one
    const d = cli(['diagnose', NET, '--snapshot', out, '--json'])
    const f = d.json.findings.find((x: {id: string}) => x.id === 'metadata-agent.config')
    expect(f.evidence.join('\n')).toContain('metadata_proxy_shared_secret = <redacted>')
  })
})

describe('error paths that quote input never quote a secret', () => {
  it('a config line oslo.config cannot read is quoted only when it names no secret (enable, --json too)', () => {
    const p = join(dir, 'bad.ini')
    writeFileSync(p, `[DEFAULT]\nadmin_password ${M(40)}\n`)
    for (const json of [[], ['--json']]) {
      const r = cli(['enable', '--config-file', p, ...json])
      expect(r.status).toBe(2)
      expect(r.stdout + r.stderr).toMatch(/line 2: not a section, comment or \\?"key = value/)
      expect(leaked(r.stdout + r.stderr)).toEqual([])
    }
  })

  it('the --dry-run diff and its --json never show a secret on a context line', () => {
    const p = join(dir, 'ctx.ini')
    writeFileSync(p, `[DEFAULT]\nmetadata_proxy_shared_secret = ${M(41)}\nenable_isolated_metadata = False\ntransport_url = rabbit://u:${M(42)}@h/\n`)
    for (const json of [[], ['--json']]) {
      const r = cli(['enable', '--config-file', p, '--dry-run', ...json])
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/\+enable_isolated_metadata = True/)
      expect(leaked(r.stdout + r.stderr)).toEqual([])
    }
    expect(readFileSync(p, 'utf8')).toContain(M(41))
  })

  it('a misspelt flag is named without its value, on every path (a command, a subcommand, help, before any command, --json)', () => {
    const cases = [
      ['enable', `--os-pasword=${M(50)}`],
      ['enable', `--os-pasword=${M(51)}`, '--json'],
      ['subnet', 'create', 'net', '10.0.0.0/24', `--os-pasword=${M(52)}`],
      ['diagnose', NET, `--os-pasword=${M(53)}`, '--json'],
      ['help', `--os-pasword=${M(54)}`],
      [`--os-pasword=${M(55)}`],
      [`--os-pasword=${M(56)}`, 'enable', '--json'],
      ['enable', `-p${M(57)}`],
      ['enable', '--', `--os-pasword=${M(58)}`],
    ]
    for (const args of cases) {
      const r = cli(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(leaked(r.stdout + r.stderr), args.join(' ')).toEqual([])
      expect(r.stdout + r.stderr, args.join(' ')).toMatch(/--os-pasword|-p\b|give a command/)
    }
  })
})

describe('an auth URL with userinfo is never quoted with its password (messages and the snapshot)', () => {
  let server: Server
  let url: string
  beforeAll(async () => {
    // a Keystone on 127.0.0.1 that refuses everyone: its error quotes the auth URL
    server = createServer((_req, res) => {
      res.writeHead(401, {'content-type': 'application/json'})
      res.end('{"error": {"message": "The request you have made requires authentication."}}')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://admin:${M(60)}@127.0.0.1:${(server.address() as AddressInfo).port}/v3`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('subnet create, human and --json: exit 3, the URL shown with its userinfo hidden (***@)', async () => {
    for (const json of [[], ['--json']]) {
      const r = await cliAsync([
        'subnet',
        'create',
        'net',
        '10.0.0.0/24',
        '--os-auth-url',
        url,
        '--os-username',
        'u',
        '--os-password',
        M(61),
        '--os-project-name',
        'p',
        ...json,
      ])
      expect(r.status).toBe(3)
      expect(r.stdout + r.stderr).toMatch(/authentication failed at http:\/\/\*\*\*@127\.0\.0\.1/)
      expect(leaked(r.stdout + r.stderr)).toEqual([])
    }
  })

  it.skipIf(!isRoot)('collect with the API: the snapshot keeps the error, not the password', async () => {
    const state = join(dir, 'api-state')
    mkdirSync(state, {recursive: true})
    const conf = join(dir, 'api-dhcp_agent.ini')
    writeFileSync(conf, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const env = {OS_AUTH_URL: url, OS_PASSWORD: M(62), OS_PROJECT_NAME: 'p', OS_USERNAME: 'u'}
    const r = await cliAsync(['collect', NET, '--config-file', conf, '--state-path', state, '--agent-host', 'node1'], {env})
    expect(r.status).toBe(0)
    expect(r.json.networks[0].api.error).toMatch(/http:\/\/\*\*\*@127\.0\.0\.1/)
    expect(leaked(r.stdout + r.stderr)).toEqual([])
  })
})
