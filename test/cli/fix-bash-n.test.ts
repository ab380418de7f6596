/**
 * `bash -n` over every fix the test states produce (issue 21 item 1; the states: test/helpers/fix-states.ts):
 * each command and each alternative's command is one line bash parses. Failing names the command.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'
import {allFixes, commandsOf} from '../helpers/fix-states.js'

describe('bash -n over every fix of the test states', () => {
  it('parses each command', () => {
    const commands = [...new Set(allFixes().flatMap(({fix}) => commandsOf(fix)))]
    expect(commands.length).toBeGreaterThan(50)
    const bad: string[] = []
    for (const c of commands) {
      try {
        execFileSync('bash', ['-n', '-c', c], {stdio: ['ignore', 'ignore', 'pipe']})
      } catch (error) {
        bad.push(`${c}\n  ${String((error as {stderr?: Buffer}).stderr ?? error).trim()}`)
      }
    }
    expect(bad, bad.join('\n')).toEqual([])
  })
})

describe('the fix through bin/run.js: --json carries the object, the table the command alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qm-fix-cli-'))
  afterAll(() => rmSync(dir, {force: true, recursive: true}))
  // the Grizzly seed with the metadata route gone from opts: the restart, and the by-hand line as the alternative
  const snap = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
  snap.networks[0].opts.content = 'tag:tag0,option:router'
  const path = join(dir, 'no-route.json')
  writeFileSync(path, JSON.stringify(snap))
  const NET = snap.networks[0].network

  it('--json: fix is {command, why, alternative: {command, why}}', () => {
    const r = cli(['diagnose', NET, '--snapshot', path, '--json'])
    expect(r.status).toBe(1)
    const f = r.json.findings.find((x: {id: string}) => x.id === 'opts.metadata-route')
    expect(Object.keys(f.fix).sort()).toEqual(['alternative', 'command', 'why'])
    expect(f.fix.command).toMatch(/^\S+( \S+)* ?restart\S*( \S+)?$/)
    expect(f.fix.alternative.command).toMatch(
      /^printf '\\n%s' 'tag:tag0,option:classless-static-route,169\.254\.169\.254\/32,172\.17\.17\.1' >> \S+ && kill -HUP 27348$/,
    )
    for (const c of [f.fix.command, f.fix.alternative.command]) execFileSync('bash', ['-n', '-c', c])
    // a config fix in --json: file, section, set, why
    const off = JSON.parse(JSON.stringify(snap))
    off.networks[0].config.content = off.networks[0].config.content.replace(/enable_isolated_metadata\s*=\s*True/i, 'enable_isolated_metadata = False')
    const metaPath = join(dir, 'md.json')
    off.networks[0].metadataAgentConfig = {
      content: '[DEFAULT]\nmetadata_proxy_socket = /run/elsewhere\n',
      path: '/etc/quantum/metadata_agent.ini',
      state: 'present',
    }
    writeFileSync(metaPath, JSON.stringify(off))
    const m = cli(['diagnose', NET, '--snapshot', metaPath, '--json'])
    const md = m.json.findings.find((x: {id: string}) => x.id === 'metadata-agent.config')
    expect(md.fix).toEqual({
      file: '/etc/quantum/metadata_agent.ini',
      section: 'DEFAULT',
      set: expect.stringMatching(/^metadata_proxy_socket = \//),
      why: expect.stringMatching(/^where the proxy forwards; then /),
    })
  })

  it('the table: the command alone on its line, the reason after `# `, the alternative after `# or:`', () => {
    const r = cli(['diagnose', NET, '--snapshot', path])
    expect(r.status).toBe(1)
    const lines = r.stdout.split('\n')
    const at = lines.indexOf('fix:')
    expect(at, r.stdout).toBeGreaterThan(0)
    const json = cli(['diagnose', NET, '--snapshot', path, '--json']).json.findings.find((x: {id: string}) => x.id === 'opts.metadata-route').fix
    expect(lines.slice(at + 1, at + 6)).toEqual([json.command, `# ${json.why}`, '# or:', json.alternative.command, `# ${json.alternative.why}`])
  })
})
