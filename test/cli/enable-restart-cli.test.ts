// Issue 21, through the built binary: `enable --restart` whose restart fails says the file was changed
// and where its backup is (exit 3), and the next run restarts the agent that has not read the file;
// enable and disable refuse a file that is not the DHCP agent's (exit 2, untouched).
// The "agent" is a python3 process named neutron-dhcp-agent reading the temp file (its cmdline is what
// the tool reads in /proc), started by this test and ended by its PID; systemctl is a stand-in on PATH.
import {type ChildProcess, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'

let dir: string
let agent: ChildProcess | undefined
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-restart-'))
})
afterEach(() => {
  if (agent?.pid !== undefined && agent.exitCode === null) process.kill(agent.pid, 'SIGKILL')
  agent = undefined
  rmSync(dir, {force: true, recursive: true})
})

/** A systemctl (and service) stand-in: fails with the message systemd prints, or records the call and succeeds. */
function serviceManager(ok: boolean): NodeJS.ProcessEnv {
  const bin = join(dir, ok ? 'bin-ok' : 'bin-fail')
  mkdirSync(bin, {recursive: true})
  const body = ok
    ? `#!/bin/sh\necho "$@" >> ${join(dir, 'restarted')}\nexit 0\n`
    : '#!/bin/sh\necho "Failed to restart neutron-dhcp-agent.service: Unit not found." >&2\nexit 5\n'
  for (const tool of ['systemctl', 'service']) writeFileSync(join(bin, tool), body, {mode: 0o755})
  return {PATH: `${bin}:${process.env.PATH}`}
}

/** Start a process whose cmdline is `python3 DIR/neutron-dhcp-agent --config-file FILE`, as Debian's agent runs. */
async function startAgent(config: string): Promise<number> {
  const prog = join(dir, 'neutron-dhcp-agent')
  writeFileSync(prog, 'import time\ntime.sleep(300)\n')
  chmodSync(prog, 0o755)
  agent = spawn('python3', [prog, '--config-file', config], {stdio: 'ignore'})
  const pid = agent.pid!
  // its /proc entry shows the full cmdline once python has started
  for (let i = 0; i < 100 && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--config-file'); i++) await new Promise((r) => setTimeout(r, 20))
  return pid
}

describe.skipIf(process.platform !== 'linux')('enable --restart (built binary)', () => {
  it('a failed restart: the file changed and its backup are named, exit 3; the next run restarts the agent that has not read it', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, '[DEFAULT]\n')
    const pid = await startAgent(p)
    const failed = cli(['enable', '--config-file', p, '--restart'], {env: serviceManager(false)})
    expect(failed.status).toBe(3)
    expect(failed.stderr).toMatch(
      new RegExp(`${p} was changed \\(backup ${p}\\.qm-backup-[0-9TZ.]+\\); restarting neutron-dhcp-agent failed: Failed to restart`),
    )
    expect(failed.stderr).toMatch(/the running agent has not read the file; restart it: systemctl restart neutron-dhcp-agent/)
    expect(readFileSync(p, 'utf8')).toBe('[DEFAULT]\nenable_isolated_metadata = True\n')
    // the file is dated after the agent started (the edit came later): the next run restarts it
    const later = new Date(Date.now() + 5000)
    utimesSync(p, later, later)
    const again = cli(['enable', '--config-file', p, '--restart', '--json'], {env: serviceManager(true)})
    expect(again.status, again.stderr).toBe(0)
    expect(again.json).toMatchObject({changed: false, restart: {done: true, needed: true, stale: [pid]}})
    // systemctl restart neutron-dhcp-agent, or service neutron-dhcp-agent restart where there is no systemd
    expect(readFileSync(join(dir, 'restarted'), 'utf8')).toMatch(/^(restart neutron-dhcp-agent|neutron-dhcp-agent restart)$/m)
    const text = cli(['enable', '--config-file', p, '--restart'], {env: serviceManager(true)})
    expect(text.stdout).toContain(`the running agent (pid ${pid}) started before the file's last change: restarted neutron-dhcp-agent`)
  })

  it('nothing changed and the agent started after the file changed: not restarted, saying why', async () => {
    const p = join(dir, 'dhcp_agent.ini')
    writeFileSync(p, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const earlier = new Date(Date.now() - 60_000)
    utimesSync(p, earlier, earlier)
    await startAgent(p)
    const r = cli(['enable', '--config-file', p, '--restart'], {env: serviceManager(true)})
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('nothing changed, and the running agent has read the file: not restarted')
    expect(existsSync(join(dir, 'restarted'))).toBe(false)
  })
})

describe('enable and disable edit the DHCP agent config only', () => {
  const cases: [string, string, RegExp][] = [
    [
      'neutron_ovn_metadata_agent.ini',
      '[DEFAULT]\nmetadata_proxy_shared_secret = s\n[ovn]\novn_sb_connection = tcp:127.0.0.1:6642\n',
      /the OVN metadata agent's config/,
    ],
    ['neutron.conf', '[DEFAULT]\ncore_plugin = ml2\n', /neutron\.conf, which every agent and the server read/],
    ['l3_agent.ini', '[DEFAULT]\ninterface_driver = linuxbridge\n', /the L3 agent's config/],
    ['agent.ini', '[ovn]\novn_nb_connection = tcp:127.0.0.1:6641\n', /an OVN agent's config/],
  ]
  for (const [name, text, whose] of cases) {
    it(`${name}: refused, exit 2, one line naming whose it is, the file untouched`, () => {
      const p = join(dir, name)
      writeFileSync(p, text)
      for (const cmd of ['enable', 'disable']) {
        const r = cli([cmd, '--config-file', p])
        expect(r.status).toBe(2)
        expect(r.stderr.trim().split('\n')).toHaveLength(1)
        expect(r.stderr).toMatch(whose)
        expect(r.stderr).toContain("not the DHCP agent's dhcp_agent.ini: left untouched")
        expect(readFileSync(p, 'utf8')).toBe(text)
      }
    })
  }
})
