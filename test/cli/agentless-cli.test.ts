// Issue 19, item 1, through the built binary with a stand-in ssh (test/helpers/fake-ssh.ts): what an
// agentless host sends back. Evidence is one row judged by the chain, its secrets never printed; a host
// that sends garbage, too much, stops short or never stops is one row with one line (exit 3); the
// script can be printed for review and parses as POSIX sh. Against real sshd hosts without node:
// test/fleet/agentless.test.ts.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {frame} from '../helpers/agentless-frame.js'
import {cli, cliAsync} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-agentless-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

const STATE = '/var/lib/neutron'
/** A host whose DHCP agent config has isolated metadata off, holding secrets everywhere the script reads. */
const evidence = frame([
  {head: 'R host net1'},
  {head: 'R clock 1796000100.000000000', payload: '5000.00 9000.00\n'},
  {head: 'R link /proc/self/ns/mnt', payload: 'mnt:[4026531841]\n'},
  {head: 'R exists -', payload: '/etc/neutron\u0000/etc/neutron/dhcp_agent.ini\u0000'},
  {head: 'R layout neutron'},
  {
    head: 'R file /etc/neutron/dhcp_agent.ini file read m=1796000000.000 r=/etc/neutron/dhcp_agent.ini',
    payload: '[DEFAULT]\nenable_isolated_metadata = False\nadmin_password = hunter2-ini\n',
  },
  {head: 'R file /etc/neutron/metadata_agent.ini file read', payload: '[DEFAULT]\nmetadata_proxy_shared_secret = hunter2-secret\n'},
  {head: 'R cmd netns-list - -', payload: `qdhcp-${NET} (id: 3)\n`},
  {head: `R file ${STATE}/dhcp/${NET}/opts file read`, payload: 'tag:subnet-1,option:router,198.51.100.1\n'},
  {head: `R file ${STATE}/dhcp/${NET}/leases file read`, payload: ''},
  {head: `R file ${STATE}/dhcp/${NET}/pid missing`},
  {head: `R file ${STATE}/external/pids/${NET}.pid missing`},
  {head: `R file ${STATE}/external/pids/${NET}.pid.haproxy missing`},
  {head: `R file ${STATE}/ns-metadata-proxy/${NET}.conf missing`},
  {head: `R inode qdhcp-${NET} 4026532999`},
  {head: `R cmd netns-addresses qdhcp-${NET} json`, payload: '[]\n'},
  {head: 'R procs -', payload: '1/cmdline:/sbin/init\u000099/cmdline:/usr/bin/helper\u000099/cmdline:--password\u000099/cmdline:hunter2-cmd\u0000'},
  {head: 'R tail /var/log/neutron/neutron-metadata-agent.log read 60 1796000000.000', payload: 'ERROR auth failed password=hunter2-log\n'},
  {head: `R connect ${STATE}/metadata_proxy missing`},
])

describe('diagnose --host --agentless, a stand-in ssh', () => {
  const args = ['diagnose', NET, '--host', 'net1', '--agentless', '--no-api']

  it("a host's evidence is judged here: the broken link named, exit 1, no secret it sent printed anywhere", async () => {
    const file = join(dir, 'evidence')
    writeFileSync(file, evidence)
    // what ssh was asked to run is recorded: sh -c SCRIPT, the network an argument after it
    const env = fakeSsh(dir, `printf '%s\\n' "$@" > ${dir}/argv; cat ${file}`)
    const json = await cliAsync([...args, '--json'], {env})
    const table = await cliAsync(args, {env})
    expect(json.status).toBe(1)
    expect(table.status).toBe(1)
    const row = json.json.hosts[0]
    expect([row.host, row.reachable, row.findings.find((f: {status: string}) => f.status === 'fail')?.id]).toEqual(['net1', true, 'config.metadata-enabled'])
    expect(table.stdout).toMatch(/│ net1 +│ FAIL +│ config\.metadata-enabled:/)
    expect(json.stdout + json.stderr + table.stdout + table.stderr).not.toMatch(/hunter2/)
    const argv = spawnSync('cat', [join(dir, 'argv')], {encoding: 'utf8'}).stdout
    expect(argv).toMatch(/\n-T\n--\nnet1\nsh\n-c\n'PYCONNECT=/)
    expect(argv.trimEnd().split('\n').slice(-2)).toEqual(['qm-agentless', NET])
  })

  const oneLine = async (body: string, extra: string[] = []) => {
    const r = await cliAsync([...args, '--json', ...extra], {env: fakeSsh(dir, body)})
    expect(r.status).toBe(3)
    expect(r.json.hosts).toHaveLength(1)
    const {error} = r.json.hosts[0]
    expect(error).not.toContain('\n')
    return error as string
  }

  it('garbage, a stream cut short, too much, or no end: one row, one line, exit 3', async () => {
    expect(await oneLine(`echo 'Last login: yesterday'; echo '{"format":1}'`)).toBe('net1 printed no agentless evidence: "Last login: yesterday"')
    const cut = join(dir, 'cut')
    writeFileSync(cut, frame([{head: 'R host net1'}], {end: false}))
    expect(await oneLine(`cat ${cut}`)).toBe('net1 stopped before the end of its evidence (3 lines, no QM-AGENTLESS-END)')
    expect(await oneLine('printf "QM-AGENTLESS 1\\n"; yes QUJD')).toBe('net1 printed more than 32 MiB, more than a snapshot may be')
    expect(await oneLine('printf "QM-AGENTLESS 1\\n"; exec sleep 30', ['--host-timeout', '1'])).toBe('net1 did not answer within 1 s (ssh stopped)')
  })

  it('--print-remote-script prints the script (POSIX sh: dash parses it), with no network id in it; --agentless with --remote-command is exit 2', () => {
    const r = cli(['diagnose', '--print-remote-script'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^PYCONNECT='/)
    expect(r.stdout).toContain('# quantum-meta agentless evidence (read-only: it writes nothing on this host)')
    expect(r.stdout).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)
    const parse = spawnSync('dash', ['-n'], {encoding: 'utf8', input: r.stdout})
    expect([parse.status, parse.stderr]).toEqual([0, ''])
    const both = cli([...args, '--remote-command', 'qm'])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/--agentless runs no quantum-meta on the hosts: drop --remote-command/)
  })
})
