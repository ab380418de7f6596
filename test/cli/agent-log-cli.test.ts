// The metadata agent's log through the built binary: a node faked by a process that looks like
// neutron-metadata-agent with --log-file in a temp dir (test/helpers/proc.ts), and its log holding the
// real Zed agent's lines (test/fixtures/metadata-log/). Live diagnose and collect read it (root: collect
// reads other users' /proc entries); the snapshot carries it, diagnose --snapshot judges it the same;
// an older snapshot without logs is judged as before. No namespace is made: the network's is absent.
//
// The shared harness may run a real metadata agent on this machine at the same time: its log is read
// too, so the lines planted here are dated 2099 (the latest wins) and assertions name the planted file.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {FakeProcesses} from '../helpers/proc.js'

const NET = '5e2a7c11-0d4b-4e6a-9c3f-2b1d8e7f6a90'
const isRoot = process.getuid?.() === 0
const fx = (f: string) => readFileSync(new URL(`../fixtures/metadata-log/${f}`, import.meta.url), 'utf8')
/** the real lines, moved to 2099 */
const future = (text: string) => text.replaceAll(/^2026-11-22 /gm, '2099-11-22 ')

let dir: string
const fakes = new FakeProcesses()
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-agent-log-'))
})
afterAll(() => {
  fakes.end()
  rmSync(dir, {force: true, recursive: true})
})

interface LogFinding {
  id: string
  status: string
  summary: string
  evidence: string[]
  fix?: {command: string}
}
const finding = (json: {findings: LogFinding[]}) => json.findings.find((f) => f.id === 'metadata-agent.log')!

describe.skipIf(!isRoot)('metadata-agent.log on a node faked in a temp dir', () => {
  let flags: string[]
  let log: string
  beforeAll(async () => {
    const state = join(dir, 'state')
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    writeFileSync(join(dir, 'dhcp_agent.ini'), '[DEFAULT]\nenable_isolated_metadata = True\n')
    writeFileSync(
      join(dir, 'metadata_agent.ini'),
      `[DEFAULT]\nmetadata_proxy_socket = ${state}/metadata_proxy\nnova_metadata_host = 127.0.0.1\nmetadata_proxy_shared_secret = QMLEAK1Z\n`,
    )
    mkdirSync(join(dir, 'log'))
    log = join(dir, 'log', 'metadata-agent.log')
    // the real 403, ECONNREFUSED and answers, then a line with a planted password
    writeFileSync(log, `${future(fx('zed-agent.log'))}2099-11-22 17:50:00.000 9 DEBUG x [-] connection = mysql+pymysql://nova:QMLEAK2Z@db/nova_api\n`)
    fakes.start('/usr/bin/neutron-metadata-agent', ['--config-file', join(dir, 'metadata_agent.ini'), `--log-file=${log}`])
    await new Promise((r) => setTimeout(r, 300))
    flags = ['--config-file', join(dir, 'dhcp_agent.ini'), '--metadata-agent-config', join(dir, 'metadata_agent.ini'), '--state-path', state, '--no-api']
  })

  it('diagnose: warns with the latest failure cited FILE:LINE, the line, and a fix bash parses; no secret printed', () => {
    const r = cli(['diagnose', NET, ...flags, '--json'])
    expect(r.stderr).not.toMatch(/internal error/)
    const f = finding(r.json)
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      new RegExp(`^logged at 2099-11-22T17:43:40\\.400 \\(${log}:5\\): the agent could not connect to Nova at 127\\.0\\.0\\.1:8775 \\(connection refused\\)`),
    )
    expect(f.summary).toMatch(/since then the agent answered 1 x 404$/)
    expect(f.evidence[0]).toMatch(new RegExp(`^${log}:5: 2099-11-22 17:43:40\\.400 ERROR neutron\\.agent\\.metadata\\.agent \\[-\\] Unexpected error\\.:`))
    expect(f.evidence).toContainEqual(expect.stringMatching(new RegExp(`^${log}: last [\\d.]+ KiB of [\\d.]+ KiB \\(--log-file of pid \\d+\\)$`)))
    execFileSync('bash', ['-n', '-c', f.fix!.command])
    expect(r.stdout + r.stderr).not.toMatch(/QMLEAK\dZ/)
    // the human table names the check and the cited file
    const h = cli(['diagnose', NET, ...flags])
    expect(h.stdout).toMatch(/WARN metadata-agent\.log/)
    expect(h.stdout).toContain(`${log}:5`)
  })

  it('collect -o FILE keeps the tail (redacted); diagnose --snapshot judges it the same, elsewhere', () => {
    const out = join(dir, 'snap.json')
    expect(cli(['collect', NET, ...flags, '--output', out]).status).toBe(0)
    const text = readFileSync(out, 'utf8')
    expect(text).not.toMatch(/QMLEAK\dZ/)
    const snap = JSON.parse(text)
    const rec = snap.networks[0].logs.find((l: {path: string}) => l.path === log)
    expect(rec).toMatchObject({firstLine: 1, from: expect.stringMatching(/^--log-file of pid \d+$/), offset: 0, service: 'metadata-agent', state: 'present'})
    expect(rec.tail).toContain('mysql+pymysql://nova:<redacted>@db/nova_api')
    const d = cli(['diagnose', NET, '--snapshot', out, '--json'])
    expect(finding(d.json).summary).toBe(finding(cli(['diagnose', NET, ...flags, '--json']).json).summary)
  })

  it('an older snapshot (no logs field) reads as before: the check skips without holding the verdict', () => {
    const out = join(dir, 'snap.json')
    const snap = JSON.parse(readFileSync(out, 'utf8'))
    const withLogs = cli(['diagnose', NET, '--snapshot', out, '--json'])
    for (const ev of snap.networks) delete ev.logs
    const old = join(dir, 'old.json')
    writeFileSync(old, JSON.stringify(snap))
    const d = cli(['diagnose', NET, '--snapshot', old, '--json'])
    expect(d.status).toBe(withLogs.status)
    expect(finding(d.json)).toMatchObject({skipped: 'warn-only', status: 'skip'})
  })

  it('a FIFO at the log path: no hang, an error the check names where it looked; a symlink to a secret file is not followed', () => {
    const fifo = join(dir, 'log', 'fifo.log')
    execFileSync('mkfifo', [fifo])
    const shadow = join(dir, 'shadow')
    writeFileSync(shadow, 'root:QMLEAK3Z:19000:0:99999:7:::\n')
    const link = join(dir, 'log', 'link.log')
    execFileSync('ln', ['-s', shadow, link])
    const a = fakes.start('/usr/bin/neutron-metadata-agent', [`--log-file=${fifo}`])
    const b = fakes.start('/usr/bin/neutron-metadata-agent', [`--log-file=${link}`])
    try {
      execFileSync('sleep', ['0.3'])
      const out = join(dir, 'fifo.json')
      const r = cli(['collect', NET, ...flags, '--output', out])
      expect(r.status).toBe(0)
      const logs = JSON.parse(readFileSync(out, 'utf8')).networks[0].logs as {path: string; state: string; error?: string}[]
      expect(logs.find((l) => l.path === fifo)).toMatchObject({error: 'is a FIFO, not a regular file', state: 'error'})
      expect(logs.find((l) => l.path === link)).toMatchObject({error: 'is a symlink: not followed (a log is a regular file)', state: 'error'})
      expect(readFileSync(out, 'utf8')).not.toContain('QMLEAK3Z')
    } finally {
      for (const c of [a, b]) if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL')
    }
  })

  it('--list-checks names it in the DHCP chain, before the probe', () => {
    const r = cli(['diagnose', '--list-checks', '--json'])
    const ids = JSON.stringify(r.json)
    expect(ids.indexOf('metadata-agent.log')).toBeGreaterThan(ids.indexOf('metadata-agent.config'))
    expect(ids.indexOf('metadata-agent.log')).toBeLessThan(ids.indexOf('probe.http'))
  })
})
