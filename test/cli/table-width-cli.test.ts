/**
 * Issue 21 item 3 through bin/run.js: the table fits COLUMNS (or 80) on a pipe, `--wide` for more, no
 * separator line after every row. Every line of stdout fits, but the fix lines: those are pasted, so each
 * is printed whole on its line (and equal to --json's, test/cli/fix-bash-n.test.ts), whatever the width.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import stringWidth from 'string-width'
import {afterAll, describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-width-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
const write = (name: string, doc: unknown) => {
  const p = join(dir, name)
  writeFileSync(p, JSON.stringify(doc))
  return p
}

const SEED = `${ROOT}examples/grizzly-seed.snapshot.json`
const seed = JSON.parse(readFileSync(SEED, 'utf8'))
const NET = seed.networks[0].network as string
const OTHER = 'b2dde526-9f3c-4107-a3c6-8bdd78274e8a'
// the seed with the metadata route gone from opts: a broken link, its evidence and a fix with an alternative
const noRoute = structuredClone(seed)
noRoute.networks[0].opts.content = 'tag:tag0,option:router'
const NO_ROUTE = write('no-route.json', noRoute)
// two networks in one snapshot: the `diagnose --all` table (one broken, one not judged)
const two = structuredClone(seed)
two.networks.push(JSON.parse(JSON.stringify(noRoute.networks[0]).replaceAll(NET, OTHER)))
const TWO = write('two.json', two)
// three hosts of one network, one broken: the fleet table, its fix under it
const broken = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
broken.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
const FLEET = ['--snapshot', write('h1.json', hostSnapshot({host: 'net1', ip: '198.51.100.1'})), '--snapshot', write('h2.json', broken)]

const OUTPUTS: Record<string, string[]> = {
  'a broken network': ['diagnose', NET, '--snapshot', NO_ROUTE],
  'a network not judged (the bundled example)': ['diagnose', NET, '--snapshot', SEED],
  'several networks': ['diagnose', '--snapshot', TWO],
  'one network on two hosts': ['diagnose', ZED_NET, ...FLEET],
  'the list of checks': ['diagnose', '--list-checks'],
}

interface Fix {
  command?: string
  file?: string
  section?: string
  set?: string
  why: string
  alternative?: Fix
}

/** The lines a fix is printed as (src/render/findings.ts fixLines), from --json: each is pasted whole. */
function pasted(fix: Fix): string[] {
  const step = (f: Fix) => (f.command === undefined ? [`# in ${f.file} [${f.section}]:`, f.set!, `# ${f.why}`] : [f.command, `# ${f.why}`])
  return [...step(fix), ...(fix.alternative ? ['# or:', ...step(fix.alternative)] : [])]
}

/** Every fix anywhere in a --json document. */
function fixesOf(doc: unknown): Fix[] {
  if (Array.isArray(doc)) return doc.flatMap(fixesOf)
  if (doc === null || typeof doc !== 'object') return []
  return Object.entries(doc).flatMap(([k, v]) => (k === 'fix' && v && typeof v === 'object' ? [v as Fix] : fixesOf(v)))
}

/** The run's stdout lines wider than `width`, but the fix lines; a fix shown is shown whole, each of its lines as --json has it. */
function tooWide(args: string[], width: number, env: NodeJS.ProcessEnv): string[] {
  const r = cli(args, {env})
  expect(r.stderr).toBe('')
  const json = args.includes('--list-checks') ? {} : cli([...args, '--json']).json
  const lines = r.stdout.split('\n')
  const shown = fixesOf(json)
    .map(pasted)
    .filter((f) => lines.includes(f[0]))
  for (const fix of shown) for (const l of fix) expect(lines, `a fix line is printed whole: ${l}`).toContain(l)
  // the outputs that print a fix print one whole (the table of several networks names the link only)
  if (lines.includes('fix:')) expect(shown.length).toBeGreaterThan(0)
  const fixLines = new Set(shown.flat())
  return lines.filter((l) => stringWidth(l) > width && !fixLines.has(l))
}

describe('the human output fits COLUMNS, or 80 on a pipe', {timeout: 120_000}, () => {
  for (const [name, args] of Object.entries(OUTPUTS)) {
    for (const columns of ['60', '80', undefined, '200']) {
      it(`${name}, COLUMNS=${columns ?? '(unset)'}: every line at most ${columns ?? 80} columns`, () => {
        expect(tooWide(args, Number(columns ?? 80), {COLUMNS: columns})).toEqual([])
      })
    }
  }

  it('narrow: COLUMNS=40 fits, each row still whole when its wrapped parts are joined; below 40 the table stays 40 wide', () => {
    const r = cli(['diagnose', NET, '--snapshot', SEED], {env: {COLUMNS: '40'}})
    expect(r.status).toBe(3)
    expect(tooWide(['diagnose', NET, '--snapshot', SEED], 40, {COLUMNS: '40'})).toEqual([])
    // the rows read back: status, check id and summary, each cell's parts joined (spaces aside)
    const lines = r.stdout.split('\n')
    const rows: string[][] = []
    for (const l of lines.slice(
      lines.findIndex((x) => x.startsWith('├')) + 1,
      lines.findIndex((x) => x.startsWith('└')),
    )) {
      const cells = l.split('│').slice(1, -1)
      if (cells[0].trim() !== '') rows.push(['', '', ''])
      for (const [i, c] of cells.entries()) rows.at(-1)![i] += c.replace(/\s/g, '')
    }
    const json = cli(['diagnose', NET, '--snapshot', SEED, '--json']).json
    const mark = {fail: 'FAIL', pass: 'ok', skip: 'skip', warn: 'WARN'} as const
    expect(rows).toEqual(
      json.findings.map((f: {status: keyof typeof mark; id: string; summary: string}) => [mark[f.status], f.id, f.summary.replace(/\s/g, '')]),
    )
    const tiny = cli(['diagnose', NET, '--snapshot', SEED], {env: {COLUMNS: '12'}})
    expect(tiny.status).toBe(3)
    expect(tiny.stdout).toBe(r.stdout)
  })

  it('no separator line between two rows: one rule under the header, one bottom border', () => {
    for (const args of Object.values(OUTPUTS).filter((a) => !a.includes('--list-checks'))) {
      const lines = cli(args, {env: {COLUMNS: '60'}}).stdout.split('\n')
      const rules = lines.filter((l) => /^[├┌└]/.test(l))
      expect(rules.map((l) => l[0])).toEqual(['┌', '├', '└'])
      // between the header rule and the bottom border every line is a row or a row's wrapped part
      const body = lines.slice(
        lines.findIndex((l) => l.startsWith('├')) + 1,
        lines.findIndex((l) => l.startsWith('└')),
      )
      expect(body.length).toBeGreaterThan(1)
      expect(body.filter((l) => !/^│ .* │$/.test(l) || /^[│─┼\s-]+$/.test(l))).toEqual([])
    }
  })

  it('FORCE_COLOR=1: coloured, and the colour codes do not count toward the width (the same layout as without colour)', () => {
    for (const args of [OUTPUTS['a broken network'], OUTPUTS['one network on two hosts']]) {
      const env = {COLUMNS: '60', FORCE_COLOR: '1', NO_COLOR: undefined}
      const coloured = cli(args, {env}).stdout
      expect(coloured).toContain('\u001b[31m')
      expect(tooWide(args, 60, env)).toEqual([])
      expect(coloured.replace(/\u001b\[\d+(;\d+)*m/g, '')).toBe(cli(args, {env: {COLUMNS: '60'}}).stdout)
    }
  })

  it('a terminal-less run with a bad COLUMNS (not a positive integer) takes 80', () => {
    const at80 = cli(OUTPUTS['a broken network'], {env: {COLUMNS: '80'}}).stdout
    for (const bad of ['0', '-1', 'wide', '']) expect(cli(OUTPUTS['a broken network'], {env: {COLUMNS: bad}}).stdout).toBe(at80)
  })
})

describe('--wide: no limit, each cell whole on one line (for grep)', {timeout: 120_000}, () => {
  it('each finding one line holding its whole summary; lines longer than 80; the same with COLUMNS=60', () => {
    const json = cli(['diagnose', NET, '--snapshot', SEED, '--json']).json
    for (const env of [{COLUMNS: undefined}, {COLUMNS: '60'}]) {
      const out = cli(['diagnose', NET, '--snapshot', SEED, '--wide'], {env}).stdout
      const lines = out.split('\n')
      const rows = lines.filter((l) => /^│ (ok|skip|WARN|FAIL) /.test(l))
      expect(rows).toHaveLength(json.findings.length)
      for (const [i, f] of json.findings.entries())
        expect(rows[i]).toMatch(new RegExp(`^│ \\S+ +│ ${f.id.replaceAll('.', '\\.')} +│ ${literal(f.summary)} +│$`))
      // the longest finding (dnsmasq's, with its opts path) is longer than 80 whole
      expect(Math.max(...json.findings.map((f: {summary: string}) => f.summary.length))).toBeGreaterThan(80)
      expect(Math.max(...lines.map((l) => stringWidth(l)))).toBeGreaterThan(80)
      // the rows are all the table holds between its rule and its bottom border: nothing wrapped
      expect(lines.findIndex((l) => l.startsWith('└')) - lines.findIndex((l) => l.startsWith('├')) - 1).toBe(json.findings.length)
    }
  })

  it('the fleet and the several-network tables: one line a row, the text whole', () => {
    const fleet = cli(['diagnose', ZED_NET, ...FLEET, '--wide'], {env: {COLUMNS: '40'}}).stdout
    const net2 = cli(['diagnose', ZED_NET, ...FLEET, '--json']).json.hosts.find((h: {host: string}) => h.host === 'net2')
    const first = net2.findings.find((f: {status: string}) => f.status === 'fail')
    expect(fleet).toMatch(new RegExp(`^│ net2 +│ FAIL +│ ${literal(`${first.id}: ${first.summary}`)} +│$`, 'm'))
    const all = cli(['diagnose', '--snapshot', TWO, '--wide'], {env: {COLUMNS: '40'}}).stdout
    expect(all).toMatch(new RegExp(`^│ ${OTHER} │ FAIL +│ opts\\.metadata-route: no classless-static-route \\(121\\) line in opts: [^│]+ │$`, 'm'))
  })

  it('is in --help', () => {
    expect(cli(['diagnose', '--help']).stdout).toMatch(/--wide\s+no width limit, for grep/)
  })
})

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe.skipIf(process.getuid?.() !== 0)('opts verify (root: it looks for the namespace)', () => {
  it('fits COLUMNS; --wide prints the verdict whole on its line', async () => {
    const {mkdirSync} = await import('node:fs')
    // a network no namespace here has: the opts line's form alone is judged (exit 3), its long path in the summary
    const net = 'c9f3d4e5-0000-4000-8000-00000000beef'
    const state = join(dir, 'a-state-path-long-enough-to-need-wrapping', 'neutron')
    const config = join(dir, 'dhcp_agent.ini')
    writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
    mkdirSync(join(state, 'dhcp', net), {recursive: true})
    writeFileSync(join(state, 'dhcp', net, 'opts'), 'tag:tag0,option:classless-static-route,169.254.169.254/32,203.0.113.2,0.0.0.0/0,203.0.113.1\n')
    const args = ['opts', 'verify', net, '--state-path', state, '--config-file', config]
    const json = cli([...args, '--json'])
    expect(json.status).toBe(3)
    const summary: string = json.json.finding.summary
    expect(summary.length).toBeGreaterThan(100)
    const narrow = cli(args, {env: {COLUMNS: '60'}})
    expect(narrow.status).toBe(3)
    const fixLines = new Set(fixesOf(json.json).flatMap(pasted))
    expect(narrow.stdout.split('\n').filter((l) => stringWidth(l) > 60 && !fixLines.has(l))).toEqual([])
    expect(cli([...args, '--wide'], {env: {COLUMNS: '60'}}).stdout.split('\n')[0]).toBe(`SKIP: ${summary}`)
  })
})
