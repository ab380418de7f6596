// No regex, parser or renderer may be super-linear on text from a file, a command or a snapshot:
// each must get through 1 MB in one line (a run of blanks, a repeated character, a repeated short
// token). No wall-clock bound is asserted (speed is the benchmark's, `npm run bench`): a super-linear
// pattern on 1 MB runs for hours, which the test's timeout turns into a failure naming the function. On a5a34f4 a 200 KB cmdline in a snapshot took 10 s to diagnose (cli-table3's
// word wrap on an unclipped summary), and redactIniSecrets' `(.*?)([ \t]*)$` took 27 s on a 64 KB
// line of blanks in the config collect reads. Through the built CLI: test/cli/parse/linear.test.ts.
import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {runChecks} from '../../../src/chains/run.js'
import {keepOnlyKeys, redactIniSecrets, redactLogText} from '../../../src/config/secrets.js'
import {checkSnapshot} from '../../../src/chains/snapshot.js'
import {parseAgentCmdline, procBootTime, procStartTicks} from '../../../src/parse/agent.js'
import {classifyLog, cleanLogText, parseLogArgs} from '../../../src/parse/metadata-log.js'
import * as parse from '../../../src/parse/index.js'
import {printable} from '../../../src/render/findings.js'
import {ROOT} from '../../helpers/cli.js'

const MB = 1 << 20
/** per test: linear work on these inputs takes well under a second; a quadratic pattern takes hours */
const TIMEOUT_MS = 120_000

const fns: [string, (t: string) => unknown][] = [
  ['parseIpAddr', parse.parseIpAddr],
  ['parseRouteN', parse.parseRouteN],
  ['parseIpRoute', parse.parseIpRoute],
  ['parseNetstat', parse.parseNetstat],
  ['parseSs', (t) => parse.parseSs(t)],
  ['parseProcNetTcp tcp', (t) => parse.parseProcNetTcp(t, 'tcp')],
  ['parseProcNetTcp tcp6', (t) => parse.parseProcNetTcp(t, 'tcp6')],
  ['parsePsF', parse.parsePsF],
  ['parsePsArgs', parse.parsePsArgs],
  ['parseProcCmdline', parse.parseProcCmdline],
  ['parseOpts', parse.parseOpts],
  ['parseOpts routes', (t) => parse.parseOpts(t).map((o) => parse.routePairs(o.values))],
  ['parseHaproxyConfig', parse.parseHaproxyConfig],
  ['parseNetnsList', parse.parseNetnsList],
  ['parseDnsmasqArgs', (t) => parse.parseDnsmasqArgs(t.split('\0'))],
  ['parseDnsmasqArgs range', (t) => parse.parseDnsmasqArgs([`--dhcp-range=${t}`])],
  ['parseAgentCmdline', parseAgentCmdline],
  ['parseAgentCmdline title', (t) => parseAgentCmdline(`neutron-dhcp-agent (${t}`)],
  ['procStartTicks', procStartTicks],
  ['procBootTime', procBootTime],
  ['redactIniSecrets', redactIniSecrets],
  ['keepOnlyKeys', (t) => keepOnlyKeys(t, ['enable_isolated_metadata'])],
  ['printable', (t) => printable(t, 400)],
  ['cleanLogText', cleanLogText],
  ['classifyLog', classifyLog],
  [
    'classifyLog prefixed',
    (t) => classifyLog(`2026-11-22 17:43:33.036 1 ERROR x [-] Unexpected error.: requests.exceptions.ConnectionError: HTTPConnectionPool(host='${t}`),
  ],
  ['parseLogArgs', parseLogArgs],
  ['redactLogText', redactLogText],
  ['redactLogText secret word', (t) => redactLogText(`password${t}`)],
]

// what a long line is made of, and what may come before and after it
const UNITS = [
  ' ',
  '\t',
  'a',
  '1',
  '1 ',
  ':',
  '=',
  'x=',
  ',',
  ',,1',
  '("',
  '\\',
  '#',
  '[',
  '{',
  '${',
  '/',
  '.',
  '-',
  '\0',
  '\n',
  '\r\n',
  'users:(("',
  'tag:',
  '1: ',
  'inet ',
]
const PREFIXES = [
  '',
  'a=x',
  'key = value',
  'tag:tag0,option:classless-static-route,',
  '   1: lo: <LOOPBACK> mtu 65536',
  'root 1 1 0 10:00 ? 00:00:00 ',
  '--dhcp-range=',
  '[DEFAULT]\nsecret = ',
]
const SUFFIXES = ['', 'x', '=', ')', '"', '\n', 'y\n']

describe('1 MB in one line: every parser gets through it', () => {
  for (const [name, fn] of fns) {
    it(
      `${name}: blanks, repeated characters and tokens`,
      () => {
        // the fixed worst cases first, then random shapes
        for (const unit of [' ', '\t', 'a']) {
          const text = `a=x${unit.repeat(MB)}y`
          expect(() => fn(text), JSON.stringify(unit)).not.toThrow()
        }
        fc.assert(
          fc.property(
            fc.constantFrom(...PREFIXES),
            fc.array(fc.constantFrom(...UNITS), {maxLength: 2, minLength: 1}),
            fc.constantFrom(...SUFFIXES),
            (pre, unit, post) => {
              const u = unit.join('')
              const text = pre + u.repeat(Math.ceil(MB / u.length)) + post
              expect(() => fn(text)).not.toThrow()
            },
          ),
          {numRuns: 6},
        )
      },
      TIMEOUT_MS,
    )
  }

  it(
    'the checks over evidence stuffed with 1 MB lines',
    () => {
      const snap = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
      for (const unit of [' ', 'a', 'x=', '1 ']) {
        const ev = structuredClone(snap.networks[0])
        const filler = `\n${unit.repeat(MB / unit.length)}x\n`
        // the config is oslo-ini's to parse (src/config/oslo-ini.ts, tested with the ini reader)
        for (const k of ['addresses', 'routes', 'sockets', 'namespaces']) ev[k].stdout += filler
        ev.opts.content += filler
        for (const p of ev.processes) p.ps += filler
        ev.processes[0].cmdline = `dnsmasq\0--dhcp-optsfile=${filler}\0`
        const findings = runChecks(ev, {probe: false})
        expect(
          findings.filter((f) => f.summary.startsWith('check crashed')),
          JSON.stringify(unit),
        ).toEqual([])
      }
    },
    TIMEOUT_MS,
  )
})

describe('diagnose --snapshot with 1 MB lines in every field (through the built CLI)', () => {
  it('printable cuts long text saying so, and escapes control characters', () => {
    expect(printable(`${'a'.repeat(500)}`, 400)).toBe(`${'a'.repeat(400)}… (cut, 500 characters)`)
    expect(printable('a\nb\u001b[1mc\u009bd\te', 100)).toBe('a b\\x1b[1mc\\x9bd\te')
  })

  it(
    'the schema check of a 1 MB-line snapshot is linear too',
    () => {
      const snap = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
      snap.networks[0].opts.path = `/${'a'.repeat(4000)}`
      snap.networks[0].sockets.stdout = ' '.repeat(8 * MB)
      expect(checkSnapshot(snap).ok).toBe(true)
    },
    TIMEOUT_MS,
  )
})
