// Pure tests of the oslo.config reader and the line editor, plus property tests on generated files.
import fc from 'fast-check'
import ini from 'ini'
import {describe, expect, it} from 'vitest'

import {disableWanted, enableWanted, metadataVerdict, readSettings} from '../../src/config/dhcp-agent.js'
import {applySettings} from '../../src/config/edit.js'
import {IniSyntaxError, effective, osloBool, parseIni} from '../../src/config/oslo-ini.js'

const enable = (t: string) => applySettings(t, enableWanted({}))
const disable = (t: string) => applySettings(t, disableWanted())

describe('oslo.config reading rules', () => {
  it('accepts the booleans oslo accepts, any case, and nothing else', () => {
    for (const v of ['True', 'true', 'TRUE', '1', 'yes', 'On']) expect(osloBool(v)).toBe(true)
    for (const v of ['False', 'false', '0', 'no', 'OFF']) expect(osloBool(v)).toBe(false)
    for (const v of ['', 'ture', 'True # on', 'y', '2']) expect(osloBool(v)).toBeUndefined()
  })

  it('takes the last duplicate, joins indented continuation lines and keeps # inside values', () => {
    const p = parseIni('[DEFAULT]\nk = a\nk = b\nmulti = x\n  y\n\tz\nc = True # note\n')
    expect(effective(p, 'DEFAULT', 'k')?.value).toBe('b')
    expect(effective(p, 'DEFAULT', 'multi')?.value).toBe('x\ny\nz')
    expect(effective(p, 'DEFAULT', 'c')?.value).toBe('True # note')
  })

  it('reads key: value, strips matching quotes, takes section names verbatim', () => {
    const p = parseIni('[DEFAULT]\na: "True"\n[ DEFAULT ]\nb = 1\n')
    expect(effective(p, 'DEFAULT', 'a')?.value).toBe('True')
    expect(effective(p, 'DEFAULT', 'b')).toBeUndefined()
    expect(effective(p, ' DEFAULT ', 'b')?.value).toBe('1')
  })

  it('rejects what oslo.config rejects, with the line number', () => {
    expect(() => parseIni('key = 1\n[DEFAULT]\n')).toThrow(/line 1: "key" is outside any \[section\]/)
    expect(() => parseIni('[DEFAULT]\n\n  indented\n')).toThrow(IniSyntaxError)
    expect(() => parseIni('[DEFAULT\n')).toThrow(/line 1/)
    expect(() => parseIni('[DEFAULT]\njust words\n')).toThrow(/line 2/)
  })

  it('an inline comment makes the boolean invalid: the agent would refuse to start', () => {
    const v = metadataVerdict(readSettings(parseIni('[DEFAULT]\nenable_isolated_metadata = True # yes please\n')))
    expect(v).toMatchObject({serves: false, valid: false})
    expect(v.reason).toMatch(/line 2.*refuse to start/)
  })
})

describe('line edits', () => {
  it('rewrites only the value, keeping quotes, tabs and the separator', () => {
    expect(enable('[DEFAULT]\nenable_isolated_metadata\t=\t"false"\n').text).toBe('[DEFAULT]\nenable_isolated_metadata\t=\t"True"\n')
    expect(enable('[DEFAULT]\nenable_isolated_metadata: no\n').text).toBe('[DEFAULT]\nenable_isolated_metadata: True\n')
    expect(enable('[DEFAULT]\nenable_isolated_metadata =\n').text).toBe('[DEFAULT]\nenable_isolated_metadata = True\n')
  })

  it('drops the continuation lines of a rewritten value (they were part of the wrong value)', () => {
    const r = enable('[DEFAULT]\nenable_isolated_metadata = False\n    oops\nother = 1\n')
    expect(r.text).toBe('[DEFAULT]\nenable_isolated_metadata = True\nother = 1\n')
  })

  it('appends at the end of [DEFAULT] before the blank line that separates sections', () => {
    const r = enable('[DEFAULT]\na = 1\n\n[AGENT]\nenable_isolated_metadata = True\n')
    expect(r.text).toBe('[DEFAULT]\na = 1\nenable_isolated_metadata = True\n\n[AGENT]\nenable_isolated_metadata = True\n')
    expect(r.changes).toEqual([{action: 'add', key: 'enable_isolated_metadata', line: 3}])
  })

  it('follows the file style key=value when the file writes it that way', () => {
    expect(enable('[DEFAULT]\na=1\nb=2\n').text).toBe('[DEFAULT]\na=1\nb=2\nenable_isolated_metadata=True\n')
  })

  it('root_helper is written verbatim in [DEFAULT]', () => {
    const cmd = 'sudo /usr/bin/quantum-rootwrap /etc/quantum/rootwrap.conf'
    const r = applySettings('[DEFAULT]\n# root_helper = sudo\n', enableWanted({rootHelper: cmd}))
    expect(r.text).toBe(`[DEFAULT]\n# root_helper = sudo\nroot_helper = ${cmd}\nenable_isolated_metadata = True\n`)
    expect(readSettings(parseIni(r.text)).root_helper.value).toBe(cmd)
  })

  it('an empty file gets a [DEFAULT] section', () => {
    expect(enable('').text).toBe('[DEFAULT]\nenable_isolated_metadata = True\n')
  })
})

// ---- property tests on generated dhcp_agent.ini texts -------------------------------------------

const KEYS = ['enable_isolated_metadata', 'force_metadata', 'enable_metadata_network', 'interface_driver', 'debug']
const VALUES = ['True', 'False', 'true', 'false', '0', '1', 'yes', 'no', 'ON', 'linuxbridge']
const line = fc.oneof(
  fc.constant(''),
  fc.constantFrom('# a comment', '#enable_isolated_metadata = false', '# enable_isolated_metadata = False', '; old style', '#force_metadata = false'),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(' = ', '=', ' =\t', ': '), fc.constantFrom(...VALUES)).map(([k, s, v]) => `${k}${s}${v}`),
)
const section = fc.tuple(fc.constantFrom('DEFAULT', 'AGENT', 'ovs', 'DEFAULT'), fc.array(line, {maxLength: 8}))
const iniText = fc
  .record({
    bom: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n'),
    finalNewline: fc.boolean(),
    head: fc.array(fc.constantFrom('', '# header comment'), {maxLength: 2}),
    sections: fc.array(section, {maxLength: 4}),
  })
  .map(({bom, eol, finalNewline, head, sections}) => {
    const lines = [...head, ...sections.flatMap(([name, body]) => [`[${name}]`, ...body])]
    const text = lines.join(eol) + (finalNewline && lines.length > 0 ? eol : '')
    return (bom ? '\uFEFF' : '') + text
  })

const TARGET = /^(enable_isolated_metadata|force_metadata|enable_metadata_network)\s*[=:]/
/** Everything but the target keys' lines (and a [DEFAULT] header the edit may add), line endings included. */
function rest(text: string): string[] {
  if (text.replace(/^\uFEFF/, '') === '') return []
  return text
    .replace(/^\uFEFF/, '')
    .split(/(?<=\n)/)
    .filter((l) => !TARGET.test(l))
    .map((l) => l.replace(/\r?\n$/, ''))
}
function meaningOfOthers(text: string) {
  return parseIni(text)
    .assignments.filter((a) => !TARGET.test(`${a.key}=`))
    .map((a) => [a.section, a.key, a.value])
}

describe('properties of enable/disable on generated ini files', () => {
  it('enable serves isolated metadata and changes only enable_isolated_metadata lines (plus a [DEFAULT] header when missing)', () => {
    fc.assert(
      fc.property(iniText, (text) => {
        const r = enable(text)
        const verdict = metadataVerdict(readSettings(parseIni(r.text)))
        // served, unless another switch holds a value oslo rejects (then the agent cannot start at all)
        expect(verdict.serves || !verdict.valid).toBe(true)
        const before = rest(text)
        const after = rest(r.text)
        const hadDefault = parseIni(text).blocks.some((b) => b.name === 'DEFAULT')
        expect(after).toEqual(hadDefault ? before : ['[DEFAULT]', ...(before.length > 0 ? [''] : []), ...before])
        expect(meaningOfOthers(r.text)).toEqual(meaningOfOthers(text))
        expect(r.text.startsWith('\uFEFF')).toBe(text.startsWith('\uFEFF'))
      }),
      {numRuns: 400},
    )
  })

  it('enable is idempotent', () => {
    fc.assert(
      fc.property(iniText, (text) => {
        const once = enable(text).text
        const twice = enable(once)
        expect(twice.changed).toBe(false)
        expect(twice.text).toBe(once)
      }),
      {numRuns: 400},
    )
  })

  it('disable after enable gives back the original meaning of a file that did not serve metadata', () => {
    fc.assert(
      fc.property(iniText, (text) => {
        const s = readSettings(parseIni(text))
        fc.pre(s.enable_isolated_metadata.value === false && s.force_metadata.value === false && s.enable_metadata_network.value === false)
        const back = disable(enable(text).text).text
        const s2 = readSettings(parseIni(back))
        expect([s2.enable_isolated_metadata.value, s2.force_metadata.value, s2.enable_metadata_network.value]).toEqual([false, false, false])
        expect(meaningOfOthers(back)).toEqual(meaningOfOthers(text))
      }),
      {numRuns: 400},
    )
  })

  it('reads the same values as the npm ini package where both follow the same rules', () => {
    // `ini` knows neither oslo booleans nor `key: value`, so compare raw strings of `=` assignments.
    const simple = iniText.filter((t) => !/: |\r|\uFEFF/.test(t))
    fc.assert(
      fc.property(simple, (text) => {
        const ours = parseIni(text)
        const theirs = ini.parse(text) as Record<string, Record<string, unknown>>
        for (const a of ours.assignments) {
          const last = effective(ours, a.section, a.key)!
          const v = theirs[a.section]?.[a.key]
          expect(String(v)).toBe(last.value)
        }
      }),
      {numRuns: 300},
    )
  })
})
