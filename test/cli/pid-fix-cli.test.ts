// Issue 22 class 12: a pid from evidence goes into a fix (`kill PID`, `kill -HUP PID`) only when it can be
// the process the finding is about: never 0 (`kill 0` signals the pasting shell's own process group),
// 1 (init), a negative one (a process group, or every process) or one above the kernel's pid limit.
// A snapshot's pid out of range is bad input (exit 2) naming the field.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-pid-fix-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
let n = 0
function edited(file: string, edit: (s: any) => void): string {
  const s = JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8'))
  edit(s)
  const p = join(dir, `s${n++}.json`)
  writeFileSync(p, JSON.stringify(s))
  return p
}

const SEED = 'examples/grizzly-seed.snapshot.json'
const OVN_ORPHAN = 'test/fixtures/ovn/snapshots/namespace-deleted-haproxy-alive.json'
/** the fix lines under the table, and --json's fixes */
const fixes = (args: string[]) => {
  const r = cli([...args, '--json'])
  return {json: r, text: JSON.stringify((r.json?.findings ?? []).map((f: {fix?: unknown}) => f.fix ?? ''))}
}

describe('a pid that is no process to signal never reaches a fix', () => {
  it('DHCP agent, opts without the route, dnsmasq pid 1 in the evidence: the by-hand edit appends the line, no kill -HUP 1', () => {
    const p = edited(SEED, (s) => {
      s.networks[0].opts.content = 'tag:tag0,option:router'
      s.networks[0].processes[0].pid = 1
    })
    const table = cli(['diagnose', '--snapshot', p])
    expect(table.status).toBe(1)
    expect(table.stdout).not.toMatch(/kill -HUP 1\b/)
    const {json, text} = fixes(['diagnose', '--snapshot', p])
    expect(json.status).toBe(1)
    const opts = json.json.findings.find((f: {id: string}) => f.id === 'opts.metadata-route')
    expect(opts.fix.alternative.command).toMatch(/^printf '\\n%s' \S+ >> \S+$/)
    expect(text).not.toMatch(/kill/)
    // a real dnsmasq pid is still signalled
    const ok = edited(SEED, (s) => (s.networks[0].opts.content = 'tag:tag0,option:router'))
    expect(fixes(['diagnose', '--snapshot', ok]).text).toMatch(/kill -HUP 27348/)
  })

  for (const pid of [0, 1]) {
    it(`ML2/OVN, a haproxy alive in a deleted namespace with pid ${pid}: no kill ${pid} in the fix`, () => {
      const p = edited(OVN_ORPHAN, (s) => (s.networks[0].processes[0].pid = pid))
      const {json, text} = fixes(['diagnose', '--snapshot', p])
      expect([0, 1]).toContain(json.status)
      expect(text).not.toMatch(new RegExp(`kill ${pid}\\b`))
      const table = cli(['diagnose', '--snapshot', p])
      expect(table.stdout).not.toMatch(new RegExp(`kill ${pid}\\b`))
    })
  }

  it('the real orphan pid is still named in the fix', () => {
    const {text} = fixes(['diagnose', '--snapshot', `${ROOT}${OVN_ORPHAN}`])
    expect(text).toMatch(/kill 22909; /)
  })

  it('a pid above the kernel limit (4194304) is bad input: exit 2 naming the field', () => {
    const p = edited(SEED, (s) => (s.networks[0].processes[0].pid = 99_999_999_999))
    const r = cli(['diagnose', '--snapshot', p])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${p}: networks[0].processes[0].pid: must be a pid (0 to 4194304)\n`)
  })
})
