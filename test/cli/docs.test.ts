// The README is a front door that stays true: at most 300 lines, a table of contents whose anchors
// exist, every docs/ link resolving, every command it shows still parsing against the built commands
// (the offline ones on examples/ run), the two set-up commands kept; the generated reference
// (docs/commands/, docs/checks.md) current; the man page the build writes rendering without a warning.
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'

const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const LINES = README.split('\n')

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces as `-` */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')

/** the anchors of a Markdown file's headings (outside code blocks), numbered as GitHub does for repeats */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fenced = false
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^#{1,6} (.+)$/.exec(line)
    if (!m) continue
    const s = slug(m[1])
    const n = seen.get(s) ?? 0
    seen.set(s, n + 1)
    out.add(n === 0 ? s : `${s}-${n}`)
  }
  return out
}

/** the lines of the fenced code blocks, continuation lines (`\`) joined */
function codeLines(text: string): string[] {
  const out: string[] = []
  let fenced = false
  let pending = ''
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced
      continue
    }
    if (!fenced) continue
    if (line.endsWith('\\')) pending += `${line.slice(0, -1)} `
    else {
      out.push(pending + line)
      pending = ''
    }
  }
  return out
}

/** shell words of a command line: quotes honoured, a `#` comment and anything after `|`, `>`, `;` dropped */
function words(line: string): string[] {
  const out: string[] = []
  let cur: string | undefined
  let quote: string | undefined
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined
      else cur += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      cur ??= ''
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) out.push(cur)
      cur = undefined
    } else if (cur === undefined && ch === '#') break
    else if (ch === '|' || ch === '>' || ch === ';' || ch === '&') break
    else cur = (cur ?? '') + ch
  }
  if (cur !== undefined) out.push(cur)
  return out
}

interface ManifestCommand {
  flags: Record<string, {name: string; char?: string; allowNo?: boolean}>
}
const manifest = (): Record<string, ManifestCommand> => JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands

/** the README's invocations of quantum-meta (or node bin/run.js), `sudo` dropped: [the line, its argv] */
function invocations(): [string, string[]][] {
  const out: [string, string[]][] = []
  for (const line of codeLines(README)) {
    let w = words(line)
    if (w[0] === 'sudo') w = w.slice(1)
    if (w[0] === 'quantum-meta') out.push([line, w.slice(1)])
    else if (w[0] === 'node' && w[1] === 'bin/run.js') out.push([line, w.slice(2)])
  }
  return out
}

describe('README', () => {
  it('is at most 300 lines', () => {
    expect(LINES.length, `README.md has ${LINES.length} lines`).toBeLessThanOrEqual(300)
  })

  it('has a table of contents whose anchors exist and that lists every section', () => {
    const start = LINES.findIndex((l) => /^## (Contents|Table of contents)$/.test(l))
    expect(start, 'a "## Contents" section').toBeGreaterThan(0)
    const toc: string[] = []
    for (const l of LINES.slice(start + 1)) {
      if (l.startsWith('## ')) break
      const m = /^\s*[-*] \[.+\]\(#([^)]+)\)$/.exec(l)
      if (m) toc.push(m[1])
    }
    expect(toc.length).toBeGreaterThan(3)
    const have = anchors(README)
    for (const a of toc) expect(have.has(a), `TOC anchor #${a} names no heading`).toBe(true)
    const sections = LINES.filter((l) => l.startsWith('## ') && !/^## (Contents|Table of contents)$/.test(l)).map((l) => slug(l.slice(3)))
    for (const s of sections) expect(toc, `section #${s} is missing from the table of contents`).toContain(s)
  })

  it('every docs/ link resolves to a file (and its anchor to a heading there)', () => {
    const links = [...README.matchAll(/\]\((docs\/[^)#\s]*)(?:#([^)\s]+))?\)/g)]
    expect(links.length).toBeGreaterThan(5)
    for (const [, path, anchor] of links) {
      const file = join(ROOT, path)
      expect(existsSync(file), `README links ${path}, which does not exist`).toBe(true)
      if (anchor) expect(anchors(readFileSync(file, 'utf8')).has(anchor), `${path} has no heading #${anchor}`).toBe(true)
    }
  })

  it('the links between docs/ pages resolve too', () => {
    for (const page of ['install', 'enable', 'diagnose', 'fleet', 'sosreport', 'junit', 'subnet-create', 'safety', 'development', 'checks']) {
      const path = join(ROOT, 'docs', `${page}.md`)
      const text = readFileSync(path, 'utf8')
      for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s:]+\.md)(?:#([^)\s]+))?\)/g)) {
        const file = join(dirname(path), target)
        expect(existsSync(file), `docs/${page}.md links ${target}, which does not exist`).toBe(true)
        if (anchor) expect(anchors(readFileSync(file, 'utf8')).has(anchor), `docs/${page}.md: ${target} has no heading #${anchor}`).toBe(true)
      }
    }
  })

  it('keeps the two set-up commands: the example and the test command .ci/run runs', () => {
    const commands = codeLines(README).map((l) => words(l).join(' '))
    expect(commands).toContain('npm run example')
    expect(commands).toContain('npm test')
    // .ci/run is "exactly the README's test command": its last command line is one the README shows
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#') && !/^(set|cd) /.test(l))
    expect(commands).toContain(ci.at(-1)?.trim())
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts
    expect(readFileSync(join(ROOT, 'scripts/example.sh'), 'utf8')).toMatch(
      /diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot examples\/grizzly-seed\.snapshot\.json/,
    )
    for (const line of codeLines(README)) {
      const w = words(line)
      if (w[0] === 'npm' && w[1] === 'run') expect(scripts, `README runs npm run ${w[2]}`).toHaveProperty(w[2])
    }
  })

  it('every quantum-meta command it shows names a command and only that command’s flags', () => {
    const commands = manifest()
    const ids = [...Object.keys(commands).map((id) => id.split(':')), ['autocomplete'], ['help']]
    const runs = invocations()
    expect(runs.length).toBeGreaterThan(10)
    const helped = new Set<string>()
    for (const [line, argv] of runs) {
      if (argv[0]?.startsWith('-')) {
        // quantum-meta --version / --help: the root takes nothing else
        expect(['--version', '--help', '-h'], `README: ${line}`).toContain(argv[0])
        expect(cli(argv).status, line).toBe(0)
        continue
      }
      const id = ids.filter((i) => i.every((w, k) => argv[k] === w)).sort((a, b) => b.length - a.length)[0]
      expect(id, `README: no command in: ${line}`).toBeDefined()
      const key = id.join(' ')
      if (!helped.has(key)) {
        // the command exists in the built binary (oclif prints its help without running it)
        const r = cli([...id, '--help'])
        expect(r.status, `${key} --help: ${r.stderr}`).toBe(0)
        helped.add(key)
      }
      const flags = commands[id.join(':')]?.flags ?? {}
      const known = new Set(['--help', '-h', '--version'])
      for (const f of Object.values(flags)) {
        known.add(`--${f.name}`)
        if (f.allowNo) known.add(`--no-${f.name}`)
        if (f.char) known.add(`-${f.char}`)
      }
      for (const word of argv.slice(id.length)) {
        if (!word.startsWith('-')) continue
        expect(known.has(word.split('=')[0]), `README: ${key} has no flag ${word}, in: ${line}`).toBe(true)
      }
    }
  })

  it('the offline commands it shows (on examples/) run: no usage error, output on stdout', () => {
    const offline = invocations().filter(([line]) => line.includes('examples/') && !/--(probe|restart|host|hosts-from-api)\b/.test(line))
    expect(offline.length).toBeGreaterThanOrEqual(2)
    for (const [line, argv] of offline) {
      const r = cli(argv, {cwd: ROOT})
      expect(r.status, `${line}\n${r.stderr}`).not.toBe(2)
      expect(r.status, `${line}\n${r.stderr}`).not.toBeNull()
      expect(r.stdout.length, `${line} printed nothing`).toBeGreaterThan(0)
    }
  })
})

describe('the generated reference (scripts/docs.mjs)', () => {
  const docs = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'scripts/docs.mjs'), ...args], {encoding: 'utf8', timeout: 60_000})

  it('docs/commands/ and docs/checks.md are what the commands and the check registry generate', () => {
    const r = docs(['--check'])
    expect(r.status, r.stderr).toBe(0)
  })

  it('a stale page is named: a changed, a missing and an extra file', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qm-docs-test-'))
    try {
      const copy = join(tmp, 'docs')
      cpSync(join(ROOT, 'docs'), copy, {recursive: true})
      writeFileSync(join(copy, 'checks.md'), `${readFileSync(join(copy, 'checks.md'), 'utf8')}\nhand edit\n`)
      rmSync(join(copy, 'commands', 'enable.md'))
      writeFileSync(join(copy, 'commands', 'gone.md'), 'a command that no longer exists\n')
      const r = docs(['--check', '--docs', copy])
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/docs\/checks\.md is stale/)
      expect(r.stderr).toMatch(/docs\/commands\/enable\.md is missing/)
      expect(r.stderr).toMatch(/docs\/commands\/gone\.md is no longer generated/)
    } finally {
      rmSync(tmp, {force: true, recursive: true})
    }
  })

  it('docs/checks.md lists every check --list-checks knows, in chain order', () => {
    const {checks} = cli(['diagnose', '--list-checks', '--json']).json as {checks: {id: string}[]}
    const page = readFileSync(join(ROOT, 'docs', 'checks.md'), 'utf8')
    const ids = [...page.matchAll(/^\| \d+ \| `([^`]+)` \|/gm)].map((m) => m[1])
    expect(ids).toEqual(checks.map((c) => c.id))
  })
})

describe('the man page the build writes (scripts/man.mjs)', () => {
  const MAN = join(ROOT, 'quantum-meta.1')
  const groff = spawnSync('groff', ['--version'], {encoding: 'utf8'}).status === 0

  it('is built, shipped in the package and names every command', () => {
    expect(existsSync(MAN), 'npm run build writes quantum-meta.1').toBe(true)
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.files).toContain('./quantum-meta.1')
    expect(pkg.man).toBe('./quantum-meta.1')
    const page = readFileSync(MAN, 'utf8')
    for (const id of Object.keys(manifest())) expect(page, id).toContain(`.SS "quantum\\-meta ${id.split(':').join(' ').replaceAll('-', '\\-')}`)
    expect(page).toMatch(/^\.SH EXIT STATUS$/m)
    // every example is one prompt and a command (the plugins' own examples carry a `$ ` already)
    expect(page).not.toMatch(/^\$ \$ /m)
    expect(page).toContain('$ quantum\\-meta autocomplete bash\n')
    // the shells offered are the ones the autocomplete test completes in, as --help says
    expect(page).not.toMatch(/powershell/i)
  })

  it.skipIf(!groff)('renders without a warning (groff -man -ww -z), and as text', () => {
    const lint = spawnSync('groff', ['-man', '-ww', '-z', MAN], {encoding: 'utf8'})
    expect(lint.status).toBe(0)
    expect(lint.stderr).toBe('')
    const text = spawnSync('groff', ['-man', '-Tutf8', '-ww', MAN], {encoding: 'utf8'})
    expect(text.stderr).toBe('')
    // groff's utf8 device draws \- as U+2212 and - as U+2010, bold by overstriking or SGR
    const plain = text.stdout
      .replace(/.\x08/g, '')
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/[\u2010\u2212]/g, '-')
    expect(plain).toMatch(/quantum-meta diagnose \[NET-ID\]/)
  })

  it('is the same from the same commands: writing it again changes nothing', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qm-man-'))
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'scripts/man.mjs'), join(tmp, 'q.1')], {encoding: 'utf8'})
      expect(r.status, r.stderr).toBe(0)
      expect(readFileSync(join(tmp, 'q.1'), 'utf8')).toBe(readFileSync(MAN, 'utf8'))
    } finally {
      rmSync(tmp, {force: true, recursive: true})
    }
  })
})
