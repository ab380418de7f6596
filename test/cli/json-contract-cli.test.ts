// The --json contract on every path, through the built binary: exactly one JSON document on stdout,
// {"error": {code, message, exit}} for an error, with the documented exit code, and nothing on
// stderr; without --json the same errors are one line on stderr. Also two small usage rules: an
// empty path flag is exit 2, and `disable --check` suggests the command that fixes it.
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-json-'))
})
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** stdout is exactly one JSON document (JSON.parse takes the whole of it) and an error document. */
function oneErrorDocument(stdout: string): {code: string; message: string; exit: number} {
  const doc = JSON.parse(stdout)
  expect(Object.keys(doc)).toEqual(['error'])
  expect(Object.keys(doc.error).sort()).toEqual(['code', 'exit', 'message'])
  expect(doc.error.message).not.toMatch(/\n/)
  return doc.error
}

describe('--json: every error is one JSON document on stdout, with its exit code', () => {
  const cases: [string[], number, RegExp][] = [
    [['enable', 'extra', '--json'], 2, /^enable: unexpected argument "extra"/],
    [['nosuch', '--json'], 2, /^unknown command "nosuch"/],
    [['enabel', '--json'], 2, /^unknown command "enabel"/],
    [['help', '--json'], 2, /^help prints text, not JSON/],
    [['--json'], 2, /^give a command/],
    [['subnet', '--json'], 2, /^subnet is a topic/],
    [['opts', '--json'], 2, /^opts is a topic/],
    [['enable', '--help', '--json'], 2, /^--help prints text/],
    [['--version', '--json'], 2, /^--version prints text/],
    [['subnet', 'nosuch', '--json'], 2, /^unknown command "subnet nosuch"/],
    [['enable', '--nosuch', '--json'], 2, /^Nonexistent flag: --nosuch/],
    [['diagnose', 'not-a-uuid', '--json'], 2, /must be a UUID/],
    [['enable', '--json', '--', 'x'], 2, /^Unexpected argument: x/],
    [['enable', '--config-file', '/nonexistent/dhcp_agent.ini', '--json'], 3, /no such file/],
  ]
  it.each(cases)('%j: exit %i', (args, exit, message) => {
    const r = cli(args)
    expect(r.status).toBe(exit)
    const err = oneErrorDocument(r.stdout)
    expect(err.exit).toBe(exit)
    expect(err.message).toMatch(message)
    expect(r.stderr).toBe('')
  })

  it('--json after `--` is an argument, not the flag: the error is a line on stderr', () => {
    const r = cli(['nosuch', '--', '--json'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
  })
})

describe('without --json: the same errors are one line on stderr, nothing on stdout', () => {
  it.each([
    [['enable', 'extra'], /^quantum-meta: enable: unexpected argument "extra" \(see quantum-meta enable --help\)\n$/],
    [['nosuch'], /^quantum-meta: unknown command "nosuch" \(see quantum-meta --help\)\n$/],
    [['enabel'], /^quantum-meta: unknown command "enabel"/],
  ])('%j', (args, line) => {
    const r = cli(args)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(line)
  })
})

describe('help without --json is text on stdout, exit 0, nothing on stderr', () => {
  // oclif's help command is an ES module it loads with import(): a bundling change once broke it
  // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING) while `--help` still worked
  it.each([[['help']], [['help', 'enable']], [['--help']], [['subnet', 'create', '--help']]])('%j', (args) => {
    const r = cli(args)
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/USAGE\n\s+\$ quantum-meta /)
  })
})

describe('an empty path flag is bad usage (exit 2 "--FLAG: empty path"), never a path', () => {
  it.each([
    ['enable', '--config-file='],
    ['disable', '--config-file', ''],
    ['diagnose', NET, '--snapshot='],
    ['diagnose', NET, '--state-path=', '--snapshot', '/nonexistent.json'],
    ['collect', NET, '--output='],
    ['collect', NET, '--metadata-agent-config='],
    ['opts', 'verify', NET, '--state-path='],
    ['subnet', 'create', 'net', '10.0.0.0/24', '--os-cacert='],
  ])('%s %s %s', (...args) => {
    const flag = args.find((a) => a.startsWith('--') && (a.endsWith('=') || args[args.indexOf(a) + 1] === ''))!.replace(/=$/, '')
    const r = cli(args)
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${flag}: empty path\n`)
    const j = cli([...args, '--json'])
    expect(j.status).toBe(2)
    expect(oneErrorDocument(j.stdout)).toEqual({code: 'empty-path', exit: 2, message: `${flag}: empty path`})
  })
})

describe('--check names the command that fixes it', () => {
  const ini = (body: string) => {
    const p = join(dir, `c${Math.random().toString(36).slice(2)}.ini`)
    writeFileSync(p, `[DEFAULT]\n${body}\n`)
    return p
  }

  it('disable --check on a value oslo.config rejects suggests disable (which writes False), not enable', () => {
    const p = ini('enable_isolated_metadata = maybe')
    const r = cli(['disable', '--check', '--config-file', p])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`fix: quantum-meta disable --config-file ${p} --restart`)
    expect(r.stdout).not.toMatch(/quantum-meta enable/)
  })

  it('disable --check when it is on suggests disable; when already off, passes with no fix', () => {
    const on = ini('force_metadata = True')
    expect(cli(['disable', '--check', '--config-file', on]).stdout).toContain(`fix: quantum-meta disable --config-file ${on} --restart`)
    const off = cli(['disable', '--check', '--config-file', ini('enable_isolated_metadata = False')])
    expect(off.status).toBe(0)
    expect(off.stdout).toMatch(/^ok: .*isolated metadata is not served\n$/)
  })

  it("enable --check's fix quotes a path a shell would split", () => {
    mkdirSync(join(dir, 'a dir; x'), {recursive: true})
    const p = join(dir, 'a dir; x', 'dhcp_agent.ini')
    writeFileSync(p, '[DEFAULT]\nenable_isolated_metadata = False\n')
    const r = cli(['enable', '--check', '--config-file', p])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`fix: quantum-meta enable --config-file '${p}' --restart\n`)
  })

  it('enable --check when enable would not fix it (another switch holds a rejected value) does not suggest enable', () => {
    const p = ini('enable_isolated_metadata = False\nforce_metadata = maybe')
    const r = cli(['enable', '--check', '--config-file', p])
    expect(r.status).toBe(1)
    expect(r.stdout).not.toContain('fix: quantum-meta enable --config-file')
    // the editor at the rejected line, a command a shell takes; the reason apart, after #
    expect(r.stdout).toContain(
      `fix: "\${EDITOR:-vi}" +3 ${p}\n# put True or False in place of the value oslo.config rejects (line 3), then: quantum-meta enable --check --config-file ${p}\n`,
    )
    const command = r.stdout
      .split('\n')
      .find((l) => l.startsWith('fix: '))!
      .slice('fix: '.length)
    expect(spawnSync('bash', ['-n', '-c', command]).status).toBe(0)
  })
})
