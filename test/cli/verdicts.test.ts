// config.agent-restarted's clock on real processes (sleep, a python3 stand-in agent) and through the
// built CLI, and USER_HZ against getconf. The rest of these verdicts: test/unit/verdicts.test.ts.
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {NetworkEvidence} from '../../src/evidence/evidence.js'
import {ZED_NET} from '../helpers/zed-evidence.js'
import {USER_HZ, readBootTimeMs, startedAtMs} from '../../src/node/proc-clock.js'
import {procBootTime, procStartTicks} from '../../src/parse/agent.js'
import {cliAsync} from '../helpers/cli.js'

// config.agent-restarted compares the judged file's mtime with the agent's start. The start used to
// come from /proc/stat `btime`, the boot time truncated to whole seconds: every start came out early
// by the fraction of a second in the machine's real boot instant (fixed per boot, 0 to 999 ms), so an
// agent started right after a config write (what `enable --restart` does) was judged "has not read
// that change". On the machine these tests were written on the fraction was 0.16 s (boot instant
// now - /proc/uptime = …169.16, btime …169): the old method put a process forked 2 ms after a write
// about 150 ms before it, and the real-process tests below failed on a5a34f4 (see the commit).
describe('config.agent-restarted: when the agent started', () => {
  it('USER_HZ is what this machine says (getconf CLK_TCK)', () => {
    expect(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout.trim()).toBe(String(USER_HZ))
  })

  it('real: a process forked right after a file write is computed as started after it (within 50 ms)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-clock-'))
    const children: ChildProcess[] = []
    try {
      for (let i = 0; i < 5; i++) {
        const file = join(dir, `c${i}.ini`)
        writeFileSync(file, '[DEFAULT]\n')
        const child = spawn('sleep', ['30'], {stdio: 'ignore'})
        children.push(child)
        const mtime = statSync(file).mtimeMs
        const ticks = procStartTicks(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))!
        const start = startedAtMs(readBootTimeMs()!, ticks)
        expect(start).toBeGreaterThanOrEqual(mtime - 50)
        expect(start).toBeLessThanOrEqual(Date.now() + 10) // and not in the future
        // /proc/stat btime is the floor of the same boot instant: never later, less than a second earlier
        const btimeMs = procBootTime(readFileSync('/proc/stat', 'utf8'))! * 1000
        expect(readBootTimeMs()! - btimeMs).toBeGreaterThan(-20)
        expect(readBootTimeMs()! - btimeMs).toBeLessThan(1020)
      }
    } finally {
      for (const c of children) c.kill()
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('real, through the built CLI: an agent started right after its config was written passes config.agent-restarted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-restart-'))
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
    let agent: ChildProcess | undefined
    try {
      // a stand-in agent: `python3 DIR/neutron-dhcp-agent --config-file DIR/dhcp_agent.ini` is what
      // /proc/PID/cmdline shows for a Grizzly-style agent, and parseAgentCmdline takes it as one
      writeFileSync(join(dir, 'neutron-dhcp-agent'), 'import time\ntime.sleep(60)\n')
      mkdirSync(join(dir, 'state'))
      const ini = join(dir, 'dhcp_agent.ini')
      writeFileSync(ini, '[DEFAULT]\nenable_isolated_metadata = True\n')
      agent = spawn(python, [join(dir, 'neutron-dhcp-agent'), '--config-file', ini], {stdio: 'ignore'})
      const snapPath = join(dir, 'snap.json')
      const c = await cliAsync(['collect', ZED_NET, '--config-file', ini, '--state-path', join(dir, 'state'), '--no-api', '--output', snapPath])
      expect(c.status).toBe(0)
      const snap = JSON.parse(readFileSync(snapPath, 'utf8'))
      const ev = snap.networks[0] as NetworkEvidence
      const mine = ev.agents!.find((a) => a.pid === agent!.pid)!
      expect(mine).toBeDefined()
      expect(Date.parse(mine.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ev.config.mtime!) - 50)
      const d = await cliAsync(['diagnose', ZED_NET, '--snapshot', snapPath, '--check', 'config.agent-restarted', '--json'])
      const f = d.json.findings[0]
      expect(f).toMatchObject({id: 'config.agent-restarted', status: 'pass'})
      expect(f.summary).toMatch(
        new RegExp(`^neutron-dhcp-agent \\(pid [\\d, ]*${agent.pid}[\\d, ]*\\) reads ${ini.replaceAll('.', '\\.')} and started (after|with) its last change`),
      )
    } finally {
      agent?.kill()
      rmSync(dir, {force: true, recursive: true})
    }
  })
})
