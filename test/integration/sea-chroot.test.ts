/**
 * dist/quantum-meta on a host without Node.js: a Debian 12 root made by debootstrap (minbase: no nodejs,
 * checked), the executable and the bundled example copied into it, run there by chroot: `--help`,
 * `--version`, `enable --check` and the example's diagnose answer as bin/run.js does here.
 * The root is made once into /var/cache/qm-test/debian12-minbase (debootstrap from the Debian mirror,
 * QM_DEBIAN_MIRROR, default deb.debian.org; ~25 s) and reused; each run copies its files into a temp dir
 * inside it and removes that dir. Nothing is mounted. Needs root (chroot) and debootstrap
 * (scripts/install-test-deps.sh); `npm run build` first (the integration project does not build).
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, ROOT, SEA, cli} from '../helpers/cli.js'

const isRoot = process.getuid?.() === 0
const CACHE = '/var/cache/qm-test'
const DEBIAN = `${CACHE}/debian12-minbase`
const MIRROR = process.env.QM_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const hasDebootstrap = spawnSync('sh', ['-c', 'command -v debootstrap'], {stdio: 'ignore'}).status === 0

if (!isRoot) console.log('sea-chroot: skipped, chroot needs root')
else if (!hasDebootstrap) console.log('sea-chroot: skipped, no debootstrap (apt-get install debootstrap; scripts/install-test-deps.sh does)')

/**
 * The cached root, made when absent: debootstrap into a dir of its own, renamed into place when it
 * succeeded (a run cut short leaves no half root to reuse), under a lock (two runs make one root).
 */
function debianRoot(): string {
  const script = `set -e
[ -x "$1/bin/sh" ] && exit 0
tmp="$1.partial-$$"
rm -rf "$tmp"
debootstrap --variant=minbase bookworm "$tmp" "$2" >"$tmp.log" 2>&1 || { tail -20 "$tmp.log" >&2; rm -rf "$tmp"; exit 1; }
rm -f "$tmp.log"
mv "$tmp" "$1"`
  spawnSync('mkdir', ['-p', CACHE])
  const r = spawnSync('flock', [`${CACHE}/debian12-minbase.lock`, 'sh', '-c', script, 'sh', DEBIAN, MIRROR], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`debootstrap of Debian 12 into ${DEBIAN} failed (mirror ${MIRROR}): ${r.stderr}`)
  return DEBIAN
}

/** `chroot root cmd...`, the way cli() reports it */
function inRoot(root: string, argv: string[], cwd = '/'): CliResult {
  const r = spawnSync('chroot', [root, '/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', cwd, ...argv], {
    encoding: 'utf8',
    env: {HOME: '/root', LANG: 'C.UTF-8', NO_COLOR: '1', PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'},
    timeout: 60_000,
  })
  let json
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {json, status: r.status, stderr: r.stderr, stdout: r.stdout}
}

describe.skipIf(!isRoot || !hasDebootstrap)('dist/quantum-meta in a Debian 12 root without Node.js', () => {
  let root: string
  let work: string // the temp dir inside the root, and its path as seen from inside
  let inside: string

  beforeAll(() => {
    if (!existsSync(SEA)) throw new Error('no dist/quantum-meta: npm run build first')
    root = debianRoot()
    work = mkdtempSync(join(root, 'tmp', 'qm-sea-'))
    inside = `/tmp/${basename(work)}`
    copyFileSync(SEA, join(work, 'quantum-meta'))
    copyFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, join(work, 'example.json'))
    writeFileSync(join(work, 'dhcp_agent.ini'), '[DEFAULT]\ninterface_driver = openvswitch\n')
  }, 900_000)
  afterAll(() => {
    if (work) rmSync(work, {force: true, recursive: true})
  })

  it('the root has no node: no node or nodejs on PATH, no nodejs package, no libnode', () => {
    expect(inRoot(root, ['sh', '-c', 'command -v node nodejs; exit 0']).stdout).toBe('')
    expect(inRoot(root, ['dpkg', '-s', 'nodejs']).stderr).toContain("package 'nodejs' is not installed")
    expect(inRoot(root, ['sh', '-c', 'ls /usr/lib/*/libnode* /usr/bin/node* 2>/dev/null; exit 0']).stdout).toBe('')
    expect(inRoot(root, ['sh', '-c', '. /etc/os-release && echo $VERSION_ID']).stdout).toBe('12\n')
  })

  it('--help and --version answer as bin/run.js does here', () => {
    const help = inRoot(root, ['./quantum-meta', '--help'], inside)
    expect(help).toMatchObject({stderr: '', status: 0})
    expect(help.stdout).toBe(cli(['--help']).stdout)
    expect(inRoot(root, ['./quantum-meta', '--version'], inside).stdout).toBe(cli(['--version']).stdout)
  })

  it("the bundled example's diagnose: the same table, exit 3; --json the same document", () => {
    const here = cli(['diagnose', NET, '--snapshot', `${ROOT}examples/grizzly-seed.snapshot.json`])
    const there = inRoot(root, ['./quantum-meta', 'diagnose', NET, '--snapshot', 'example.json'], inside)
    expect(there).toMatchObject({stderr: '', status: 3})
    expect(there.stdout).toBe(here.stdout)
    const json = inRoot(root, ['./quantum-meta', 'diagnose', NET, '--snapshot', 'example.json', '--json'], inside)
    expect(json.json).toEqual(cli(['diagnose', NET, '--snapshot', `${ROOT}examples/grizzly-seed.snapshot.json`, '--json']).json)
  })

  it('enable --check of a dhcp_agent.ini there: exit 1 and the fix', () => {
    const r = inRoot(root, ['./quantum-meta', 'enable', '--check', '--config-file', 'dhcp_agent.ini'], inside)
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('fix: quantum-meta enable --config-file dhcp_agent.ini')
  })
})
