// The floors of src/ (.dependency-cruiser.cjs, `npm run lint:deps`) on a throwaway tree that breaks
// each rule once and keeps to it once: dependency-cruiser itself runs on it, as CI runs it on src/.
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

/** path under src/ -> its text; every import a comment names is one edge the rules judge */
const TREE: Record<string, string> = {
  // evidence/ is the bottom floor: this type import of parse/ breaks it
  'evidence/evidence.ts': "import type {Ip} from '../parse/ip.js'\nexport type Evidence = {ip: Ip}\n",
  'evidence/ids.ts': 'export const isId = (s: string) => s.length === 36\n',
  // parse/ may import parse/ and evidence/ only: node/ breaks it
  'parse/ip.ts':
    "import {isId} from '../evidence/ids.js'\nimport {netns} from './netns.js'\nimport {probe} from '../node/probe.js'\nexport type Ip = string\nexport const ip = [isId, netns, probe]\n",
  'parse/netns.ts': 'export const netns = 1\n',
  'node/probe.ts': 'export const probe = 1\n',
  // a room may import common/ and files directly under chains/, never another room, fleet/ or render/
  'chains/common/shared.ts': 'export const shared = 1\n',
  'chains/run.ts': 'export const run = 1\n',
  'chains/dhcp-agent/collect.ts':
    "import {shared} from '../common/shared.js'\nimport {run} from '../run.js'\nimport {facts} from '../ovn/facts.js'\nimport {findings} from '../../render/findings.js'\nexport const collect = [shared, run, facts, findings]\n",
  // ... nor diagnose/ (nothing under chains/ does): the import of diagnose/a.ts breaks it
  'chains/ovn/facts.ts': "import {shared} from '../common/shared.js'\nimport {a} from '../../diagnose/a.js'\nexport const facts = [shared, a]\n",
  'chains/registry.ts': "import {collect} from './dhcp-agent/collect.js'\nimport {facts} from './ovn/facts.js'\nexport const CHAINS = [collect, facts]\n",
  'render/findings.ts': 'export const findings = 1\n',
  // commands/ reach the chains through the registry (fine) or diagnose/, never a room directly
  'commands/diagnose.ts':
    "import {CHAINS} from '../chains/registry.js'\nimport {facts} from '../chains/ovn/facts.js'\nimport {a} from '../diagnose/a.js'\nexport default [CHAINS, facts, a]\n",
  // a type-only cycle is a cycle
  'diagnose/a.ts': "import type {B} from './b.js'\nexport type A = {b?: B}\nexport const a = 1\n",
  'diagnose/b.ts': "import type {A} from './a.js'\nexport type B = {a?: A}\n",
  // deployments/ may import deployments/, parse/ and evidence/ only: chains/common/ breaks it
  'deployments/registry.ts':
    "import {netns} from '../parse/netns.js'\nimport {isId} from '../evidence/ids.js'\nimport {shared} from '../chains/common/shared.js'\nexport const restart = [netns, isId, shared]\n",
  // sources/ sit below the chains: node/ and parse/ are fine, the runner in chains/ is not
  'sources/rooted.ts':
    "import {probe} from '../node/probe.js'\nimport {netns} from '../parse/netns.js'\nimport {run} from '../chains/run.js'\nexport const view = [probe, netns, run]\n",
  // nothing but commands/ imports commands/
  'fleet/sosreport.ts': "import run from '../commands/diagnose.js'\nexport const sos = run\n",
}

let dir: string
let result: {status: number | null; stdout: string; stderr: string}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-depcruise-'))
  for (const [path, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, 'src', path)), {recursive: true})
    writeFileSync(join(dir, 'src', path), text)
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({compilerOptions: {module: 'Node16', moduleResolution: 'Node16', strict: true}, include: ['src']}))
  // what `npm run lint:deps` runs (`depcruise src`), with the repository's rules
  result = spawnSync(join(ROOT, 'node_modules/.bin/depcruise'), ['src', '--config', join(ROOT, '.dependency-cruiser.cjs')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  })
}, 150_000)
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** `error RULE: A → B` lines of depcruise's report; a cycle (A → B → A, over lines) as its sorted modules */
function violations(report: string): string[] {
  const flat = report.replace(/\s+/g, ' ')
  return [...flat.matchAll(/error ([\w-]+): (.+?)(?= error | x \d+ dependency violations)/g)]
    .map(([, rule, path]) => {
      const modules = path.split(' → ').map((m) => m.trim())
      return rule === 'no-circular' ? `${rule}: ${[...new Set(modules)].sort().join(' ↔ ')}` : `${rule}: ${modules.join(' -> ')}`
    })
    .sort()
}

describe('npm run lint:deps: the floors of src/', () => {
  it('a tree that breaks the rules fails (exit status not 0), as CI does on src/', () => {
    expect(result.status, result.stderr).not.toBe(0)
    expect(result.stdout).toMatch(/x 10 dependency violations \(10 errors, 0 warnings\)/)
  })

  it('each import that goes up a floor is named with its rule, and nothing allowed is', () => {
    expect(violations(result.stdout)).toEqual(
      [
        'chain-room-not-another-room: src/chains/dhcp-agent/collect.ts -> src/chains/ovn/facts.ts',
        'chain-room-not-higher-floors: src/chains/dhcp-agent/collect.ts -> src/render/findings.ts',
        'chain-room-not-higher-floors: src/chains/ovn/facts.ts -> src/diagnose/a.ts',
        'commands-not-chain-rooms: src/commands/diagnose.ts -> src/chains/ovn/facts.ts',
        'deployments-imports-only-parse-and-evidence: src/deployments/registry.ts -> src/chains/common/shared.ts',
        'evidence-imports-nothing-of-ours: src/evidence/evidence.ts -> src/parse/ip.ts',
        'no-circular: src/diagnose/a.ts ↔ src/diagnose/b.ts',
        'nothing-imports-commands: src/fleet/sosreport.ts -> src/commands/diagnose.ts',
        'parse-imports-only-parse-and-evidence: src/parse/ip.ts -> src/node/probe.ts',
        'sources-below-the-chains: src/sources/rooted.ts -> src/chains/run.ts',
      ].sort(),
    )
  })
})
