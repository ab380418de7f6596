// `quantum-meta collect`'s arguments through the built binary: a network id or --all, exactly one
// (exit 2 with one line otherwise, before anything on the node is read).
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

describe('collect: net-id or --all', () => {
  it('neither: exit 2, one line naming both', () => {
    const r = cli(['collect', '--state-path', '/nonexistent'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/give a network id, or --all/)
  })

  it('both: exit 2, one line', () => {
    const r = cli(['collect', NET, '--all', '--state-path', '/nonexistent'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/a network id or --all, not both/)
  })

  it('--json on bad input: exit 2, the error as JSON', () => {
    const r = cli(['collect', '--json'])
    expect(r.status).toBe(2)
    expect(JSON.stringify(r.json)).toMatch(/give a network id, or --all/)
  })

  it('a bad net-id is still exit 2 (checked as before)', () => {
    const r = cli(['collect', 'not-a-uuid', '--state-path', '/nonexistent'])
    expect(r.status).toBe(2)
  })

  it('--all alone gets past the argument checks (it then inspects the node: never exit 2)', () => {
    // an empty state path of its own: whatever the node then says, not the usage error
    const state = mkdtempSync(join(tmpdir(), 'qm-collect-all-'))
    const r = cli(['collect', '--all', '--backend', 'dhcp-agent', '--state-path', state, '--no-api'])
    rmSync(state, {force: true, recursive: true})
    expect(r.status).not.toBe(2)
    expect(r.stderr).not.toMatch(/give a network id/)
  })
})
