// Values written into dhcp_agent.ini cannot change its structure, a second identical run changes
// nothing, and a py2-era file with Latin-1 bytes in a comment is edited keeping every other byte.
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {enableWanted} from '../../src/config/dhcp-agent.js'
import {applySettings} from '../../src/config/edit.js'
import {QmError} from '../../src/errors.js'
import {effective, parseIni} from '../../src/config/oslo-ini.js'
import {cli} from '../helpers/cli.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-values-'))
})
afterEach(() => {
  rmSync(dir, {force: true, recursive: true})
})

const START = '[DEFAULT]\n# root_helper = sudo\n# enable_isolated_metadata = False\n\n[AGENT]\nx = 1\n'
function file(text: string | Buffer): string {
  const p = join(dir, 'dhcp_agent.ini')
  writeFileSync(p, text)
  return p
}
const rootHelper = (p: string) => effective(parseIni(readFileSync(p, 'utf8')), 'DEFAULT', 'root_helper')?.value

describe('a value cannot add lines, sections or keys', () => {
  it.each([
    ['LF', 'sudo\n[evil]\nx=1'],
    ['CR', 'sudo\r[evil]'],
    ['CRLF', 'sudo\r\nenable_isolated_metadata = False'],
    ['ESC', 'sudo \u001b[31m'],
    ['DEL', 'sudo\u007f'],
    ['TAB', 'sudo\tx'],
    ['U+2028', 'sudo\u2028x'],
    ['NEL', 'sudo\u0085x'],
  ])('--root-helper with %s: exit 2, one line naming the flag, nothing written', (_name, value) => {
    const p = file(START)
    const r = cli(['enable', '--config-file', p, '--root-helper', value])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^quantum-meta: --root-helper: contains a control character \(U\+[0-9A-F]{4} at position \d+\); nothing written\n$/)
    expect(readFileSync(p, 'utf8')).toBe(START)
    expect(readdirSync(dir)).toEqual(['dhcp_agent.ini'])
  })

  it('NUL (which no command line can carry) is refused by the editor itself, for every written value', () => {
    expect(() => applySettings(START, enableWanted({rootHelper: 'sudo\u0000x'}))).toThrow(QmError)
    expect(() => applySettings(START, enableWanted({rootHelper: 'sudo\u0000x'}))).toThrow(/control character \(U\+0000/)
  })

  it.each(['', '   ', '""', "' '"])('an empty value (%j) is exit 2, nothing written', (value) => {
    const p = file(START)
    const r = cli(['enable', '--config-file', p, '--root-helper', value, '--json'])
    expect(r.status).toBe(2)
    expect(r.json.error.code).toBe('config-bad-value')
    expect(r.json.error.message).toMatch(/^--root-helper: empty value/)
    expect(readFileSync(p, 'utf8')).toBe(START)
  })
})

describe('a second identical run changes nothing', () => {
  it.each([
    [' sudo ', 'sudo', 'root_helper = sudo'],
    ['"quoted"', 'quoted', 'root_helper = quoted'],
    ["'sudo rootwrap'", 'sudo rootwrap', 'root_helper = sudo rootwrap'],
    ['" padded "', ' padded ', 'root_helper = " padded "'],
    ['""x""', '"x"', 'root_helper = ""x""'],
  ])('--root-helper %j means %j as oslo.config reads it, written as %j; run 2 and 3 change nothing', (given, meaning, line) => {
    const p = file(START)
    expect(cli(['enable', '--config-file', p, '--root-helper', given, '--no-backup']).status).toBe(0)
    const once = readFileSync(p, 'utf8')
    expect(once).toContain(`\n${line}\n`)
    expect(rootHelper(p)).toBe(meaning)
    for (let i = 0; i < 2; i++) {
      const r = cli(['enable', '--config-file', p, '--root-helper', given, '--json'])
      expect(r.status).toBe(0)
      expect(r.json.changed).toBe(false)
      expect(r.json.backup).toBeNull()
      expect(readFileSync(p, 'utf8')).toBe(once)
    }
  })

  it('an existing quoted line keeps its quotes and converges', () => {
    const p = file('[DEFAULT]\nroot_helper = "sudo old"\n')
    expect(cli(['enable', '--config-file', p, '--root-helper', '"sudo new"', '--no-backup']).status).toBe(0)
    expect(readFileSync(p, 'utf8')).toBe('[DEFAULT]\nroot_helper = "sudo new"\nenable_isolated_metadata = True\n')
    expect(cli(['enable', '--config-file', p, '--root-helper', '"sudo new"', '--json']).json.changed).toBe(false)
    expect(cli(['enable', '--config-file', p, '--root-helper', 'sudo new', '--json']).json.changed).toBe(false)
  })
})

describe('a py2-era file with Latin-1 bytes', () => {
  it('is enabled, and every byte not on the added line is kept', () => {
    const head = Buffer.from('[DEFAULT]\n# Configuraci\xf3n del agente DHCP (\xa9 2013, se\xf1or Mu\xf1oz)\n# enable_isolated_metadata = False\n', 'latin1')
    const tail = Buffer.from('debug = False\n# \xe9t\xe9\n', 'latin1')
    const p = file(Buffer.concat([head, tail]))
    const r = cli(['enable', '--config-file', p, '--json'])
    expect(r.status).toBe(0)
    expect(readFileSync(p).equals(Buffer.concat([head, Buffer.from('enable_isolated_metadata = True\n'), tail]))).toBe(true)
    expect(readFileSync(r.json.backup).equals(Buffer.concat([head, tail]))).toBe(true)
    expect(cli(['enable', '--config-file', p, '--json']).json.changed).toBe(false)
    expect(cli(['disable', '--config-file', p, '--no-backup']).status).toBe(0)
    expect(readFileSync(p).equals(Buffer.concat([head, Buffer.from('enable_isolated_metadata = False\n'), tail]))).toBe(true)
  })

  it('a non-ASCII value cannot be written into it: exit 2, untouched', () => {
    const bytes = Buffer.from('[DEFAULT]\n# \xe9t\xe9\n', 'latin1')
    const p = file(bytes)
    const r = cli(['enable', '--config-file', p, '--root-helper', 'sudo /opt/r\u00e9/rootwrap'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/not UTF-8.*--root-helper/)
    expect(readFileSync(p).equals(bytes)).toBe(true)
  })
})
