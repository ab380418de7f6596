// examples/ansible/install-quantum-meta.yml, the task file that places dist/quantum-meta on the nodes, run by
// the real ansible-playbook (Debian's ansible-core, scripts/install-test-deps.sh) on one host through the
// local connection, into a temp dir: the file lands with mode 0755 and the build's sha256, runs there, a
// second run changes nothing, and a file that does not match its .sha256 is copied nowhere.
// Ansible writes only under the test's temp dir (ANSIBLE_CONFIG, ANSIBLE_HOME, the temp dirs, HOME).
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, SEA} from '../helpers/cli.js'

const PLAYBOOK = `${ROOT}examples/ansible/install-quantum-meta.yml`
const hasAnsible = spawnSync('/bin/sh', ['-c', 'command -v ansible-playbook']).status === 0
if (!hasAnsible) console.log('sea-ansible: skipped, no ansible-playbook (scripts/install-test-deps.sh installs ansible-core)')

describe.skipIf(!hasAnsible)('examples/ansible/install-quantum-meta.yml', () => {
  let tmp: string
  let env: NodeJS.ProcessEnv
  let inventory: string

  const play = (extra: Record<string, unknown>) =>
    spawnSync('ansible-playbook', ['-i', inventory, PLAYBOOK, '-e', JSON.stringify({qm_become: false, ...extra})], {
      cwd: tmp,
      encoding: 'utf8',
      env,
      timeout: 120_000,
    })
  const recap = (stdout: string) => /node1\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)/.exec(stdout)?.slice(1).map(Number)

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'qm-sea-ansible-'))
    mkdirSync(join(tmp, 'home'))
    writeFileSync(join(tmp, 'ansible.cfg'), `[defaults]\nremote_tmp = ${tmp}/remote-tmp\nnocolor = True\n`)
    env = {
      ...process.env,
      ANSIBLE_CONFIG: join(tmp, 'ansible.cfg'),
      ANSIBLE_HOME: join(tmp, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(tmp, 'local-tmp'),
      ANSIBLE_NOCOLOR: '1',
      HOME: join(tmp, 'home'),
    }
    inventory = join(tmp, 'inventory.ini')
    writeFileSync(inventory, '[net_nodes]\nnode1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n')
  })
  afterAll(() => {
    if (tmp) rmSync(tmp, {force: true, recursive: true})
  })

  it('places the build on the host: mode 0755, the sha256 of dist/quantum-meta.sha256, and it runs there', () => {
    const dest = join(tmp, 'node1-bin', 'quantum-meta')
    mkdirSync(join(tmp, 'node1-bin'))
    const first = play({qm_dest: dest})
    expect(first.status, first.stdout + first.stderr).toBe(0)
    expect(recap(first.stdout)).toEqual([expect.any(Number), 1, 0])
    expect(statSync(dest).mode & 0o777).toBe(0o755)
    expect(readFileSync(dest).equals(readFileSync(SEA))).toBe(true)
    expect(spawnSync(dest, ['--version'], {encoding: 'utf8'}).stdout).toMatch(/^quantum-meta\//)
    // again: the host has the same file, nothing changes
    const again = play({qm_dest: dest})
    expect(again.status).toBe(0)
    expect(recap(again.stdout)?.[1]).toBe(0)
  }, 300_000)

  it('a file that does not match its .sha256 is copied nowhere: exit 2, the two sums named', () => {
    const bin = join(tmp, 'other', 'quantum-meta')
    mkdirSync(join(tmp, 'other'))
    copyFileSync(SEA, bin)
    writeFileSync(`${bin}.sha256`, `${'0'.repeat(64)}  quantum-meta\n`)
    const dest = join(tmp, 'node1-other', 'quantum-meta')
    mkdirSync(join(tmp, 'node1-other'))
    const r = play({qm_bin: bin, qm_dest: dest})
    expect(r.status).toBe(2)
    expect(r.stdout).toContain(`${bin}.sha256 says ${'0'.repeat(64)}`)
    expect(existsSync(dest)).toBe(false)
  }, 120_000)
})
