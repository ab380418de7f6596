// `quantum-meta enable` / `disable` through the built binary, on real files in temp directories.
// Fixtures: test/fixtures/config/SOURCES.md says where each file came from.
import {spawnSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BIN, cli} from '../helpers/cli.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), 'utf8')
const DEBIAN = fixture('debian-bookworm-neutron-common-21.0.0-7.dhcp_agent.ini')
const GRIZZLY = fixture('grizzly-quantum-2013.1.dhcp_agent.ini')
const isRoot = process.getuid?.() === 0
// the EACCES test runs the CLI as nobody, which needs a checkout that others may read
const nobodyCanRun = isRoot && spawnSync(process.execPath, [BIN, '--version'], {gid: 65534, uid: 65534}).status === 0

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-enable-'))
})
afterEach(() => {
  chmodSync(dir, 0o755)
  rmSync(dir, {force: true, recursive: true})
})

function file(text: string | Buffer, name = 'dhcp_agent.ini'): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
const read = (p: string) => readFileSync(p, 'utf8')
const others = (keep: string) => readdirSync(dir).filter((f) => f !== keep)

describe('enable on the real shipped files', () => {
  it("Debian bookworm's file already serves isolated metadata: nothing changes, byte for byte", () => {
    const p = file(DEBIAN)
    const r = cli(['enable', '--config-file', p, '--json'])
    expect(r.status).toBe(0)
    expect(r.json).toMatchObject({backup: null, changed: false, diff: null, file: p, restart: {done: false, needed: false}})
    expect(r.json.settings).toEqual({enable_isolated_metadata: true, enable_metadata_network: false, force_metadata: false, root_helper: null})
    expect(read(p)).toBe(DEBIAN)
    expect(others('dhcp_agent.ini')).toEqual([]) // no backup, no temp file
  })

  it("the same file with upstream's generated line (#enable_isolated_metadata = false): the new line goes right below it", () => {
    const generated = DEBIAN.replace('\nenable_isolated_metadata = True\n', '\n#enable_isolated_metadata = false\n')
    expect(generated).not.toBe(DEBIAN)
    const p = file(generated)
    const r = cli(['enable', '--config-file', p])
    expect(r.status).toBe(0)
    expect(read(p)).toBe(generated.replace('\n#enable_isolated_metadata = false\n', '\n#enable_isolated_metadata = false\nenable_isolated_metadata = True\n'))
    expect(r.stdout).toMatch(/line 44: enable_isolated_metadata added/)
    expect(r.stdout).toMatch(/restart the DHCP agent to apply it: systemctl restart neutron-dhcp-agent/)
  })

  it('the Grizzly sample: the new line goes right below "# enable_isolated_metadata = False", restart hint names quantum-dhcp-agent', () => {
    mkdirSync(join(dir, 'quantum'))
    const p = join(dir, 'quantum', 'dhcp_agent.ini')
    writeFileSync(p, GRIZZLY)
    const r = cli(['enable', '--config-file', p, '--json'])
    expect(r.status).toBe(0)
    expect(read(p)).toBe(GRIZZLY.replace('# enable_isolated_metadata = False\n', '# enable_isolated_metadata = False\nenable_isolated_metadata = True\n'))
    expect(r.json.restart).toEqual({done: false, needed: true, unit: 'quantum-dhcp-agent'})
    expect(r.json.diff).toContain('+enable_isolated_metadata = True')
  })
})

describe('enable on hand-written variants', () => {
  it.each(['false', 'FALSE', 'False', '0', 'no', 'off'])('an active "enable_isolated_metadata = %s" is changed in place', (v) => {
    const p = file(`[DEFAULT]\n# comment\nenable_isolated_metadata = ${v}\ndebug = True\n`)
    expect(cli(['enable', '--config-file', p]).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\n# comment\nenable_isolated_metadata = True\ndebug = True\n')
  })

  it('the key twice in [DEFAULT]: no active line stays False', () => {
    const p = file('[DEFAULT]\nenable_isolated_metadata = True\nx = 1\nenable_isolated_metadata = False\n')
    expect(cli(['enable', '--config-file', p]).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\nenable_isolated_metadata = True\nx = 1\nenable_isolated_metadata = True\n')
  })

  it('the key only in [AGENT] does not count: it is added to [DEFAULT], [AGENT] untouched', () => {
    const p = file('[DEFAULT]\ndebug = False\n\n[AGENT]\nenable_isolated_metadata = True\n')
    const before = cli(['enable', '--config-file', p, '--check'])
    expect(before.status).toBe(1)
    expect(before.stdout).toMatch(/enable_isolated_metadata is not set/)
    expect(cli(['enable', '--config-file', p]).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\ndebug = False\nenable_isolated_metadata = True\n\n[AGENT]\nenable_isolated_metadata = True\n')
  })

  it('no [DEFAULT] section: one is added at the top', () => {
    const p = file('[AGENT]\nroot_helper = sudo\n')
    expect(cli(['enable', '--config-file', p]).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\nenable_isolated_metadata = True\n\n[AGENT]\nroot_helper = sudo\n')
  })

  it('CRLF, a UTF-8 BOM, no trailing newline, key=value and tabs are all kept', () => {
    // (the tab-indented line continues interface_driver's value, as oslo.config reads it)
    const original =
      '\uFEFF[DEFAULT]\r\ninterface_driver=linuxbridge\r\n\tdebug=True\r\ndhcp_driver=dnsmasq\r\n#enable_isolated_metadata=false\r\nforce_metadata\t=\tFalse'
    const p = file(original)
    expect(cli(['enable', '--config-file', p]).status).toBe(0)
    const bytes = readFileSync(p)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(read(p)).toBe(
      '\uFEFF[DEFAULT]\r\ninterface_driver=linuxbridge\r\n\tdebug=True\r\ndhcp_driver=dnsmasq\r\n#enable_isolated_metadata=false\r\nenable_isolated_metadata=True\r\nforce_metadata\t=\tFalse',
    )
  })

  it('--force-metadata, --metadata-network and --root-helper set their keys', () => {
    const p = file(GRIZZLY)
    const helper = 'sudo /usr/bin/quantum-rootwrap /etc/quantum/rootwrap.conf'
    const r = cli(['enable', '--config-file', p, '--force-metadata', '--metadata-network', '--root-helper', helper, '--json'])
    expect(r.status).toBe(0)
    expect(r.json.settings).toEqual({enable_isolated_metadata: true, enable_metadata_network: true, force_metadata: true, root_helper: helper})
    expect(read(p)).toContain('# enable_metadata_network = False\nenable_metadata_network = True\n')
    expect(read(p)).toMatch(new RegExp(`\\nroot_helper = ${helper.replaceAll('/', '\\/')}\\n`))
  })
})

describe('files on disk: symlinks, owner, mode, backups, atomic writes', () => {
  it('a symlink: the target is edited, the link stays a link; mode 0640 and owner kept', () => {
    const real = file('[DEFAULT]\nenable_isolated_metadata = False\n', 'real.ini')
    chmodSync(real, 0o640)
    if (isRoot) chownSync(real, 0, 65534)
    const link = join(dir, 'dhcp_agent.ini')
    symlinkSync('real.ini', link)
    const r = cli(['enable', '--config-file', link, '--json'])
    expect(r.status).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe('real.ini')
    expect(read(real)).toBe('[DEFAULT]\nenable_isolated_metadata = True\n')
    const st = statSync(real)
    expect(st.mode & 0o7777).toBe(0o640)
    if (isRoot) expect([st.uid, st.gid]).toEqual([0, 65534])
    // the backup sits next to the real file, same bytes and mode as the original
    expect(r.json.backup).toMatch(/real\.ini\.qm-backup-\d{8}T\d{6}\.\d{3}Z$/)
    expect(read(r.json.backup)).toBe('[DEFAULT]\nenable_isolated_metadata = False\n')
    expect(statSync(r.json.backup).mode & 0o7777).toBe(0o640)
  })

  it('--no-backup leaves no copy; a second run changes nothing and says so', () => {
    const p = file('[DEFAULT]\n')
    expect(cli(['enable', '--config-file', p, '--no-backup']).status).toBe(0)
    expect(others('dhcp_agent.ini')).toEqual([])
    const again = cli(['enable', '--config-file', p, '--restart'])
    expect(again.status).toBe(0)
    expect(again.stdout).toMatch(/already as wanted.*nothing changed/)
    expect(again.stdout).toMatch(/not restarted/)
  })

  it('--dry-run prints the unified diff and writes nothing', () => {
    const p = file(GRIZZLY)
    const r = cli(['enable', '--config-file', p, '--dry-run'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^--- .*\n\+\+\+ .*\n@@ .* @@\n/m)
    expect(r.stdout).toContain('\n # enable_isolated_metadata = False\n+enable_isolated_metadata = True\n')
    expect(read(p)).toBe(GRIZZLY)
    expect(others('dhcp_agent.ini')).toEqual([])
    const j = cli(['enable', '--config-file', p, '--dry-run', '--json'])
    expect(j.json).toMatchObject({changed: false, wouldChange: true})
    expect(j.json.diff).toContain('+enable_isolated_metadata = True')
  })

  it('--check: 0 when served (also through force_metadata), 1 when not, with the reason; never writes', () => {
    const off = file('[DEFAULT]\nenable_isolated_metadata = no\n')
    const r = cli(['enable', '--config-file', off, '--check', '--json'])
    expect(r.status).toBe(1)
    expect(r.json.check).toMatchObject({ok: false, servesIsolatedMetadata: false})
    expect(r.json.check.reason).toMatch(/enable_isolated_metadata = no \(line 2\)/)
    expect(read(off)).toBe('[DEFAULT]\nenable_isolated_metadata = no\n')
    const forced = file('[DEFAULT]\nforce_metadata = yes\n', 'forced.ini')
    expect(cli(['enable', '--config-file', forced, '--check']).status).toBe(0)
    const broken = file('[DEFAULT]\nenable_isolated_metadata = True # on\n', 'broken.ini')
    const b = cli(['enable', '--config-file', broken, '--check'])
    expect(b.status).toBe(1)
    expect(b.stdout).toMatch(/refuse to start/)
  })

  it('disable turns every switch back off and --check agrees; disable after enable gives the original meaning', () => {
    const p = file('[DEFAULT]\nenable_isolated_metadata = False\nforce_metadata = True\n')
    expect(cli(['disable', '--config-file', p, '--check']).status).toBe(1)
    expect(cli(['disable', '--config-file', p, '--no-backup']).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\nenable_isolated_metadata = False\nforce_metadata = False\n')
    expect(cli(['disable', '--config-file', p, '--check']).status).toBe(0)
    expect(cli(['enable', '--config-file', p, '--no-backup']).status).toBe(0)
    expect(cli(['disable', '--config-file', p, '--no-backup']).status).toBe(0)
    expect(read(p)).toBe('[DEFAULT]\nenable_isolated_metadata = False\nforce_metadata = False\n')
  })
})

describe('bad input: one line on stderr, a documented exit code, the file untouched', () => {
  it('a missing file is exit 3 with its path, and is never created', () => {
    const p = join(dir, 'nope.ini')
    const r = cli(['enable', '--config-file', p])
    expect(r.status).toBe(3)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(p)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a directory is exit 2', () => {
    const r = cli(['enable', '--config-file', dir, '--json'])
    expect(r.status).toBe(2)
    expect(r.json).toEqual({error: {code: 'config-not-file', exit: 2, message: `${dir}: is a directory, not an ini file`}})
  })

  it('a binary file and a non-ini text file are exit 2 and untouched', () => {
    const bin = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0x3d])
    const b = file(bin, 'binary.ini')
    expect(cli(['enable', '--config-file', b]).status).toBe(2)
    expect(readFileSync(b).equals(bin)).toBe(true)
    const yaml = '{"clouds": {"x": 1}}\n'
    const y = file(yaml, 'clouds.json')
    const r = cli(['enable', '--config-file', y])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/line 1: .*oslo.config cannot read it/)
    expect(read(y)).toBe(yaml)
    expect(others('binary.ini').filter((f) => f !== 'clouds.json')).toEqual([])
  })

  it('a read-only file is exit 3, untouched, no temp file or backup left', () => {
    const p = file('[DEFAULT]\n')
    chmodSync(p, 0o444)
    const r = cli(['enable', '--config-file', p])
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/read-only file \(mode 0444\)/)
    expect(read(p)).toBe('[DEFAULT]\n')
    expect(others('dhcp_agent.ini')).toEqual([])
  })

  it('a read-only directory is exit 3, untouched, no temp file left', () => {
    const p = file('[DEFAULT]\n')
    chmodSync(dir, 0o555)
    const r = cli(['enable', '--config-file', p, '--json'])
    expect(r.status).toBe(3)
    expect(r.json.error.code).toBe('config-read-only')
    expect(read(p)).toBe('[DEFAULT]\n')
    expect(others('dhcp_agent.ini')).toEqual([])
  })

  it.skipIf(!nobodyCanRun)('a file the user may not write (real EACCES, run as nobody) is exit 3 and untouched', () => {
    const p = file('[DEFAULT]\n')
    chmodSync(dir, 0o755)
    chmodSync(p, 0o644)
    const r = cli(['enable', '--config-file', p], {uid: 65534, gid: 65534})
    expect(r.status).toBe(3)
    expect(read(p)).toBe('[DEFAULT]\n')
    expect(others('dhcp_agent.ini')).toEqual([])
  })

  it('an unknown flag is exit 2 with one line, also under --json', () => {
    const r = cli(['enable', '--frobnicate'])
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual(['quantum-meta: Nonexistent flag: --frobnicate (see --help)'])
    const j = cli(['enable', '--frobnicate', '--json'])
    expect(j.status).toBe(2)
    expect(j.json).toEqual({error: {code: 'usage', exit: 2, message: 'Nonexistent flag: --frobnicate (see --help)'}})
  })

  it('a failed --restart is exit 3 with the service manager message; the edit itself is kept', () => {
    const p = file('[DEFAULT]\n')
    const bindir = join(dir, 'bin')
    mkdirSync(bindir)
    // stand-ins for the service managers, so the test never restarts anything on this machine
    for (const tool of ['systemctl', 'service']) {
      writeFileSync(join(bindir, tool), '#!/bin/sh\necho "Failed to restart neutron-dhcp-agent.service: Unit not found." >&2\nexit 5\n', {mode: 0o755})
    }
    const r = cli(['enable', '--config-file', p, '--restart', '--no-backup'], {env: {PATH: `${bindir}:${process.env.PATH}`}})
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/restarting neutron-dhcp-agent failed: Failed to restart neutron-dhcp-agent.service: Unit not found\./)
    expect(read(p)).toBe('[DEFAULT]\nenable_isolated_metadata = True\n')
  })
})
