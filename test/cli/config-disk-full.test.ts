// `enable` on a nearly full filesystem: a real 64 KiB tmpfs (root only), filled to several levels.
// A short write must never become the config file: exit 3, one line naming the file, the original
// bytes intact, and no temp file or half-written backup left beside it.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

const isRoot = process.getuid?.() === 0
const PAGE = 4096
// the recipe: 30045 bytes, 8 tmpfs pages
const CONFIG = '[DEFAULT]\n# enable_isolated_metadata = False\n' + Array.from({length: 2500}, (_, i) => `# pad ${String(i).padStart(5, '0')}\n`).join('')

let mnt = ''
let mounted = false
beforeAll(() => {
  if (!isRoot) return
  mnt = mkdtempSync(join(tmpdir(), 'qm-full-'))
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', mnt], {encoding: 'utf8'})
  mounted = r.status === 0
})
afterAll(() => {
  if (mounted) spawnSync('umount', [mnt])
  if (mnt) rmdirSync(mnt)
})
beforeEach(() => {
  if (mounted) for (const f of readdirSync(mnt)) rmSync(join(mnt, f), {force: true, recursive: true})
})

/** The config, then a filler of `pages` pages (as much of it as fits). */
function setup(pages: number): string {
  const p = join(mnt, 'c.ini')
  writeFileSync(p, CONFIG)
  try {
    writeFileSync(join(mnt, 'fill'), Buffer.alloc(pages * PAGE))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
  }
  return p
}

describe.skipIf(!isRoot)('a full disk never cuts the config short (real 64 KiB tmpfs)', () => {
  it('the mount is there', () => {
    expect(mounted).toBe(true)
  })

  it('with room to spare the write goes through (control case)', () => {
    const p = setup(0)
    const r = cli(['enable', '--config-file', p, '--no-backup'])
    expect(r.status).toBe(0)
    expect(readFileSync(p, 'utf8')).toBe(
      CONFIG.replace('# enable_isolated_metadata = False\n', '# enable_isolated_metadata = False\nenable_isolated_metadata = True\n'),
    )
    expect(readdirSync(mnt).sort()).toEqual(['c.ini', 'fill'])
  })

  it.each([1, 3, 5, 7, 8])('--no-backup, filler of %i pages: exit 3, "no space left on device", original bytes intact, no temp file', (pages) => {
    const p = setup(pages)
    const before = readFileSync(p)
    const r = cli(['enable', '--config-file', p, '--no-backup'])
    expect(r.status).toBe(3)
    expect(r.stderr).toBe(`quantum-meta: ${p}: no space left on device; ${p} left untouched\n`)
    expect(readFileSync(p).equals(before)).toBe(true)
    expect(readdirSync(mnt).sort()).toEqual(['c.ini', 'fill'])
  })

  it.each([0, 2, 4, 8])('with a backup, filler of %i pages: exit 3, no half-written backup, original bytes intact', (pages) => {
    const p = setup(pages)
    const before = readFileSync(p)
    const r = cli(['enable', '--config-file', p, '--json'])
    expect(r.status).toBe(3)
    expect(r.json).toEqual({error: {code: 'config-no-space', exit: 3, message: `${p}: no space left on device; ${p} left untouched`}})
    expect(readFileSync(p).equals(before)).toBe(true)
    expect(readdirSync(mnt).sort()).toEqual(['c.ini', 'fill'])
  })
})
