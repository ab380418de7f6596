// The one place server text, ids and URLs are made safe to print or to use (src/openstack/server-text.ts).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {errorText} from '../../src/openstack/neutron-errors.js'
import {isUuid, redactUrl, serverText, stripControls, tooDeep} from '../../src/openstack/server-text.js'

describe('serverText', () => {
  it('strips CSI, OSC, 8-bit CSI, C0/C1 controls and bidi overrides; newlines become spaces', () => {
    expect(serverText('\u001b[1;31mred\u001b[0m text')).toBe('red text')
    expect(serverText('a\u001b]0;title\u0007b \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\')).toBe('ab link')
    expect(serverText('x\u009b2Jy\u0000z\u007f\u0085')).toBe('xyz')
    expect(serverText('line one\r\nline\ttwo')).toBe('line one line two')
    expect(serverText('\u202egnp.exe\u2066 ok\u200b')).toBe('gnp.exe ok')
    expect(serverText('\u001b')).toBe('')
  })

  it('cuts long text and says so; short text is untouched', () => {
    expect(serverText('z'.repeat(300))).toBe('z'.repeat(300))
    expect(serverText('z'.repeat(301))).toBe(`${'z'.repeat(300)}... (cut at 300 chars)`)
    expect(serverText('w'.repeat(50), 10)).toBe('wwwwwwwwww... (cut at 10 chars)')
    expect(serverText(undefined)).toBe('')
    expect(serverText(42)).toBe('42')
  })

  it('never leaves a control character, whatever the input (property)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom('\u001b', '[', ']', '\u0007', '\u009b', '\u009d', '\\', ';', '\r', '\n', '\u202e'),
            fc.integer({max: 0x2fff, min: 0}).map((c) => String.fromCharCode(c)),
          ),
        }),
        (s) => {
          expect(serverText(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
          expect(stripControls(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
        },
      ),
    )
  })

  it('is linear on hostile input: 8 MB of escape starts, "<" and "=" in well under a second each', () => {
    for (const s of ['\u001b['.repeat(4e6), '\u001b]'.repeat(4e6), ' '.repeat(8e6) + 'x', '\u001b[0'.repeat(2e6)]) {
      const t = performance.now()
      serverText(s)
      stripControls(s.slice(0, 1e6))
      expect(performance.now() - t).toBeLessThan(1000)
    }
    const t = performance.now()
    errorText('<'.repeat(8e6))
    expect(performance.now() - t).toBeLessThan(1000)
  })
})

describe('errorText', () => {
  it('every body shape comes out clean and short; non-strings are not trusted', () => {
    expect(errorText('{"NeutronError": {"type": "X\\u001b[2J", "message": "m\\r\\nn", "detail": ""}}')).toBe('X: m n')
    expect(errorText('{"QuantumError": "a\\u0007b"}')).toBe('ab')
    expect(errorText('{"error": {"message": {"nested": 1}, "title": "T"}}')).toBe('T')
    expect(errorText('{"NeutronError": {"message": ["x"]}}')).toBeUndefined()
    expect(errorText('null')).toBeUndefined()
    expect(errorText('[1]')).toBeUndefined()
    expect(errorText(`<html><h1>${'e'.repeat(1000)}</h1></html>`)).toMatch(/\.\.\. \(cut at 300 chars\)$/)
  })
})

describe('ids, URLs, depth', () => {
  it('isUuid: only the 8-4-4-4-12 hex form', () => {
    expect(isUuid('01cce415-8e2b-4096-92b5-7acc67163d79')).toBe(true)
    expect(isUuid('01CCE415-8E2B-4096-92B5-7ACC67163D79')).toBe(true)
    for (const bad of [
      '../../..',
      '01cce415-8e2b-4096-92b5-7acc67163d79/..',
      '-rf',
      '',
      ' 01cce415-8e2b-4096-92b5-7acc67163d79',
      '01cce415-8e2b-4096-92b5-7acc67163d79\n',
      42,
      null,
      undefined,
    ]) {
      expect(isUuid(bad)).toBe(false)
    }
  })

  it('redactUrl hides userinfo (the last @ wins, as in WHATWG) and secret query values', () => {
    expect(redactUrl('http://alice:pw@127.0.0.1:5000/v3')).toBe('http://***@127.0.0.1:5000/v3')
    expect(redactUrl('https://alice:p@ss@keystone/v3')).toBe('https://***@keystone/v3')
    expect(redactUrl('http://tok@h/x?token=abc&name=n&X-Auth-Key=k')).toBe('http://***@h/x?token=***&name=n&X-Auth-Key=***')
    expect(redactUrl('http://127.0.0.1:9696/v2.0/networks?name=a')).toBe('http://127.0.0.1:9696/v2.0/networks?name=a')
    expect(redactUrl('not a url://user:pw@host/')).not.toContain('pw')
  })

  it('tooDeep is iterative (100k levels) and exact at the limit', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)
    expect(tooDeep(deep, 32)).toBe(true)
    expect(tooDeep({a: [{b: 1}]}, 3)).toBe(false)
    expect(tooDeep({a: [{b: {}}]}, 3)).toBe(true)
    expect(tooDeep('x', 0)).toBe(false)
  })
})
