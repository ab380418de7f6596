// Files named by a user, the environment or a state directory: regular files only, bounded, never a
// hang. Real FIFOs (mkfifo), real devices and sparse over-cap files, through the built binary with a
// timeout: on a5a34f4 every FIFO case here blocked forever in open()/read().
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readRegularFile, readRegularFileSync} from '../../src/system/read-file.js'
import {BIN} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const isRoot = process.getuid?.() === 0

/** The built CLI, killed after 10 s: a hang shows as status null and a long time. */
function run(args: string[], opts: {env?: NodeJS.ProcessEnv; cwd?: string} = {}) {
  const started = Date.now()
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', OS_AUTH_URL: '', OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '', OS_CLIENT_SECURE_FILE: '', ...opts.env},
    killSignal: 'SIGKILL',
    timeout: 10_000,
  })
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {json, ms: Date.now() - started, status: r.status, stderr: r.stderr, stdout: r.stdout}
}

let dir: string
let fifo: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-read-'))
  fifo = join(dir, 'fifo')
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
  symlinkSync(fifo, join(dir, 'fifo-link'))
})
afterAll(() => rmSync(dir, {force: true, recursive: true}))

describe('the reader', () => {
  it('refuses a FIFO, a symlink to one, a directory and a device without blocking, names what it is', async () => {
    for (const [path, what] of [
      [fifo, 'a FIFO'],
      [join(dir, 'fifo-link'), 'a FIFO'],
      [dir, 'a directory'],
      ['/dev/zero', 'a character device'],
    ]) {
      const r = await readRegularFile(path, 1024)
      expect(r).toMatchObject({kind: 'not-regular', ok: false, reason: `is ${what}, not a regular file`})
      expect(readRegularFileSync(path, 1024)).toMatchObject({kind: 'not-regular', ok: false})
    }
  })

  it('reads a regular file whole, and refuses one over the cap', async () => {
    const p = join(dir, 'small')
    writeFileSync(p, 'x'.repeat(5000))
    expect(await readRegularFile(p, 5000)).toMatchObject({ok: true, text: 'x'.repeat(5000)})
    expect(await readRegularFile(p, 4999)).toMatchObject({kind: 'too-large', ok: false})
    expect(readRegularFileSync(p, 4999)).toMatchObject({kind: 'too-large', ok: false})
    expect(await readRegularFile(join(dir, 'nope'), 10)).toMatchObject({code: 'ENOENT', kind: 'missing', ok: false})
    expect(await readRegularFile('', 10)).toMatchObject({kind: 'missing', ok: false, reason: 'an empty path names no file'})
  })

  it('bounds a file whose size stat does not tell (/proc reports 0)', async () => {
    const r = await readRegularFile('/proc/self/status', 1 << 20)
    expect(r.ok && r.text).toMatch(/^Name:/)
    expect(await readRegularFile('/proc/self/status', 10)).toMatchObject({kind: 'too-large', ok: false})
  })
})

describe('diagnose --snapshot', () => {
  it('a FIFO is exit 2 at once, naming the path (it blocked forever)', () => {
    const r = run(['diagnose', NET, '--snapshot', fifo])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${fifo}: is a FIFO, not a regular file\n`)
    expect(r.ms).toBeLessThan(5000)
  })

  it('a symlink to a FIFO, a directory, /dev/zero: exit 2 naming the path; --json one document', () => {
    expect(run(['diagnose', NET, '--snapshot', join(dir, 'fifo-link')]).stderr).toMatch(/fifo-link: is a FIFO, not a regular file/)
    expect(run(['diagnose', NET, '--snapshot', dir])).toMatchObject({status: 2, stderr: expect.stringMatching(/is a directory, not a regular file/)})
    const z = run(['diagnose', NET, '--snapshot', '/dev/zero', '--json'])
    expect(z.status).toBe(2)
    expect(z.json).toEqual({error: {code: 'not-a-regular-file', exit: 2, message: '/dev/zero: is a character device, not a regular file'}})
  })

  it('a snapshot over the cap is exit 2 saying so, without reading it', () => {
    const big = join(dir, 'big.json')
    writeFileSync(big, '')
    truncateSync(big, 40 * 1024 * 1024) // sparse: no disk used
    const r = run(['diagnose', NET, '--snapshot', big])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/big\.json: larger than 32 MiB, the most read from such a file/)
    rmSync(big)
  })

  it('an empty path says so (it said "give a network id, or --all")', () => {
    expect(run(['diagnose', NET, '--snapshot', ''])).toMatchObject({status: 2, stderr: 'quantum-meta: --snapshot: empty path\n'})
  })

  it('a missing snapshot is still exit 3 (cannot), naming the path', () => {
    const r = run(['diagnose', NET, '--snapshot', join(dir, 'nope.json'), '--json'])
    expect(r.status).toBe(3)
    expect(r.json.error).toMatchObject({code: 'snapshot-unreadable', message: `${join(dir, 'nope.json')}: no such file or directory`})
  })
})

describe('clouds.yaml and secure.yaml', () => {
  it('OS_CLIENT_CONFIG_FILE naming a FIFO is exit 2 at once (it blocked forever)', () => {
    const r = run(['subnet', 'create', 'net1', '10.0.0.0/24', '--os-cloud', 'lab'], {env: {OS_CLIENT_CONFIG_FILE: fifo}})
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${fifo}: is a FIFO, not a regular file\n`)
  })

  it('OS_CLIENT_SECURE_FILE naming a FIFO is exit 2 at once', () => {
    const clouds = join(dir, 'clouds.yaml')
    writeFileSync(clouds, 'clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:1/v3\n      username: u\n      project_name: p\n')
    const r = run(['subnet', 'create', 'net1', '10.0.0.0/24', '--os-cloud', 'lab'], {
      cwd: dir,
      env: {OS_CLIENT_CONFIG_FILE: clouds, OS_CLIENT_SECURE_FILE: join(dir, 'fifo-link')},
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/fifo-link: is a FIFO, not a regular file/)
  })
})

describe.skipIf(!isRoot)('live reads (root: collect and opts verify inspect the node)', () => {
  /** A state dir whose network files are a FIFO, a symlink to a FIFO, a device and a directory. */
  function stateDir(): string {
    const state = mkdtempSync(join(dir, 'state-'))
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    mkdirSync(join(state, 'external', 'pids'), {recursive: true})
    mkdirSync(join(state, 'ns-metadata-proxy', `${NET}.conf`), {recursive: true})
    symlinkSync(fifo, join(state, 'dhcp', NET, 'opts'))
    expect(spawnSync('mkfifo', [join(state, 'dhcp', NET, 'pid')]).status).toBe(0)
    symlinkSync('/dev/zero', join(state, 'external', 'pids', `${NET}.pid`))
    return state
  }

  it('collect --config-file FIFO (or a symlink to one) is exit 2 naming the path', () => {
    const state = stateDir()
    for (const p of [fifo, join(dir, 'fifo-link')]) {
      const r = run(['collect', NET, '--state-path', state, '--config-file', p, '--no-api'])
      expect(r.status).toBe(2)
      expect(r.stderr).toBe(`quantum-meta: ${p}: is a FIFO, not a regular file\n`)
    }
  })

  it('on ML2/OVN too: collect --backend ovn --config-file FIFO is exit 2 naming the path (as root: the root check comes first)', (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip()
    const r = run(['collect', NET, '--backend', 'ovn', '--config-file', fifo, '--no-api'])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${fifo}: is a FIFO, not a regular file\n`)
  })

  it('collect --metadata-agent-config FIFO is exit 2 naming the path', () => {
    const cfg = join(dir, 'dhcp_agent.ini')
    writeFileSync(cfg, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const r = run(['collect', NET, '--state-path', stateDir(), '--config-file', cfg, '--metadata-agent-config', fifo, '--no-api'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/fifo: is a FIFO, not a regular file/)
  })

  it('a FIFO, a device or a directory in the state dir is a file record with an error, never a hang', () => {
    const cfg = join(dir, 'dhcp_agent.ini')
    writeFileSync(cfg, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const r = run(['collect', NET, '--state-path', stateDir(), '--config-file', cfg, '--no-api'])
    expect(r.status).toBe(0)
    const ev = JSON.parse(r.stdout).networks[0]
    expect(ev.opts).toMatchObject({error: 'is a FIFO, not a regular file', state: 'error', type: 'symlink'})
    expect(ev.dnsmasqPidFile).toMatchObject({error: 'is a FIFO, not a regular file', state: 'error', type: 'other'})
    expect(ev.proxyPidFile).toMatchObject({error: 'is a character device, not a regular file', state: 'error'})
    expect(ev.haproxyConfig).toMatchObject({error: 'is a directory, not a regular file', state: 'error', type: 'directory'})
  })

  it('opts verify where opts is a symlink to a FIFO ends at once (it blocked forever)', () => {
    const cfg = join(dir, 'dhcp_agent.ini')
    writeFileSync(cfg, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const r = run(['opts', 'verify', NET, '--state-path', stateDir(), '--config-file', cfg, '--json'])
    // no namespace of NET here, and opts unreadable: the route cannot be judged (3), at once
    expect(r.status).toBe(3)
    expect(r.json.finding.id).toBe('opts.metadata-route')
  })

  it('neutron.conf beside the config being a FIFO does not hang the agent-host lookup', () => {
    const conf = mkdtempSync(join(dir, 'etc-'))
    writeFileSync(join(conf, 'dhcp_agent.ini'), '[DEFAULT]\nenable_isolated_metadata = True\n')
    expect(spawnSync('mkfifo', [join(conf, 'neutron.conf')]).status).toBe(0)
    // credentials so the API is asked: the auth URL is a closed port on 127.0.0.1, so that fails at once
    const env = {OS_AUTH_URL: 'http://127.0.0.1:1/v3', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'p', OS_USERNAME: 'u'}
    const r = run(['collect', NET, '--state-path', stateDir(), '--config-file', join(conf, 'dhcp_agent.ini')], {env})
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout).networks[0].api).toMatchObject({hostFrom: 'the hostname'})
  })
})
