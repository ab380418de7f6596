// Issue 22 class 2: where --junit FILE may write. A symlink planted by another user in a sticky, world-
// writable directory (/tmp) is not followed (the kernel's protected_symlinks rule, which resolving the
// link ourselves would get around), and /dev/stdout (or FILE being where stdout goes) is refused: the
// rename would replace the file the shell redirected stdout to.
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  closeSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, cli} from '../helpers/cli.js'

const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-junit-path-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
const isRoot = process.getuid?.() === 0

describe('--junit FILE: a symlink in a shared sticky directory', () => {
  // a sticky world-writable directory like /tmp, and a private file of the caller elsewhere
  const shared = join(dir, 'shared')
  mkdirSync(shared)
  chmodSync(shared, 0o1777)
  const home = join(dir, 'home')
  mkdirSync(home, {mode: 0o700})

  it.skipIf(!isRoot)('a link another user planted there is refused (exit 2, one line): the file it points at keeps its content and mode', () => {
    const victim = join(home, 'private.key')
    writeFileSync(victim, 'secret\n', {mode: 0o600})
    const link = join(shared, 'metadata.xml')
    symlinkSync(victim, link)
    lchownSync(link, 65534, 65534) // nobody planted it
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', link])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `quantum-meta: --junit ${link}: a symlink owned by uid 65534 in the shared directory ${shared} (sticky, writable by all): not followed, as the kernel's protected_symlinks would not (give a path of your own)\n`,
    )
    expect(readFileSync(victim, 'utf8')).toBe('secret\n')
    expect(statSync(victim).mode & 0o777).toBe(0o600)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
  })

  it('a link of the caller there is followed as before: its target replaced, the link kept', () => {
    const target = join(home, 'mine.xml')
    writeFileSync(target, 'old')
    const link = join(shared, 'mine.xml')
    symlinkSync(target, link)
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', link])
    expect(r.status).toBe(3) // the seed's verdict: not judged
    expect(readFileSync(target, 'utf8')).toMatch(/^<\?xml/)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
  })
})

describe('--junit FILE: never the file stdout goes to', () => {
  /** the CLI with stdout redirected to `out` (as `> out` in a shell) */
  function redirected(args: string[], out: string) {
    const fd = openSync(out, 'w')
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        encoding: 'utf8',
        env: {...process.env, NO_COLOR: '1'},
        stdio: ['ignore', fd, 'pipe'],
        timeout: 60_000,
      })
      return {status: r.status, stderr: r.stderr}
    } finally {
      closeSync(fd)
    }
  }

  it('--junit /dev/stdout --json > f: exit 2, f holds the error document, not XML', () => {
    const f = join(dir, 'f.json')
    const r = redirected(['diagnose', NET, '--snapshot', SNAP, '--junit', '/dev/stdout', '--json'], f)
    expect(r.status).toBe(2)
    const doc = JSON.parse(readFileSync(f, 'utf8'))
    expect(doc.error).toMatchObject({code: 'report-not-regular', exit: 2})
    expect(doc.error.message).toBe(
      '--junit /dev/stdout: leads to /proc/self/fd/1, a file this process has open (stdout, stderr): give a file path (--format junit prints the XML on stdout)',
    )
  })

  it('--junit f > f: exit 2 in one line, f is not replaced', () => {
    const f = join(dir, 'same.txt')
    const r = redirected(['diagnose', NET, '--snapshot', SNAP, '--junit', f], f)
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: --junit ${f}: is where stdout goes: give another file (--format junit prints the XML on stdout)\n`)
    expect(readFileSync(f, 'utf8')).toBe('')
  })

  it('--junit /dev/stdout with stdout a pipe: exit 2 before anything is diagnosed', () => {
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', '/dev/stdout'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^quantum-meta: --junit \/dev\/stdout: leads to \/proc\/self\/fd\/1, a file this process has open/)
  })
})
