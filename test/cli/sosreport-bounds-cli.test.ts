// `diagnose --sosreport` on sosreports made to cost: a process list naming the same config files over and
// over, config directories of many files, more bytes than any node's report holds, and paths carrying
// terminal escape sequences. Through the built binary (npm run build first), on copies of the real sos 4.0
// fixture (test/fixtures/sosreport/SOURCES.md).
import {spawnSync} from 'node:child_process'
import {appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN} from '../helpers/cli.js'

const HEALTHY = join(__dirname, '..', 'fixtures', 'sosreport', 'healthy')
const NET = '43c92583-885a-40f5-962a-0e0539782df0'

const tmp = mkdtempSync(join(tmpdir(), 'qm-sos-bounds-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))
let n = 0
const copy = () => {
  const dir = join(tmp, `sos${n++}`)
  cpSync(HEALTHY, dir, {recursive: true, verbatimSymlinks: true})
  return dir
}

/** The binary on DIR, stopped after `limitMs` (status null then): how long it took. */
function diagnose(dir: string, limitMs: number, extra: string[] = []) {
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [BIN, 'diagnose', NET, '--sosreport', dir, ...extra], {
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1'},
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
    timeout: limitMs,
  })
  return {ms: Date.now() - t0, status: r.status, stderr: r.stderr, stdout: r.stdout}
}

/** `ps auxwww` lines of DHCP agents (oslo's process title), one per argument list, pids from 5000. */
function addAgents(dir: string, argLists: string[]) {
  const lines = argLists.map(
    (args, i) =>
      `neutron   ${5000 + i}  0.5  0.9 123456 78901 ?        Ss   17:00   0:05 neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent ${args})\n`,
  )
  appendFileSync(join(dir, 'sos_commands/process/ps_auxwww'), lines.join(''))
}

/** An ini of about `bytes` bytes: a [DEFAULT] section of many options (one of them a switch the agent reads). */
function bigIni(bytes: number): string {
  const line = 'some_option_of_a_long_config = a value that fills the line\n'
  return `[DEFAULT]\nenable_isolated_metadata = True\n${line.repeat(Math.floor((bytes - 50) / line.length))}`
}

describe('each file of a sosreport is read once (issue 22, class 7)', () => {
  it('a 3.9 MiB config named by 400 agents in ps: read once, judged in seconds, exit 0', () => {
    const dir = copy()
    writeFileSync(join(dir, 'etc/neutron/big.conf'), bigIni(3.9 * 1024 * 1024))
    addAgents(
      dir,
      Array.from({length: 400}, () => '--config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/big.conf --config-file=/etc/neutron/dhcp_agent.ini'),
    )
    // before: every agent line re-read and re-filtered the file (400 x 3.9 MiB), over a minute here
    const r = diagnose(dir, 30_000)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('healthy: every link of the metadata chain was judged, none is broken')
    expect(r.ms).toBeLessThan(30_000)
  }, 60_000)

  it('1,000 small files in a --config-dir named by 150 agents: each read once, exit 0', () => {
    const dir = copy()
    const confd = join(dir, 'etc/neutron/dhcp_agent.conf.d')
    mkdirSync(confd)
    for (let i = 0; i < 1000; i++) writeFileSync(join(confd, `${String(i).padStart(4, '0')}.conf`), `[DEFAULT]\n# file ${i}\ndebug = False\n`)
    addAgents(
      dir,
      Array.from(
        {length: 150},
        () => '--config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/dhcp_agent.ini --config-dir=/etc/neutron/dhcp_agent.conf.d',
      ),
    )
    const r = diagnose(dir, 30_000, ['--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).healthy).toBe(true)
  }, 60_000)

  it('more than 256 MiB to read: exit 2, one line naming the bound, nothing judged', () => {
    const dir = copy()
    const confd = join(dir, 'etc/neutron/conf.d')
    mkdirSync(confd)
    // 70 sparse files of 3.9 MiB (each under the 4 MiB bound of one file): 273 MiB, no disk used
    for (let i = 0; i < 70; i++) {
      writeFileSync(join(confd, `${String(i).padStart(2, '0')}.conf`), '[DEFAULT]\n')
      truncateSync(join(confd, `${String(i).padStart(2, '0')}.conf`), Math.floor(3.9 * 1024 * 1024))
    }
    addAgents(dir, ['--config-file=/etc/neutron/neutron.conf --config-dir=/etc/neutron/conf.d'])
    // before: all 273 MiB read, the network judged healthy
    const r = diagnose(dir, 120_000)
    expect(r.stdout).toBe('')
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(
      new RegExp(
        `^quantum-meta: ${dir}: more than 256 MiB to read \\(at ${join(dir, 'etc/neutron/conf.d')}/\\d\\d\\.conf\\), the most read from one sosreport\n$`,
      ),
    )
    const j = diagnose(dir, 120_000, ['--json'])
    expect(j.status).toBe(2)
    expect(JSON.parse(j.stdout).error).toMatchObject({code: 'sosreport-too-large', exit: 2})
  }, 300_000)
})

describe('no terminal escape sequence from a sosreport reaches a message (issue 22, class 9)', () => {
  const title = '\u001b]0;owned\u0007'
  const clear = '\u001b[2J'
  const noControl = (text: string) => expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)

  it("a ps path climbing out of the sosreport: exit 2, the path's escapes shown as \\x1b, never sent", () => {
    const dir = copy()
    addAgents(dir, [`--config-file=/../../evil${title}${clear}.ini`])
    const r = diagnose(dir, 30_000)
    expect(r.status).toBe(2)
    noControl(r.stderr)
    expect(r.stderr).toContain('evil\\x1b]0;owned\\x07\\x1b[2J.ini is outside the sosreport')
    const j = diagnose(dir, 30_000, ['--json'])
    expect(j.status).toBe(2)
    noControl(j.stdout)
    expect(JSON.parse(j.stdout).error.message).toContain('evil\\x1b]0;owned\\x07\\x1b[2J.ini is outside the sosreport')
  })

  it('a file whose name holds escapes, a symlink leading out: both names shown escaped', () => {
    const dir = copy()
    const outside = join(tmp, `target${clear}.ini`)
    writeFileSync(outside, '[DEFAULT]\n')
    symlinkSync(outside, join(dir, `etc/neutron/x${title}.conf`))
    addAgents(dir, [`--config-file=/etc/neutron/x${title}.conf`])
    const r = diagnose(dir, 30_000)
    expect(r.status).toBe(2)
    noControl(r.stderr)
    expect(r.stderr).toContain(`x\\x1b]0;owned\\x07.conf leads out of the sosreport (to ${join(tmp, 'target\\x1b[2J.ini')})`)
  })
})

describe('the agents in ps name a bounded number of config files (issue 22, class 7)', () => {
  it('a --config-dir of 2,000 files named twice on each of 65 ps lines (260,000 records): exit 2 at once, one line', () => {
    const dir = copy()
    const confd = join(dir, 'etc/neutron/many.d')
    mkdirSync(confd)
    for (let i = 0; i < 2000; i++) writeFileSync(join(confd, `${String(i).padStart(4, '0')}.conf`), '')
    addAgents(
      dir,
      Array.from({length: 65}, (_, i) => `--config-file=/etc/neutron/n${i}.conf --config-dir=/etc/neutron/many.d --config-dir=/etc/neutron/many.d`),
    )
    // before: every line's files listed and read again, over a minute here
    const r = diagnose(dir, 30_000)
    expect(r.stdout).toBe('')
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(
      `quantum-meta: the DHCP agents in ${join(dir, 'sos_commands/process/ps_auxwww')} name more than 250000 config files in all: refused (an agent reads a few)\n`,
    )
  }, 60_000)
})
