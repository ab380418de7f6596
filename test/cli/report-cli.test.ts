// Issue 21, "reports for the ticket", through the built binary: one host's table and --json say whose
// node, when and by which version (a snapshot's own); --report FILE.md writes the Markdown report
// atomically, refuses any other kind of file and a FIFO (exit 2), and leaves stdout as it was.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-report-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
const snap = (broken: boolean) => {
  const s = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
  if (broken) s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  const p = join(dir, broken ? 'broken.json' : 'healthy.json')
  writeFileSync(p, JSON.stringify(s))
  return p
}

describe('whose node, when, by what (built binary)', () => {
  it("the table's first line and --json carry the snapshot's host, time and tool", () => {
    const p = snap(false)
    const t = cli(['diagnose', ZED_NET, '--snapshot', p])
    expect(t.stdout.split('\n')[0]).toBe('host net1, evidence taken 2026-11-22T17:33:10Z by quantum-meta/test')
    expect(cli(['diagnose', ZED_NET, '--snapshot', p, '--json']).json).toMatchObject({host: 'net1', takenAt: '2026-11-22T17:33:10Z', tool: 'quantum-meta/test'})
  })

  it('--report FILE.md: the broken link marked and its fix, stdout unchanged, exit as without it', () => {
    const p = snap(true)
    const out = join(dir, 'ticket.md')
    const plain = cli(['diagnose', ZED_NET, '--snapshot', p])
    const r = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', out])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe(plain.stdout)
    const md = readFileSync(out, 'utf8')
    expect(md).toMatch(/^# quantum-meta: the metadata chain\n/)
    expect(md).toContain('- host: `net1`')
    expect(md).toMatch(/\[✘\] proxy\.upstream +◀── BROKEN/)
    expect(md).toContain('### The broken link: `proxy.upstream`')
    expect(md).toMatch(/```sh\n[^#\n].*\n# /)
  })

  it('--report: not .md, or a FIFO, is exit 2 before anything is judged, and nothing is written', () => {
    const p = snap(false)
    const html = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', join(dir, 'r.html')])
    expect([html.status, html.stderr.trim()]).toEqual([2, `quantum-meta: --report ${join(dir, 'r.html')}: the report is Markdown, give a FILE.md`])
    expect(existsSync(join(dir, 'r.html'))).toBe(false)
    const fifo = join(dir, 'pipe.md')
    execFileSync('mkfifo', [fifo])
    const f = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', fifo])
    expect(f.status).toBe(2)
    expect(f.stderr).toContain('--report')
  })
})
