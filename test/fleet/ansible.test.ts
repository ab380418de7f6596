/**
 * Gathering snapshots with Ansible (issue 11, section 3): examples/ansible/collect-snapshots.yml run
 * by the real ansible-playbook (Debian's ansible-core, scripts/install-test-deps.sh) against the
 * fleet rig's three real sshd hosts, then `diagnose NET --snapshot ...` of what arrived (the built
 * CLI). Also the README's ad-hoc form (`ansible -m command`, `-m fetch`) and the `--all` variant.
 *
 * Ansible writes nothing outside this test's temp dir on this machine: ANSIBLE_CONFIG,
 * ANSIBLE_HOME, ANSIBLE_LOCAL_TEMP and HOME point into it; on the hosts remote_tmp is
 * /tmp/.ansible-qm (each rig host has its own /tmp). ssh reads the rig's ssh config (-F), so host
 * keys are checked against the rig's known_hosts. The rig's sshds have no sftp subsystem: the
 * test's ansible.cfg says `transfer_method = piped` (Ansible's smart default would reach it too,
 * after two failed tries and a warning). ControlMaster is off, so no ssh master outlives a run.
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type Fleet, fleetUp, REPO} from './rig.js'

const isRoot = process.getuid?.() === 0
// on PATH, not run: even `ansible-playbook --version` makes its home's tmp dir
const hasAnsible = spawnSync('/bin/sh', ['-c', 'command -v ansible-playbook']).status === 0
/** /root/.ansible and its tmp: absent, or their mtimes (a new entry in either changes it) */
const rootAnsible = () => ['/root/.ansible', '/root/.ansible/tmp'].map((d) => (existsSync(d) ? statSync(d).mtimeMs : 'absent'))
const PLAYBOOK = join(REPO, 'examples', 'ansible', 'collect-snapshots.yml')

interface Run {
  status: number | null
  stdout: string
  stderr: string
  ms: number
}

describe.skipIf(!isRoot || !hasAnsible)('examples/ansible/collect-snapshots.yml against the fleet rig, then diagnose --snapshot', () => {
  let fleet: Fleet
  let tmp: string
  let env: NodeJS.ProcessEnv
  let inventory: string
  const rootAnsibleBefore = rootAnsible()

  /** ansible-playbook or ansible, with the test's config and home, never the machine's */
  const ansible = (bin: 'ansible' | 'ansible-playbook', args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      const t0 = Date.now()
      const c = spawn(bin, args, {cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      c.stdout.on('data', (b) => (stdout += b))
      c.stderr.on('data', (b) => (stderr += b))
      c.on('error', reject)
      c.on('close', (status) => {
        // nothing under the machine's real /root, on this side or the hosts' (they share it)
        const now = rootAnsible()
        if (now.join() !== rootAnsibleBefore.join())
          reject(new Error(`${bin} ${args.join(' ')} wrote under /root/.ansible (${rootAnsibleBefore.join()} -> ${now.join()})`))
        else resolve({ms: Date.now() - t0, status, stderr, stdout})
      })
    })

  const writeInventory = (path: string, hosts: string[], hostVars: Record<string, string> = {}) =>
    writeFileSync(
      path,
      [
        '[net_nodes]',
        ...hosts.map((h) => (hostVars[h] ? `${h} ${hostVars[h]}` : h)),
        '',
        '[net_nodes:vars]',
        // the rig's ssh config: its Host aliases, identity, known_hosts and BatchMode
        `ansible_ssh_common_args='-F ${fleet.sshConfig}'`,
        // how quantum-meta runs there (a host var overrides it: extra vars would override both)
        `quantum_meta='${fleet.remoteCommand}'`,
        '',
      ].join('\n'),
    )

  const gather = (dir: string, extra: Record<string, unknown> = {}, inv = inventory) =>
    ansible('ansible-playbook', ['-i', inv, PLAYBOOK, '-e', JSON.stringify({network: fleet.netId, snapshot_dir: dir, ...extra})])

  /** the recap line of one host: {ok, changed, unreachable, failed, skipped, rescued, ignored} */
  const recap = (out: string, host: string) => {
    const line = out.split('\n').find((l) => new RegExp(`^${host}\\s+:`).test(l))
    return Object.fromEntries([...(line ?? '').matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]))
  }

  const snapshotArgs = (dir: string, hosts: string[]) => hosts.flatMap((h) => ['--snapshot', join(dir, `${h}.json`)])

  /** the hosts' own /tmp: the collect temp files must be gone, Ansible's remote_tmp is ours */
  const leftOnHost = (i: number) =>
    fleet
      .inHost(fleet.hosts[i], ['/bin/sh', '-c', 'ls -A /tmp'])
      .stdout.split('\n')
      .filter((f) => f.endsWith('.qm-snapshot.json'))

  beforeAll(async () => {
    fleet = await fleetUp()
    tmp = mkdtempSync(join(tmpdir(), 'qm-ansible-'))
    for (const d of ['home', 'ansible-home', 'local-tmp']) mkdirSync(join(tmp, d))
    writeFileSync(
      join(tmp, 'ansible.cfg'),
      [
        '[defaults]',
        'remote_tmp = /tmp/.ansible-qm',
        `local_tmp = ${join(tmp, 'local-tmp')}`,
        'interpreter_python = /usr/bin/python3',
        'retry_files_enabled = False',
        'host_key_checking = True',
        'nocolor = True',
        '',
        '[ssh_connection]',
        'ssh_args = -o ControlMaster=no',
        'pipelining = True',
        'transfer_method = piped',
        '',
      ].join('\n'),
    )
    env = {
      ...process.env,
      ANSIBLE_CONFIG: join(tmp, 'ansible.cfg'),
      ANSIBLE_HOME: join(tmp, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(tmp, 'local-tmp'),
      ANSIBLE_NOCOLOR: '1',
      HOME: join(tmp, 'home'),
    }
    inventory = join(tmp, 'inventory.ini')
    writeInventory(inventory, ['net1', 'net2', 'net3'])
  })

  afterAll(async () => {
    await fleet?.down()
    if (tmp) rmSync(tmp, {force: true, recursive: true})
  })

  it('three healthy hosts: net1.json, net2.json, net3.json arrive, each its own host, no temp file left on the hosts; diagnose of them: three healthy rows, exit 0', async () => {
    const dir = join(tmp, 'snapshots')
    const r = await gather(dir)
    console.log(`ansible-playbook collect-snapshots.yml, 3 hosts: ${r.ms} ms, exit ${r.status}`)
    expect(r.status, r.stdout + r.stderr).toBe(0)
    for (const h of ['net1', 'net2', 'net3']) {
      expect(recap(r.stdout, h)).toMatchObject({failed: 0, rescued: 0, unreachable: 0})
      const snap = JSON.parse(readFileSync(join(dir, `${h}.json`), 'utf8'))
      expect(snap.host).toBe(h)
      expect(snap.networks.map((n: {network: string}) => n.network)).toEqual([fleet.netId])
    }
    for (const i of [0, 1, 2]) expect(leftOnHost(i)).toEqual([])

    const d = await cliAsync(['diagnose', fleet.netId, ...snapshotArgs(dir, ['net1', 'net2', 'net3']), '--json'])
    expect(d.stderr).toBe('')
    expect(d.status).toBe(0)
    expect(d.json.hosts.map((h: {host: string; healthy: boolean}) => [h.host, h.healthy])).toEqual([
      ['net1', true],
      ['net2', true],
      ['net3', true],
    ])
  })

  it("the README's ad-hoc form (command, fetch, file) and the --all variant give the same snapshots' hosts", async () => {
    const dir = join(tmp, 'adhoc')
    const remote = '/tmp/qm-snapshot.json'
    const c = await ansible('ansible', ['net_nodes', '-i', inventory, '-m', 'command', '-a', `${fleet.remoteCommand} collect ${fleet.netId} -o ${remote}`])
    expect(c.status, c.stdout + c.stderr).toBe(0)
    // a relative dest, as the README has it: from the current directory (the test's temp dir)
    const f = await ansible('ansible', ['net_nodes', '-i', inventory, '-m', 'fetch', '-a', `src=${remote} dest=adhoc/{{ inventory_hostname }}.json flat=yes`])
    expect(f.status, f.stdout + f.stderr).toBe(0)
    const rm = await ansible('ansible', ['net_nodes', '-i', inventory, '-m', 'file', '-a', `path=${remote} state=absent`])
    expect(rm.status, rm.stdout + rm.stderr).toBe(0)
    for (const h of ['net1', 'net2', 'net3']) expect(JSON.parse(readFileSync(join(dir, `${h}.json`), 'utf8')).host).toBe(h)
    for (const i of [0, 1, 2]) expect(fleet.inHost(fleet.hosts[i], ['test', '-e', remote]).status).toBe(1)
    const d = await cliAsync(['diagnose', fleet.netId, ...snapshotArgs(dir, ['net1', 'net2', 'net3'])])
    expect(d.status, d.stdout + d.stderr).toBe(0)

    // collect --all: every network each host serves, one file per host; each diagnosed on its own
    const all = join(tmp, 'all')
    const a = await gather(all, {network: undefined, qm_all: true})
    expect(a.status, a.stdout + a.stderr).toBe(0)
    for (const h of ['net1', 'net2', 'net3']) {
      const file = join(all, `${h}.json`)
      expect(JSON.parse(readFileSync(file, 'utf8')).networks.map((n: {network: string}) => n.network)).toContain(fleet.netId)
      const one = await cliAsync(['diagnose', '--snapshot', file, '--json'])
      // judged alone, a host whose fe80::a9fe:a9fe lost DAD to another host's (one L2 in the rig) fails that link
      // only; the hosts judged together above are healthy
      const failing = (one.json?.findings ?? one.json?.networks?.flatMap((n: {findings: {id: string; status: string}[]}) => n.findings) ?? [])
        .filter((f: {id: string; status: string}) => f.status === 'fail')
        .map((f: {id: string}) => f.id)
      expect(
        failing.filter((id: string) => id !== 'namespace.metadata-v6'),
        one.stdout + one.stderr,
      ).toEqual([])
      expect([0, 1], one.stderr).toContain(one.status)
    }
  })

  it("net2's haproxy killed inside net2, gather again: net2.json is replaced, diagnose exits 1 naming net2 and proxy.running", async () => {
    const dir = join(tmp, 'snapshots')
    const before = statSync(join(dir, 'net2.json')).mtimeMs
    const takenBefore = JSON.parse(readFileSync(join(dir, 'net2.json'), 'utf8')).takenAt
    const net2 = fleet.hosts[1]
    const killed = fleet.inHost(net2, ['/bin/sh', '-c', 'kill -9 "$(cat "$1")"', 'sh', net2.node.proxyPidFile])
    expect(killed.status, killed.stderr).toBe(0)

    const r = await gather(dir)
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(statSync(join(dir, 'net2.json')).mtimeMs).toBeGreaterThan(before)
    expect(JSON.parse(readFileSync(join(dir, 'net2.json'), 'utf8')).takenAt).not.toBe(takenBefore)

    const d = await cliAsync(['diagnose', fleet.netId, ...snapshotArgs(dir, ['net1', 'net2', 'net3'])])
    expect(d.status, d.stdout + d.stderr).toBe(1)
    const row = (host: string) => d.stdout.split('\n').find((l) => l.startsWith(`│ ${host} `)) ?? ''
    expect(row('net2')).toMatch(/FAIL.*proxy\.running/)
    expect(row('net1')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(row('net3')).toMatch(/│ (ok|WARN) +│ healthy/)
    expect(d.stdout).toMatch(/3 hosts, 1 broken/)
  })

  it("an unreachable host and a host without quantum-meta: the play names both, the others' files still arrive, no stale file is left for either", async () => {
    const dir = join(tmp, 'partial')
    mkdirSync(dir)
    // files from an earlier run: they must not survive a run in which their hosts gave nothing
    for (const h of ['net3', 'netclosed']) writeFileSync(join(dir, `${h}.json`), '{"stale": true}\n')
    const inv = join(tmp, 'inventory-partial.ini')
    writeInventory(inv, ['net1', 'net2', 'net3', 'netclosed'], {net3: 'quantum_meta=/nonexistent/quantum-meta'})
    const r = await gather(dir, {}, inv)
    // ansible-playbook's own codes: 2 a host failed, 4 a host unreachable (4 when both)
    expect(r.status, r.stdout).toBe(4)
    expect(recap(r.stdout, 'netclosed')).toMatchObject({unreachable: 1})
    // Ansible's own words for it vary with timing ("Connection refused", or "Data could not be sent
    // ... Broken pipe" when ssh dies while the module is piped): the host marked UNREACHABLE is what counts
    expect(r.stdout).toMatch(/fatal: \[netclosed\]: UNREACHABLE!/)
    expect(recap(r.stdout, 'net3'), r.stdout).toMatchObject({failed: 1})
    expect(r.stdout).toMatch(/net3: no snapshot: quantum-meta collect failed \(exit 2\): .*No such file or directory.*\/nonexistent\/quantum-meta/)
    for (const h of ['net1', 'net2']) {
      expect(recap(r.stdout, h)).toMatchObject({failed: 0, unreachable: 0})
      expect(JSON.parse(readFileSync(join(dir, `${h}.json`), 'utf8')).host).toBe(h)
    }
    expect(existsSync(join(dir, 'net3.json'))).toBe(false)
    expect(existsSync(join(dir, 'netclosed.json'))).toBe(false)
    // net3's temp file went too (the always: part runs after the failure)
    expect(leftOnHost(2)).toEqual([])
  })

  it('a login that is not root: become (sudo -n) when it may, one clear failure when it may not', async () => {
    const dir = join(tmp, 'logins')
    const inv = join(tmp, 'inventory-logins.ini')
    // net1 as qmops (may sudo -n) and as qmnosudo (may not): the rig's ssh config sets the User
    writeInventory(inv, ['net1-ops', 'net1-nosudo'])
    const r = await gather(dir, {}, inv)
    expect(r.status, r.stdout + r.stderr).toBe(2)
    expect(recap(r.stdout, 'net1-ops'), r.stdout).toMatchObject({failed: 0, unreachable: 0})
    const snap = JSON.parse(readFileSync(join(dir, 'net1-ops.json'), 'utf8'))
    // collect ran as root under sudo: it saw the qdhcp namespace and the proxy as on net1
    expect(snap.host).toBe('net1')
    const d = await cliAsync(['diagnose', fleet.netId, '--snapshot', join(dir, 'net1-ops.json'), '--json'])
    expect(d.status, d.stdout + d.stderr).toBe(0)
    expect(recap(r.stdout, 'net1-nosudo')).toMatchObject({failed: 1})
    expect(r.stdout).toMatch(/net1-nosudo: no snapshot: A temp file for the snapshot on the host failed: Missing sudo password/)
    expect(existsSync(join(dir, 'net1-nosudo.json'))).toBe(false)
  })

  it('no network and no qm_all: each host fails with one line saying what to give, no file', async () => {
    const dir = join(tmp, 'nonet')
    const inv = join(tmp, 'inventory-one.ini')
    writeInventory(inv, ['net1'])
    const r = await gather(dir, {network: undefined}, inv)
    expect(r.status, r.stdout + r.stderr).toBe(2)
    expect(r.stdout).toMatch(/net1: no snapshot: quantum-meta collect failed: .*give -e network=NET \(the network id\), or -e qm_all=true/)
    expect(existsSync(join(dir, 'net1.json'))).toBe(false)
    expect(leftOnHost(0)).toEqual([])
  })
})
