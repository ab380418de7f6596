// dist/quantum-meta, the single executable `npm run build` makes (scripts/sea.mjs): every answer here is
// compared with bin/run.js's for the same arguments (stdout, stderr, exit), and the executable is also run
// as a lone copy in an empty directory, away from dist/, node_modules and the manifest.
// The run in a Debian 12 root without Node.js is test/integration/sea-chroot.test.ts (root).
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult, ROOT, cli, seaCli} from '../helpers/cli.js'

const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const VERSION = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version as string

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-sea-cli-'))
})
afterAll(() => rmSync(dir, {force: true, recursive: true}))

const outcome = (r: CliResult) => ({status: r.status, stderr: r.stderr, stdout: r.stdout})

/** the executable's answer, checked equal to bin/run.js's, returned for the case's own assertions */
function same(args: string[]): CliResult {
  const sea = seaCli(args)
  expect(outcome(sea)).toEqual(outcome(cli(args)))
  return sea
}

describe('dist/quantum-meta answers as bin/run.js does', () => {
  it('--help: the root help with every command and topic', () => {
    const r = same(['--help'])
    expect(r.status).toBe(0)
    for (const word of ['collect', 'diagnose', 'disable', 'enable', 'autocomplete', 'subnet', 'opts']) expect(r.stdout).toMatch(new RegExp(`^  ${word} `, 'm'))
  })

  it('--version: this package and the node it carries', () => {
    const r = same(['--version'])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`quantum-meta/${VERSION} linux-${process.arch} node-${process.version}\n`)
  })

  it("a command's help, a topic's, and the help plugin's and autocomplete's commands", () => {
    expect(same(['diagnose', '--help']).stdout).toContain('--snapshot')
    expect(same(['help', 'subnet', 'create']).stdout).toContain('subnet create')
    expect(same(['subnet']).stdout).toContain('subnet create')
    // src/run.ts narrows autocomplete's shells to bash and zsh: the executable takes the same path
    const auto = same(['autocomplete', '--help'])
    expect(auto.stdout).toContain('bash or zsh')
    expect(auto.stdout).not.toContain('powershell')
  })

  it('enable --check: isolated metadata off is exit 1 with its fix, on is exit 0', () => {
    const off = join(dir, 'off.ini')
    const on = join(dir, 'on.ini')
    writeFileSync(off, '[DEFAULT]\ninterface_driver = openvswitch\n')
    writeFileSync(on, '[DEFAULT]\ninterface_driver = openvswitch\nenable_isolated_metadata = True\n')
    const failed = same(['enable', '--check', '--config-file', off])
    expect(failed.status).toBe(1)
    expect(failed.stdout).toContain(`fix: quantum-meta enable --config-file ${off}`)
    expect(same(['enable', '--check', '--config-file', on]).status).toBe(0)
  })

  it('diagnose --snapshot of the bundled example: the same table and exit 3', () => {
    const r = same(['diagnose', NET, '--snapshot', SNAP])
    expect(r.status).toBe(3)
    expect(r.stdout).toMatch(/│ ok +│ config\.metadata-enabled/)
    expect(same(['diagnose', NET, '--snapshot', SNAP, '--json']).json).toMatchObject({network: NET, verdict: 'not-judged'})
  })

  it('errors before a command: an unknown command (the command_not_found hook), a bad flag, under --json', () => {
    expect(same(['diagnos']).status).not.toBe(0)
    expect(same(['enable', '--nosuch']).status).toBe(2)
    const json = same(['nosuch', '--json'])
    expect(json.json.error.code).toBeDefined()
    expect(same(['--help', '--json']).json.error.message).toContain('--help prints text')
  })
})

describe('dist/quantum-meta alone', () => {
  it('a copy in an empty directory: --help and the example diagnose need no other file', () => {
    const bin = join(dir, 'quantum-meta')
    copyFileSync(`${ROOT}dist/quantum-meta`, bin)
    copyFileSync(SNAP, join(dir, 'example.json'))
    const help = seaCli(['--help'], {bin, cwd: dir})
    expect(help.status).toBe(0)
    expect(help.stdout).toBe(cli(['--help']).stdout)
    const diag = seaCli(['diagnose', NET, '--snapshot', 'example.json'], {bin, cwd: dir})
    expect(diag.status).toBe(3)
    expect(diag.stdout).toBe(cli(['diagnose', NET, '--snapshot', SNAP]).stdout)
    expect(diag.stderr).toBe('')
  })

  it("runs `node -e SCRIPT -- ARG` as node does: the --probe GET's way of running Node in a namespace", () => {
    const script = "console.log(JSON.stringify(process.argv.slice(1)), require('http').STATUS_CODES[404])"
    const r = seaCli(['-e', script, '--', 'tap0'])
    expect(r).toMatchObject({status: 0, stdout: '["tap0"] Not Found\n'})
  })

  it('npm pack leaves it out: the npm package is the JavaScript, for a node of its own', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json'], {cwd: ROOT, encoding: 'utf8'})
    const files = (JSON.parse(r.stdout)[0].files as {path: string}[]).map((f) => f.path)
    expect(files).toContain('dist/run.js')
    expect(files.filter((f) => f.startsWith('dist/quantum-meta'))).toEqual([])
  })

  it('the build wrote its sha256, in the form sha256sum -c reads', () => {
    const sum = createHash('sha256')
      .update(readFileSync(`${ROOT}dist/quantum-meta`))
      .digest('hex')
    expect(readFileSync(`${ROOT}dist/quantum-meta.sha256`, 'utf8')).toBe(`${sum}  quantum-meta\n`)
  })
})
