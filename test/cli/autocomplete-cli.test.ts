// Shell completion (@oclif/plugin-autocomplete) through the built binary, in a real bash: the setup
// `quantum-meta autocomplete bash` tells operators to add to ~/.bashrc is sourced, then bash's own
// completion machinery (complete -p, the completion function with COMP_WORDS/COMP_CWORD as bash sets
// them on <TAB>) is asked what quantum-meta completes.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

const home = mkdtempSync(join(tmpdir(), 'qm-complete-'))
// the plugin keeps its generated scripts in oclif's cache dir: $XDG_CACHE_HOME/quantum-meta, else ~/.cache/quantum-meta
const env = {HOME: home, XDG_CACHE_HOME: join(home, '.cache')}
let setup = ''

beforeAll(() => {
  // what the README tells operators to run: it builds the cache and prints the instructions
  const r = cli(['autocomplete', 'bash'], {env})
  expect(r.status).toBe(0)
  expect(r.stdout).toMatch(/quantum-meta autocomplete script bash/)
  const s = cli(['autocomplete', 'script', 'bash'], {env})
  expect(s.status).toBe(0)
  setup = s.stdout
})
afterAll(() => rmSync(home, {force: true, recursive: true}))

/** Source the setup in a fresh non-interactive bash (no rc files), then run `script`; stdout. */
function bash(script: string): {status: number | null; stdout: string; stderr: string} {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `${setup}\n${script}`], {encoding: 'utf8', env: {...process.env, ...env}, timeout: 30_000})
  return {status: r.status, stderr: r.stderr, stdout: r.stdout}
}

/** What bash offers for the words typed so far (the last one being completed), as a sorted list. */
function complete(words: string[]): string[] {
  const arr = words.map((w) => `'${w}'`).join(' ')
  const r = bash(`fn=$(complete -p quantum-meta | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; COMP_LINE="${words.join(' ')}"; COMP_POINT=\${#COMP_LINE}
"$fn" quantum-meta '${words.at(-1)}' '${words.at(-2)}'
printf '%s\\n' "\${COMPREPLY[@]}"`)
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return r.stdout.split('\n').filter(Boolean).sort()
}

describe('quantum-meta autocomplete (bash)', () => {
  it('the setup names a generated script under the cache dir, and sourcing it registers a completion function for quantum-meta', () => {
    expect(setup).toMatch(/QUANTUM_META_AC_BASH_SETUP_PATH=\S+\/\.cache\/quantum-meta\/autocomplete\/bash_setup/)
    expect(existsSync(join(home, '.cache/quantum-meta/autocomplete/bash_setup'))).toBe(true)
    const r = bash('complete -p quantum-meta')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^complete -F \S+ quantum-meta$/m)
  })

  it('a word after quantum-meta completes to the commands: `di` to diagnose and disable, `diag` to diagnose alone', () => {
    expect(complete(['quantum-meta', ''])).toEqual(expect.arrayContaining(['collect', 'diagnose', 'disable', 'enable', 'opts', 'subnet']))
    expect(complete(['quantum-meta', 'di'])).toEqual(['diagnose', 'disable'])
    expect(complete(['quantum-meta', 'diag'])).toEqual(['diagnose'])
  })

  it("diagnose's flags complete, --j to --json and --junit; a topic's commands (space-separated) complete", () => {
    const flags = complete(['quantum-meta', 'diagnose', '--'])
    expect(flags).toEqual(expect.arrayContaining(['--all', '--check', '--format', '--junit', '--json', '--list-checks', '--probe', '--snapshot']))
    expect(complete(['quantum-meta', 'diagnose', '--j'])).toEqual(['--json', '--junit'])
    expect(complete(['quantum-meta', 'subnet', 'cr'])).toEqual(['create'])
  })

  it('PowerShell, which no test here runs, is not offered: not in the help, refused in one line (exit 2)', () => {
    for (const help of [cli(['autocomplete', '--help'], {env}), cli(['help', 'autocomplete'], {env})]) {
      expect(help.status).toBe(0)
      expect(help.stdout).toMatch(/\(bash\|zsh\)/)
      expect(help.stdout).not.toMatch(/powershell/i)
    }
    for (const argv of [
      ['autocomplete', 'powershell'],
      ['autocomplete', 'script', 'powershell'],
    ]) {
      const r = cli(argv, {env})
      expect(r.status).toBe(2)
      expect(r.stderr).toBe('quantum-meta: Expected powershell to be one of: bash, zsh (see --help)\n')
      expect(r.stdout).toBe('')
    }
  })

  it('a shell it does not know, or a flag it does not take: exit 2 in one line (the plugin has no QmCommand.catch; src/run.ts does it)', () => {
    const fish = cli(['autocomplete', 'fish'], {env})
    expect(fish.status).toBe(2)
    expect(fish.stderr).toBe('quantum-meta: Expected fish to be one of: bash, zsh (see --help)\n')
    const flag = cli(['autocomplete', '--os-password=secret'], {env})
    expect(flag.status).toBe(2)
    expect(flag.stderr).toBe('quantum-meta: Nonexistent flag: --os-password (see --help)\n')
    const json = cli(['autocomplete', 'bash', '--json'], {env})
    expect(json.status).toBe(2)
    expect(json.json.error).toMatchObject({code: 'usage', exit: 2})
  })

  it('zsh: sourcing the setup in a real zsh (no rc files) registers _quantum-meta for quantum-meta; it names diagnose and its flags', () => {
    const z = cli(['autocomplete', 'script', 'zsh'], {env})
    expect(z.status).toBe(0)
    expect(z.stdout).toMatch(/QUANTUM_META_AC_ZSH_SETUP_PATH=\S+\/\.cache\/quantum-meta\/autocomplete\/zsh_setup/)
    const r = spawnSync('zsh', ['-f', '-c', `${z.stdout}\nprint -r -- "comp=\${_comps[quantum-meta]}"; whence -w _quantum-meta`], {
      encoding: 'utf8',
      env: {...process.env, ...env},
      timeout: 30_000,
    })
    expect(r.error).toBeUndefined()
    expect(r.stdout).toBe('comp=_quantum-meta\n_quantum-meta: function\n')
    const file = join(home, '.cache/quantum-meta/autocomplete/functions/zsh/_quantum-meta')
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0)
    const fn = readFileSync(file, 'utf8')
    expect(fn).toMatch(/^#compdef quantum-meta/)
    expect(fn).toMatch(/^"diagnose\[name the broken link/m)
    expect(fn).toMatch(/^--junit"\[also write the JUnit XML/m)
    expect(fn).toMatch(/^--format"\[.*\]:format options:\(table junit\)"/m)
  })
})
