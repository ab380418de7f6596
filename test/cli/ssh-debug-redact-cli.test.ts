// Issue 22 class 4: --debug shows what ssh runs, never an environment value handed to it (`-o
// SetEnv=OS_PASSWORD=...`, `--remote-command 'OS_TOKEN=... quantum-meta'`), and a remote command that is
// not there is named by the command, not by the assignment in front of it.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-ssh-debug-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

// the remote login shell, when the command is not installed there
const env = fakeSsh(dir, `echo "bash: line 1: quantum-meta: command not found" >&2; exit 127`)
const args = [
  'diagnose',
  NET,
  '--host',
  'net1',
  '--no-api',
  '--ssh-option',
  'SetEnv=OS_PASSWORD=hunter2-setenv LC_QM=hunter2-lc',
  '--remote-command',
  'OS_TOKEN=hunter2-word QM_URL=http://u:hunter2-url@x/ quantum-meta --debug',
]

describe('ssh under --debug', () => {
  it('the ssh command lines are shown with the names of the variables and no value', () => {
    const r = cli([...args, '--debug'], {env})
    expect(r.status).toBe(3)
    const runs = r.stderr.split('\n').filter((l) => l.startsWith('debug: run ssh '))
    expect(runs).toHaveLength(2) // ssh -G, then the collect
    expect(runs[1]).toContain(" -o 'SetEnv=OS_PASSWORD=*** LC_QM=***' -T -- net1 ")
    expect(runs[1]).toContain(" 'OS_TOKEN=***' 'QM_URL=***' quantum-meta --debug collect ")
    expect(r.stderr + r.stdout).not.toMatch(/hunter2/)
  })

  it('a command not found is named as the remote shell names it; no value in the table, --json or JUnit', () => {
    const table = cli([...args, '--wide'], {env})
    expect(table.status).toBe(3)
    expect(table.stdout).toMatch(/quantum-meta not found on net1 \(exit 127\)/)
    const xml = join(dir, 'r.xml')
    const json = cli([...args, '--json', '--junit', xml], {env})
    expect(json.status).toBe(3)
    expect(json.json.hosts[0].error).toBe('quantum-meta not found on net1 (exit 127): bash: line 1: quantum-meta: command not found')
    for (const text of [table.stdout, table.stderr, json.stdout, json.stderr, readFileSync(xml, 'utf8')]) expect(text).not.toMatch(/hunter2/)
  })

  it('what the remote prints back of a value handed to it is hidden too', () => {
    const echo = fakeSsh(join(dir, 'echo'), `echo "env: 'hunter2-word': No such file or directory" >&2; exit 127`)
    const r = cli([...args, '--json'], {env: echo})
    expect(r.status).toBe(3)
    expect(r.json.hosts[0].error).toBe("quantum-meta not found on net1 (exit 127): env: '***': No such file or directory")
  })
})
