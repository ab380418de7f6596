// A snapshot keeps of neutron.conf only what the checks read (config/secrets.ts keepOnlyKeys), and
// writes it sparse (evidence/sparse.ts): Debian's real neutron.conf, 1,933 lines, was ~1,930 empty
// lines in every snapshot. Through the built binary: collect from a node whose DHCP agent reads that
// file, then diagnose the snapshot: the setting it holds is found on its own line number.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {FakeProcesses} from '../helpers/proc.js'
import {cli} from '../helpers/cli.js'

const NET = '5b6a3a4e-2a8b-4f5c-9e33-0a1b2c3d4e5f'
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config')
const DEBIAN_CONF = readFileSync(join(FIXTURES, 'debian-bookworm-neutron-common-21.0.0-7.neutron.conf'), 'utf8')
const DEBIAN_INI = readFileSync(join(FIXTURES, 'debian-bookworm-neutron-common-21.0.0-7.dhcp_agent.ini'), 'utf8')
const isRoot = process.getuid?.() === 0

let dir: string
/** processes with the agent's cmdline: argv0 and its --config-file arguments */
const fakes = new FakeProcesses()

// Debian's neutron.conf with one line added in [DEFAULT] at line 400 (the test's own variant): a
// neutron.conf that turns isolated metadata off again, read after dhcp_agent.ini
const LINE = 400
const conf = (() => {
  const lines = DEBIAN_CONF.split('\n')
  lines.splice(LINE - 1, 0, 'enable_isolated_metadata = False')
  return lines.join('\n')
})()

let snapshot = ''
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qm-sparse-'))
  const state = join(dir, 'state')
  mkdirSync(join(state, 'dhcp', NET), {recursive: true})
  writeFileSync(join(dir, 'dhcp_agent.ini'), DEBIAN_INI)
  writeFileSync(join(dir, 'neutron.conf'), conf)
  fakes.start('/usr/bin/neutron-dhcp-agent', ['--config-file', join(dir, 'dhcp_agent.ini'), '--config-file', join(dir, 'neutron.conf')])
  await new Promise((r) => setTimeout(r, 300))
  snapshot = join(dir, 'snap.json')
  const r = cli(['collect', NET, '--config-file', join(dir, 'dhcp_agent.ini'), '--state-path', state, '--no-api', '--output', snapshot])
  expect(r.stderr).not.toMatch(/internal error/)
  expect(r.status).toBe(0)
})
afterAll(() => {
  fakes.end()
  rmSync(dir, {force: true, recursive: true})
})

describe.skipIf(!isRoot)("collect writes the agent's neutron.conf sparse; diagnose reads it back whole", () => {
  it('the snapshot holds neutron.conf as its section headers and the one switch, with their line numbers, not 1,934 lines', () => {
    const text = readFileSync(snapshot, 'utf8')
    const ev = JSON.parse(text).networks[0]
    const agent = ev.agents.find((a: {cmdline: string}) => a.cmdline.includes(join(dir, 'neutron.conf')))
    const rec = agent.configs.find((c: {path: string}) => c.path === join(dir, 'neutron.conf'))
    expect(rec.contentLineCount).toBe(conf.split('\n').length)
    const kept = rec.content.split('\n')
    expect(kept).toContain('enable_isolated_metadata = False')
    expect(rec.contentLines[kept.indexOf('enable_isolated_metadata = False')]).toBe(LINE)
    expect(rec.contentLines[kept.indexOf('[agent]')]).toBe(conf.split('\n').indexOf('[agent]') + 1)
    // only headers and the switch: nothing else of the file, and no run of empty lines
    expect(kept.every((l: string) => l.startsWith('[') || l === 'enable_isolated_metadata = False')).toBe(true)
    expect(JSON.stringify(rec).length).toBeLessThan(1200)
    expect(text).not.toMatch(/(\\n){20}/)
  })

  it('diagnose --snapshot names the file and line that turns isolated metadata off, as live does', () => {
    const args = ['diagnose', NET, '--check', 'config.metadata-enabled', '--json']
    const fromSnap = cli([...args, '--snapshot', snapshot])
    const live = cli([...args, '--config-file', join(dir, 'dhcp_agent.ini'), '--state-path', join(dir, 'state'), '--no-api'])
    for (const r of [fromSnap, live]) {
      expect(r.status).toBe(1)
      const [finding] = r.json.findings
      expect(finding.status).toBe('fail')
      expect(finding.summary).toContain(`enable_isolated_metadata = False (${join(dir, 'neutron.conf')}:${LINE})`)
      expect(finding.evidence).toEqual([`${join(dir, 'neutron.conf')}:${LINE}: enable_isolated_metadata = False`])
      expect(finding.fix).toMatchObject({file: join(dir, 'neutron.conf'), set: 'enable_isolated_metadata = True'})
    }
  })

  it('a sparse record that does not add up is bad input: exit 2 naming it, not a crash', () => {
    const doc = JSON.parse(readFileSync(snapshot, 'utf8'))
    const rec = doc.networks[0].agents.flatMap((a: {configs?: unknown[]}) => a.configs ?? []).find((c: {contentLines?: number[]}) => c.contentLines)
    for (const [what, change] of [
      ['line count too large', () => (rec.contentLineCount = 1e12)],
      ['lines out of order', () => rec.contentLines.reverse()],
      ['fewer line numbers than lines', () => rec.contentLines.pop()],
    ] as const) {
      const before = JSON.stringify(rec)
      change()
      const bad = join(dir, `bad-${what.replaceAll(' ', '-')}.json`)
      writeFileSync(bad, JSON.stringify(doc))
      Object.assign(rec, JSON.parse(before))
      const r = cli(['diagnose', NET, '--snapshot', bad])
      expect(r.status, what).toBe(2)
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1)
      expect(r.stderr, what).toMatch(/contentLine/)
    }
  })
})
