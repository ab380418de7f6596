// No renderer may be super-linear on text from a snapshot: the built CLI diagnoses a snapshot with
// 1 MB lines in every field in seconds, and shows control characters escaped. In-process (every
// parser, the checks, the schema): test/unit/parse/linear.test.ts.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT} from '../../helpers/cli.js'

const MB = 1 << 20

describe('diagnose --snapshot with 1 MB lines in every field (through the built CLI)', () => {
  it.each([' ', 'a', 'x='])('lines of %j: the table and --json in a few seconds, not minutes', (unit) => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-linear-'))
    try {
      const snap = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
      const ev = snap.networks[0]
      const filler = `\n${unit.repeat(MB / unit.length)}x\n`
      for (const k of ['addresses', 'routes', 'sockets', 'namespaces']) ev[k].stdout += filler
      ev.opts.content += filler
      for (const p of ev.processes) p.ps += filler
      // a dnsmasq whose argv[0] is the long line: it lands in a finding's summary
      ev.processes[0].cmdline = `${filler}\0--dhcp-optsfile=${filler}\0`
      const p = join(dir, 's.json')
      writeFileSync(p, JSON.stringify(snap))
      for (const extra of [[], ['--json']]) {
        // no wall-clock bound (the benchmark's job): the 60 s kill only stops a super-linear run
        const r = spawnSync(process.execPath, [`${ROOT}bin/run.js`, 'diagnose', '--snapshot', p, ...extra], {
          encoding: 'utf8',
          env: {...process.env, NO_COLOR: '1'},
          killSignal: 'SIGKILL',
          maxBuffer: 64 * MB,
          timeout: 60_000,
        })
        expect(r.status, r.stderr).toBe(1)
        // the human output cuts what it quotes
        if (extra.length === 0) expect(r.stdout.length).toBeLessThan(64 * 1024)
      }
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('control characters from a snapshot are shown escaped, never sent to the terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-linear-'))
    try {
      const snap = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
      snap.networks[0].processes[0].cmdline = 'evil\u001b[2J\u001b]0;title\u0007\0--x\0'
      const p = join(dir, 's.json')
      writeFileSync(p, JSON.stringify(snap))
      const r = spawnSync(process.execPath, [`${ROOT}bin/run.js`, 'diagnose', '--snapshot', p], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
      expect(r.status).toBe(1)
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F]/)
      expect(r.stdout).toMatch(/evil\\x1b\[2J\\x1b\]0;title\\x07/)
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
