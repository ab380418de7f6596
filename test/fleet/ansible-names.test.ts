/**
 * examples/ansible/collect-snapshots.yml with a hostile inventory name (issue 22, class 13): the name
 * becomes a local file name (`snapshot_dir/<inventory_hostname>.json`), so `../../x` made the play
 * delete (and a fetch would write) a file outside snapshot_dir. Checked before the fix: the sentinel
 * beside the play's directory was deleted. Needs only ansible-playbook (no rig, no host is reached:
 * the host is failed before any connection); Ansible's home and temp dirs point into this test's dir.
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {REPO} from './rig.js'

const hasAnsible = spawnSync('/bin/sh', ['-c', 'command -v ansible-playbook']).status === 0
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

describe.skipIf(!hasAnsible)('the playbook refuses an inventory name that is not a plain host name', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'qm-ansible-names-'))
  afterAll(() => rmSync(tmp, {force: true, recursive: true}))

  it('../../outside: failed with one line before anything is removed or fetched; the file it names survives', () => {
    const play = join(tmp, 'a', 'b')
    mkdirSync(join(play, 'snapshots'), {recursive: true})
    copyFileSync(join(REPO, 'examples', 'ansible', 'collect-snapshots.yml'), join(play, 'collect-snapshots.yml'))
    // snapshots/../../outside.json from the play's snapshot_dir is <tmp>/a/outside.json
    const sentinel = join(tmp, 'a', 'outside.json')
    writeFileSync(sentinel, 'not a snapshot: must survive\n')
    const inv = join(tmp, 'inventory.ini')
    // port 9 (discard) on loopback: nothing listens, and the play must not even try
    writeFileSync(inv, '[net_nodes]\n../../outside ansible_host=127.0.0.1 ansible_port=9\n')
    const home = join(tmp, 'home')
    mkdirSync(home)
    const r = spawnSync('ansible-playbook', ['-i', inv, join(play, 'collect-snapshots.yml'), '-e', `network=${NET}`], {
      encoding: 'utf8',
      env: {...process.env, ANSIBLE_HOME: home, ANSIBLE_LOCAL_TEMP: join(home, 'tmp'), ANSIBLE_NOCOLOR: '1', HOME: home},
      timeout: 90_000,
    })
    expect(r.status).toBe(2)
    expect(r.stdout).toContain('no snapshot: the inventory name is not a plain host name')
    expect(r.stdout).toContain('fatal: [../../outside -> localhost]')
    expect(r.stdout).not.toMatch(/UNREACHABLE/)
    expect(existsSync(sentinel)).toBe(true)
    expect(readFileSync(sentinel, 'utf8')).toBe('not a snapshot: must survive\n')
  })
})
