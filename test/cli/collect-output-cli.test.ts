// Issue 22 class 8: `collect -o FILE` writes as `diagnose --junit` does: a temp file beside FILE,
// fsynced, renamed over it. A FIFO (or another non-file) is refused at once, before anything is
// collected; a full disk leaves the previous snapshot whole and says so in one line. The disk is a real
// 64 KiB tmpfs (root only), as test/cli/config-disk-full.test.ts makes it.
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const isRoot = process.getuid?.() === 0
const dir = mkdtempSync(join(tmpdir(), 'qm-collect-out-'))
const state = join(dir, 'state')
mkdirSync(state)
// a --config-file that is not there is bad input (exit 2): an empty agent config is one that holds nothing
writeFileSync(join(state, 'dhcp_agent.ini'), '[DEFAULT]\n')
// this node, read through a state path and config that hold nothing: a small, real snapshot
const node = ['--state-path', state, '--config-file', join(state, 'dhcp_agent.ini'), '--no-api', '--backend', 'dhcp-agent']

/** The built CLI, stopped after 20 s (a write that blocks on a FIFO would block for ever). */
function collect(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'collect', NET, ...node, ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, timeout: 20_000})
  return {signal: r.signal, status: r.status, stderr: r.stderr, stdout: r.stdout}
}

let mnt = ''
let mounted = false
beforeAll(() => {
  if (!isRoot) return
  mnt = mkdtempSync(join(tmpdir(), 'qm-collect-full-'))
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', mnt]).status === 0
})
afterAll(() => {
  if (mounted) spawnSync('umount', [mnt])
  if (mnt) rmdirSync(mnt)
  rmSync(dir, {force: true, recursive: true})
})

describe('collect --output FILE', () => {
  it('writes the snapshot whole, mode 0600, by a rename (no temp file left), and says so', () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    const f = join(out, 'node.json')
    writeFileSync(f, 'old snapshot')
    const r = collect(['-o', f])
    expect(r.status).toBe(0)
    expect(r.stderr).toBe(`wrote ${f}\n`)
    expect(JSON.parse(readFileSync(f, 'utf8'))).toMatchObject({format: 'quantum-meta-snapshot/1', networks: [{network: NET}]})
    expect(statSync(f).mode & 0o777).toBe(0o600)
    expect(readdirSync(out)).toEqual(['node.json'])
  })

  it('a FIFO is exit 2 in one line at once, before anything is collected; the FIFO stays', () => {
    const fifo = join(dir, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const t0 = Date.now()
    const r = collect(['-o', fifo])
    expect(r.signal).toBe(null)
    expect(Date.now() - t0).toBeLessThan(15_000)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`quantum-meta: --output ${fifo}: is a FIFO, not a regular file (give a file path)\n`)
    expect(lstatSync(fifo).isFIFO()).toBe(true)
  }, 30_000)

  it('a missing directory is exit 3 in one line; a directory is exit 2', () => {
    const missing = collect(['-o', join(dir, 'nope', 'node.json')])
    expect(missing.status).toBe(3)
    expect(missing.stderr).toMatch(/^quantum-meta: --output \S+: cannot write in \S+nope: no such file or directory\n$/)
    const d = collect(['-o', dir])
    expect(d.status).toBe(2)
    expect(d.stderr).toBe(`quantum-meta: --output ${dir}: is a directory, not a regular file (give a file path)\n`)
  })

  it.skipIf(!isRoot)("another user's symlink in a sticky, world-writable directory is refused; the file it points at is untouched", () => {
    const shared = join(dir, 'shared')
    mkdirSync(shared)
    chmodSync(shared, 0o1777)
    const victim = join(dir, 'victim')
    writeFileSync(victim, 'private\n', {mode: 0o600})
    const link = join(shared, 'node.json')
    symlinkSync(victim, link)
    lchownSync(link, 65534, 65534)
    const r = collect(['-o', link])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/symlink owned by uid 65534 in the shared directory/)
    expect(readFileSync(victim, 'utf8')).toBe('private\n')
  })

  it.skipIf(!isRoot)('a full disk: exit 3 in one line, the previous snapshot whole, no temp file left', () => {
    expect(mounted).toBe(true)
    const f = join(mnt, 'node.json')
    const old = JSON.stringify({format: 'quantum-meta-snapshot/1', note: 'the previous snapshot'})
    writeFileSync(f, old)
    // fill what is left (a page or so may stay free: less than a snapshot)
    try {
      writeFileSync(join(mnt, 'fill'), Buffer.alloc(64 * 1024))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    }
    const r = collect(['-o', f])
    expect(r.status).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`quantum-meta: --output ${f}: no space left on device; nothing written\n`)
    expect(readFileSync(f, 'utf8')).toBe(old)
    expect(readdirSync(mnt).sort()).toEqual(['fill', 'node.json'])
  })
})
