import fc from 'fast-check'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import * as parse from '../../../src/parse/index.js'

// diagnose reads whatever a node printed (or a snapshot someone edited): a parser that
// throws would end the whole run. Feed them garbage and damaged real outputs.
const rootDir = fileURLToPath(new URL('../../fixtures/node/', import.meta.url))
const realLines = readdirSync(rootDir, {recursive: true, withFileTypes: true})
  .filter((d) => d.isFile() && d.name !== 'SOURCES.md')
  .flatMap((d) => readFileSync(join(d.parentPath, d.name), 'utf8').split('\n'))

const textParsers: [string, (t: string) => unknown][] = [
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
  ['parseHaproxyConfig', parse.parseHaproxyConfig],
  ['parseNetnsList', parse.parseNetnsList],
  ['parseDnsmasqArgs', (t) => parse.parseDnsmasqArgs(t.split(/\s+/))],
  ['routePairs', (t) => parse.routePairs(t.split(','))],
]

// real lines, cut at random places and shuffled, with random text mixed in
const damaged = fc
  .array(
    fc.oneof(
      fc.constantFrom(...realLines),
      fc.tuple(fc.constantFrom(...realLines), fc.nat(), fc.nat()).map(([l, a, b]) => l.slice(Math.min(a, b) % (l.length + 1), Math.max(a, b))),
      fc.string(),
      fc.constantFrom('[', '[{', '[]', '[{"ifname":"x","addr_info":[{}]}]', '[{"dst":null}]', '{}', 'null', '\0', '\\', '%', '[]:'),
    ),
    {maxLength: 12},
  )
  .map((ls) => ls.join('\n'))

describe('parsers never throw', () => {
  for (const [name, fn] of textParsers) {
    it(`${name} survives damaged real output and random text`, () => {
      fc.assert(
        fc.property(damaged, (text) => {
          expect(() => fn(text)).not.toThrow()
        }),
        {numRuns: 300},
      )
    })
  }
})
