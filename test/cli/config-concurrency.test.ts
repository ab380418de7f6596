// Concurrent runs of the built CLI on one file: no change is lost, backups never collide, a held
// lock makes the second run wait and then give up with exit 3 "busy".
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadConfig, writeConfig} from '../../src/config/config-file.js'
import {acquireConfigLock, lockPathFor} from '../../src/config/lock.js'
import {cliAsync} from '../helpers/cli.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-conc-'))
})
afterEach(() => {
  rmSync(dir, {force: true, recursive: true})
})

const START = '[DEFAULT]\n# enable_isolated_metadata = False\ndebug = False\n'

describe('concurrent runs on one file', () => {
  it('enable --force-metadata and enable --metadata-network together, 20 rounds: when both exit 0 both settings are there', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    for (let round = 0; round < 20; round++) {
      writeFileSync(p, START)
      const [a, b] = await Promise.all([
        cliAsync(['enable', '--config-file', p, '--force-metadata', '--no-backup']),
        cliAsync(['enable', '--config-file', p, '--metadata-network', '--no-backup']),
      ])
      expect([a.status, b.status, a.stderr, b.stderr]).toEqual([0, 0, '', ''])
      const text = readFileSync(p, 'utf8')
      expect(text).toMatch(/^force_metadata = True$/m)
      expect(text).toMatch(/^enable_metadata_network = True$/m)
      expect(text.match(/^enable_isolated_metadata = True$/gm)).toHaveLength(1)
      expect(readdirSync(dir)).toEqual(['dhcp_agent.ini'])
    }
  }, 240_000)

  it('enable then disable at once (same second), 5 rounds: both succeed, every backup has its own name and bytes', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, START)
    const seen: string[] = []
    for (let round = 0; round < 5; round++) {
      const e = await cliAsync(['enable', '--config-file', p, '--json'])
      const d = await cliAsync(['disable', '--config-file', p, '--json'])
      expect([e.status, d.status, e.stderr, d.stderr]).toEqual([0, 0, '', ''])
      expect(e.json.backup).not.toBe(d.json.backup)
      // each backup holds the file as that run found it
      if (round === 0) expect(readFileSync(e.json.backup, 'utf8')).toBe(START)
      else expect(readFileSync(e.json.backup, 'utf8')).toMatch(/^enable_isolated_metadata = False$/m)
      expect(readFileSync(d.json.backup, 'utf8')).toMatch(/^enable_isolated_metadata = True$/m)
      seen.push(e.json.backup, d.json.backup)
    }
    expect(new Set(seen).size).toBe(10)
    expect(
      readdirSync(dir)
        .filter((f) => f.includes('.qm-backup-'))
        .sort(),
    ).toEqual(seen.map((s) => s.slice(dir.length + 1)).sort())
    // and started together rather than one after the other
    const [e, d] = await Promise.all([cliAsync(['enable', '--config-file', p, '--json']), cliAsync(['disable', '--config-file', p, '--json'])])
    expect([e.status, d.status]).toEqual([0, 0])
    const backups = [e.json.backup, d.json.backup].filter(Boolean)
    expect(new Set(backups).size).toBe(backups.length)
    expect(readdirSync(dir).filter((f) => f.includes('.qm-lock') || f.includes('.qm-tmp'))).toEqual([])
  }, 120_000)

  it('a lock held by a live process: exit 3 "busy" within a few seconds, the file untouched', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, START)
    const lock = await acquireConfigLock(p)
    try {
      const t0 = Date.now()
      const r = await cliAsync(['enable', '--config-file', p])
      const took = Date.now() - t0
      expect(r.status).toBe(3)
      expect(r.stderr).toMatch(new RegExp(`^quantum-meta: busy: another quantum-meta is editing ${p.replaceAll('/', '\\/')} \\(`))
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(took).toBeGreaterThan(1000)
      expect(took).toBeLessThan(15_000)
      expect(readFileSync(p, 'utf8')).toBe(START)
      // --check and --dry-run take no lock
      expect((await cliAsync(['enable', '--config-file', p, '--check'])).status).toBe(1)
      expect((await cliAsync(['enable', '--config-file', p, '--dry-run'])).status).toBe(0)
    } finally {
      await lock.release()
    }
    expect(readdirSync(dir)).toEqual(['dhcp_agent.ini'])
    expect((await cliAsync(['enable', '--config-file', p, '--no-backup'])).status).toBe(0)
  }, 30_000)

  it('a lock left by a process that died (or by an earlier boot) is taken over, and its temp file removed', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, START)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout
    symlinkSync(`quantum-meta pid=${dead}`, lockPathFor(p))
    const r = await cliAsync(['enable', '--config-file', p, '--no-backup'])
    expect([r.status, r.stderr]).toEqual([0, ''])
    expect(readdirSync(dir)).toEqual(['dhcp_agent.ini'])
    // and the temp file a run killed mid-write left behind is removed by the next write
    writeFileSync(join(dir, `dhcp_agent.ini.qm-tmp-${dead}-0badf00d`), '[DEFAULT]\n# half writ')
    symlinkSync(`quantum-meta pid=${process.pid} boot=00000000-0000-0000-0000-000000000000`, lockPathFor(p))
    const d = await cliAsync(['disable', '--config-file', p, '--no-backup'])
    expect([d.status, d.stderr]).toEqual([0, ''])
    expect(readdirSync(dir)).toEqual(['dhcp_agent.ini'])
  }, 30_000)

  it('two backups in the same millisecond: the second gets -1, the first is never overwritten', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, START)
    const now = new Date('2026-11-24T11:10:39.123Z')
    const first = await writeConfig(await loadConfig(p), START + 'a = 1\n', true, now)
    const second = await writeConfig(await loadConfig(p), START + 'a = 2\n', true, now)
    expect(first).toBe(`${p}.qm-backup-20261124T111039.123Z`)
    expect(second).toBe(`${p}.qm-backup-20261124T111039.123Z-1`)
    expect(readFileSync(first!, 'utf8')).toBe(START)
    expect(readFileSync(second!, 'utf8')).toBe(START + 'a = 1\n')
    expect(readFileSync(p, 'utf8')).toBe(START + 'a = 2\n')
  })
})
