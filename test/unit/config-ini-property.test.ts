// The ini reader and editor on hostile input: long runs of whitespace in one line (no regex may be
// super-linear), random lines with odd bytes (only IniSyntaxError may come out), and an edit that
// keeps every line it did not change.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {disableWanted, enableWanted} from '../../src/config/dhcp-agent.js'
import {applySettings} from '../../src/config/edit.js'
import {IniSyntaxError, parseIni, splitLines} from '../../src/config/oslo-ini.js'

const MB = 1024 * 1024
const spaces = ' '.repeat(MB)

function timed<T>(f: () => T): {ms: number; value: T} {
  const t0 = performance.now()
  const value = f()
  return {ms: performance.now() - t0, value}
}

describe('1 MB of whitespace in one line parses and edits in linear time', () => {
  // generous bounds: they guard against a hang (the old rstrip took 28 s for 100k spaces), not a benchmark
  it.each([
    ['a line of spaces', `[DEFAULT]\n${spaces}\nx = 1\n`],
    ['spaces after a value', `[DEFAULT]\nx = 1${spaces}\n`],
    ['spaces then a value', `[DEFAULT]\nx =${spaces}1\n`],
    ['spaces before the separator', `[DEFAULT]\nx${spaces}= 1\n`],
    ['a comment of spaces then a key', `[DEFAULT]\n#${spaces}enable_isolated_metadata${spaces}x\n`],
    ['hashes', `[DEFAULT]\n${'#'.repeat(MB)}\n`],
    ['tabs and spaces', `[DEFAULT]\nx = 1${' \t'.repeat(MB / 2)}y\n`],
    ['a continuation line of spaces', `[DEFAULT]\nx = 1\n${spaces}y${spaces}\n`],
    ['CRLF after spaces', `[DEFAULT]\r\nx = 1${spaces}\r\n`],
    ['separators', `[DEFAULT]\nx${'= '.repeat(MB / 2)}\n`],
  ])(
    '%s',
    (_name, text) => {
      const parsed = timed(() => parseIni(text))
      expect(parsed.ms).toBeLessThan(1000)
      const edited = timed(() => applySettings(text, enableWanted({forceMetadata: true, metadataNetwork: true, rootHelper: 'sudo'})))
      expect(edited.ms).toBeLessThan(1000)
      const off = timed(() => applySettings(edited.value.text, disableWanted()))
      expect(off.ms).toBeLessThan(1000)
    },
    10_000,
  )

  it('a line of spaces is blank to oslo.config, trailing whitespace is not part of a value', () => {
    const p = parseIni(`[DEFAULT]\nx = 1\n${spaces}\n`)
    // the blank line ends x's value, so the indented line continues nothing
    expect(() => parseIni(`[DEFAULT]\n${spaces}\n  y\n`)).toThrow(IniSyntaxError)
    expect(p.assignments[0].value).toBe('1')
    expect(parseIni(`[DEFAULT]\nx = 1 \t\u000b\u000c\r\n`).assignments[0].value).toBe('1')
  })
})

// characters that are odd in an ini file: controls, quotes, separators, brackets, BOM, Latin-1, astral
const oddChar = fc.oneof(
  fc.constantFrom(
    ' ',
    '\t',
    '\r',
    '\u000b',
    '\u000c',
    '\u0085',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u001b',
    '\u0000',
    '=',
    ':',
    '[',
    ']',
    '#',
    ';',
    '"',
    "'",
    '\u00e9',
    '\u{1f600}',
  ),
  fc.string({maxLength: 3, unit: 'grapheme-ascii'}),
)
const oddLine = fc.array(oddChar, {maxLength: 30}).map((cs) => cs.join(''))

describe('random lines with odd bytes', () => {
  it('parseIni returns or throws IniSyntaxError, nothing else', () => {
    fc.assert(
      fc.property(fc.array(oddLine, {maxLength: 20}), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        try {
          parseIni(lines.join(eol))
        } catch (error) {
          if (!(error instanceof IniSyntaxError)) throw error
        }
      }),
      {numRuns: 2000},
    )
  })

  it('applySettings on any file it can read returns or throws IniSyntaxError, and its output reads again', () => {
    fc.assert(
      fc.property(fc.array(oddLine, {maxLength: 20}), (lines) => {
        const text = '[DEFAULT]\n' + lines.join('\n')
        let out
        try {
          out = applySettings(text, enableWanted({forceMetadata: true}))
        } catch (error) {
          if (!(error instanceof IniSyntaxError)) throw error
          return
        }
        parseIni(out.text)
      }),
      {numRuns: 1000},
    )
  })
})

const KEYS = ['enable_isolated_metadata', 'force_metadata', 'enable_metadata_network', 'root_helper', 'debug', 'interface_driver']
const line = fc.oneof(
  fc.constantFrom('[DEFAULT]', '[AGENT]', '', '   '),
  fc.tuple(fc.constantFrom('#', ';', '# ', '#'), fc.constantFrom(...KEYS), fc.constantFrom(' = False', '=true', ': x'), oddLine).map((p) => p.join('')),
  fc
    .tuple(fc.constantFrom(...KEYS), fc.constantFrom(' = ', '=', ' : ', '\t=\t'), fc.constantFrom('True', 'False', 'no', '"yes"', 'sudo', '1 # note'))
    .map((p) => p.join('')),
  fc.tuple(fc.constantFrom('  ', '\t'), oddLine).map((p) => p.join('')),
  oddLine.map((s) => `# ${s}`),
)
const WANTED = /^(enable_isolated_metadata|force_metadata|enable_metadata_network|root_helper)[ \t]*[=:]|^\[DEFAULT\]$|^$/

describe('an edit keeps every line it did not change', () => {
  it('every line that is not a wanted key (or its continuation) is in the output, in order, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(line, {maxLength: 25}), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean(), (ls, eol, finalEol, enable) => {
        const text = ['[DEFAULT]', ...ls].join(eol) + (finalEol ? eol : '')
        let ini
        try {
          ini = parseIni(text)
        } catch {
          return // not a file oslo.config could read: enable refuses it
        }
        const wanted = enable ? enableWanted({forceMetadata: true, metadataNetwork: true, rootHelper: 'sudo x'}) : disableWanted()
        const out = applySettings(text, wanted)
        // the lines of an assignment that had to be rewritten (the key line and its continuations)
        const touched = new Set<number>()
        for (const a of ini.assignments) {
          const w = wanted.find((x) => x.section === a.section && x.key === a.key)
          if (!w || w.satisfied(a.value)) continue
          for (let i = a.line; i <= a.endLine; i++) touched.add(i)
        }
        const before = splitLines(text).lines
        const after = splitLines(out.text).lines
        let j = 0
        for (let i = 0; i < before.length; i++) {
          if (touched.has(i)) continue
          const isLast = i === before.length - 1
          // the last line may gain the end of line it lacked (bytes kept: "x\r" + "\n" reads back as a CRLF line)
          const same = (a: (typeof after)[number]) =>
            isLast && before[i].eol === '' ? (a.text + a.eol).startsWith(before[i].text) : a.text === before[i].text && a.eol === before[i].eol
          while (j < after.length && !same(after[j])) {
            expect(after[j].text).toMatch(WANTED) // only wanted lines are new
            j++
          }
          expect(j).toBeLessThan(after.length)
          j++
        }
        for (; j < after.length; j++) expect(after[j].text).toMatch(WANTED)
      }),
      {numRuns: 1500},
    )
  })
})
