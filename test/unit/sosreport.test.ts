// src/diagnose/sosreport.ts (the sosreport view under the DHCP collector) on the real sos 4.0 reports
// of test/fixtures/sosreport/ (SOURCES.md there), and on copies of them made hostile or incomplete.
// With what other programs make (ss, tar, mkfifo): test/cli/sosreport.test.ts.
import {appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {runChecks} from '../../src/chains/run.js'
import {parsePsF} from '../../src/parse/processes.js'
import {parseNetstat} from '../../src/parse/sockets.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {HEALTHY, DEAD, NET, NS, tmp, copy, read, verdicts, refusal} from '../helpers/sosreport-copies.js'

describe('readSosreport on the real sos 4.0 reports', () => {
  it('the healthy node: host, version, layout, the network; it passes the schema a snapshot file must', async () => {
    const {info, snapshot} = await read(HEALTHY)
    expect(info).toMatchObject({host: 'net1', layout: 'sos-4.0', version: '4.0'})
    expect(snapshot.host).toBe('net1')
    expect(snapshot.takenAt).toBe('2026-11-24T17:13:48')
    expect(snapshot.networks.map((e) => e.network)).toEqual([NET])
    const ev = snapshot.networks[0]
    expect(ev.namespaces.argv).toEqual(['ip', 'netns'])
    expect(ev.addresses?.argv).toEqual(['ip', 'netns', 'exec', NS, 'ip', 'address', 'show'])
    expect(ev.sockets?.argv).toEqual(['ip', 'netns', 'exec', NS, 'netstat', '-W', '-neopa'])
    expect(ev.processes.map((p) => [p.role, p.pid, p.alive])).toEqual(
      [
        ['dnsmasq', 88],
        ['proxy', 92],
      ].map((x) => [...x, true]),
    )
    expect(ev.agents).toEqual([]) // ps shows no neutron-dhcp-agent on a rig node
    expect(runChecks(ev, {probe: false}).find((f) => f.id === 'config.agent-restarted')?.evidence).toEqual([
      'sos_commands/process/ps_auxwww: no process runs neutron-dhcp-agent or quantum-dhcp-agent',
    ])
    expect(ev.upstreamSocket).toEqual({path: '/var/lib/neutron/metadata_proxy', state: 'present', type: 'socket'})
    expect(checkSnapshot(JSON.parse(JSON.stringify(snapshot))).ok).toBe(true)
  })

  it('the healthy node passes every link it has evidence for; the dead haproxy fails proxy.running naming the pid file', async () => {
    const good = await verdicts(HEALTHY)
    expect(Object.values(good).filter((f) => f.status === 'fail')).toEqual([])
    expect(
      [
        'namespace.exists',
        'namespace.dhcp-address',
        'namespace.metadata-address',
        'dnsmasq.running',
        'opts.metadata-route',
        'proxy.running',
        'proxy.listening',
        'proxy.upstream',
      ].map((id) => good[id].status),
    ).toEqual(Array(8).fill('pass'))
    expect(good['proxy.listening'].evidence.join('\n')).toContain(`ip netns exec ${NS} netstat -W -neopa: tcp 169.254.169.254:80 LISTEN inode`)
    const bad = await verdicts(DEAD)
    expect(bad['proxy.running'].status).toBe('fail')
    expect(bad['proxy.running'].summary).toBe(`the metadata proxy pid 92 (from /var/lib/neutron/external/pids/${NET}.pid.haproxy) is not running: it died`)
    expect(bad['dnsmasq.running'].status).toBe('pass')
  })

  it('sos left metadata_proxy_shared_secret unmasked; the snapshot holds no secret', async () => {
    expect(readFileSync(join(HEALTHY, 'etc/neutron/metadata_agent.ini'), 'utf8')).toMatch(/^metadata_proxy_shared_secret = qmt-rig-secret$/m)
    const {snapshot} = await read(HEALTHY)
    const text = JSON.stringify(snapshot)
    expect(text).not.toContain('qmt-rig-secret')
    expect(snapshot.networks[0].metadataAgentConfig?.content).toMatch(/^metadata_proxy_shared_secret = <redacted>$/m)
    // the check still sees that a secret is set
    expect((await verdicts(HEALTHY))['metadata-agent.config'].status).toBe('pass')
  })

  it('secrets anywhere it reads: the agent config, a process command line, an agent its config files', async () => {
    const dir = copy()
    appendFileSync(
      join(dir, 'etc/neutron/dhcp_agent.ini'),
      '\n[database]\nconnection = mysql+pymysql://neutron:db-pw-1@db/neutron\nadmin_password = adm-pw-2\n',
    )
    const ps = join(dir, 'sos_commands/process/ps_auxwww')
    const text = readFileSync(ps, 'utf8').replace(/(--pid-file=\S+)/, '$1 --auth-password=ps-pw-3')
    writeFileSync(
      ps,
      text +
        'neutron     4242  0.5  0.9 123456 78901 ?        Ss   17:00   0:05 neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent --config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/dhcp_agent.ini)\n',
    )
    appendFileSync(join(dir, 'etc/neutron/neutron.conf'), '\n[keystone_authtoken]\npassword = ks-pw-4\n')
    const {snapshot} = await read(dir)
    const all = JSON.stringify(snapshot)
    for (const secret of ['db-pw-1', 'adm-pw-2', 'ps-pw-3', 'ks-pw-4', 'qmt-rig-secret']) expect(all).not.toContain(secret)
    const ev = snapshot.networks[0]
    expect(ev.agents?.map((a) => [a.pid, a.configs?.map((c) => c.path)])).toEqual([[4242, ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini']]])
    // the agent is found in ps, and it reads the judged file
    expect((await verdicts(dir))['config.agent-restarted'].summary).toBe('/etc/neutron/dhcp_agent.ini was not read, so its age is unknown')
  })

  it("newer sos's layout (namespaces/NS/, ip -d address show): the same evidence and verdicts", async () => {
    const dir = copy(DEAD)
    const net = join(dir, 'sos_commands/networking')
    mkdirSync(join(net, 'namespaces', NS), {recursive: true})
    renameSync(join(net, `ip_netns_exec_${NS}_ip_address_show`), join(net, 'namespaces', NS, `ip_netns_exec_${NS}_ip_-d_address_show`))
    renameSync(join(net, `ip_netns_exec_${NS}_netstat_-W_-neopa`), join(net, 'namespaces', NS, `ip_netns_exec_${NS}_netstat_-W_-neopa`))
    const {info, snapshot} = await read(dir)
    expect(info.layout).toBe('sos-namespaces-dir')
    expect(snapshot.networks[0].addresses?.argv).toEqual(['ip', 'netns', 'exec', NS, 'ip', '-d', 'address', 'show'])
    const v = await verdicts(dir)
    expect(v['namespace.metadata-address'].status).toBe('pass')
    expect(v['proxy.running'].status).toBe('fail')
  })
})

describe('what the sosreport lacks: skipped with the reason, never a verdict', () => {
  it('no openstack_neutron plugin: config, dnsmasq, opts and proxy skip "not in the sosreport"', async () => {
    const dir = copy(DEAD)
    for (const d of ['etc', 'var', 'sos_commands/openstack_neutron']) rmSync(join(dir, d), {force: true, recursive: true})
    const v = await verdicts(dir)
    // the one failure is what the sosreport does hold: net2's `ip address show` has fe80::a9fe:a9fe dadfailed
    // (net1 holds it; judged alone, net2 cannot tell the holder is the other DHCP agent)
    expect(
      Object.values(v)
        .filter((f) => f.status === 'fail')
        .map((f) => f.id),
    ).toEqual(['namespace.metadata-v6'])
    expect(v['namespace.metadata-v6'].summary).toMatch(/^fe80::a9fe:a9fe on ns-23b1d1df-71 is dadfailed: another host or port/)
    for (const id of ['config.metadata-enabled', 'dnsmasq.running', 'opts.metadata-route', 'proxy.running']) {
      expect(v[id].status, id).toBe('skip')
      expect(v[id].summary, id).toContain('not in the sosreport: its openstack_neutron plugin did not run')
    }
    expect(v['namespace.metadata-address'].status).toBe('pass')
  })

  it('no process list: the pid files are not judged', async () => {
    const dir = copy(DEAD)
    rmSync(join(dir, 'sos_commands/process'), {recursive: true})
    const v = await verdicts(dir)
    expect(v['proxy.running'].status).toBe('skip')
    expect(v['proxy.running'].summary).toContain('no process list (sos_commands/process/ps_auxwww)')
    expect(v['dnsmasq.running'].status).toBe('skip')
    expect(v['config.agent-restarted'].status).toBe('skip')
  })

  it('no networking plugin: the network comes from var/lib/neutron/dhcp, the namespace checks skip', async () => {
    const dir = copy()
    rmSync(join(dir, 'sos_commands/networking'), {recursive: true})
    const {snapshot} = await read(dir)
    expect(snapshot.networks.map((e) => e.network)).toEqual([NET])
    expect(snapshot.networks[0].upstreamSocket).toMatchObject({
      error: 'not in the sosreport: no netstat or ss of the root namespace to tell whether anything listens on it',
      state: 'not-collected',
    })
    const v = await verdicts(dir)
    expect(v['namespace.exists']).toMatchObject({status: 'skip', summary: '`ip netns`: not in the sosreport: its networking plugin did not run'})
    expect(v['proxy.upstream'].status).toBe('skip')
    expect(Object.values(v).filter((f) => f.status === 'fail')).toEqual([])
  })

  it('the namespace listed but its ip address show not collected: namespace.dhcp-address skips', async () => {
    const dir = copy()
    rmSync(join(dir, `sos_commands/networking/ip_netns_exec_${NS}_ip_address_show`))
    const v = await verdicts(dir)
    expect(v['namespace.exists'].status).toBe('pass')
    expect(v['namespace.dhcp-address'].status).toBe('skip')
    expect(v['namespace.dhcp-address'].summary).toContain('not in the sosreport')
  })

  it('nothing listens on the metadata socket in the root netstat: proxy.upstream fails saying where it looked', async () => {
    const dir = copy()
    const f = join(dir, 'sos_commands/networking/netstat_-W_-neopa')
    writeFileSync(
      f,
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('/var/lib/neutron/metadata_proxy'))
        .join('\n'),
    )
    const v = await verdicts(dir)
    expect(v['proxy.upstream'].status).toBe('fail')
    expect(v['proxy.upstream'].summary).toBe(
      "nothing accepts connections on /var/lib/neutron/metadata_proxy (no listener in the sosreport's netstat -W -neopa): instances get 503 from haproxy",
    )
  })
})

describe('hostile sosreports', () => {
  it('a symlink leading out of the sosreport is never followed: exit 2 naming it', async () => {
    const outside = join(tmp, 'outside.ini')
    writeFileSync(outside, '[DEFAULT]\nenable_isolated_metadata = True\nsecret_outside = 1\n')
    const dir = copy()
    rmSync(join(dir, 'etc/neutron/dhcp_agent.ini'))
    symlinkSync(outside, join(dir, 'etc/neutron/dhcp_agent.ini'))
    const e = await refusal(dir)
    expect(e.exit).toBe(2)
    expect(e.message).toBe(
      `${join(dir, 'etc/neutron/dhcp_agent.ini')} leads out of the sosreport (to ${outside}): refused, a sosreport is read only inside itself`,
    )
    // a relative one climbing out, through a directory
    const dir2 = copy()
    rmSync(join(dir2, 'var/lib/neutron/dhcp'), {recursive: true})
    symlinkSync('../../../../', join(dir2, 'var/lib/neutron/dhcp'))
    expect((await refusal(dir2)).message).toContain('leads out of the sosreport')
    // the hostname symlink sos itself makes (inside) is followed
    expect((await read(HEALTHY)).info.host).toBe('net1')
  })

  it('a huge file is not read: exit 2 naming the cap', async () => {
    const dir = copy()
    const ini = join(dir, 'etc/neutron/dhcp_agent.ini')
    truncateSync(ini, 5 * 1024 * 1024)
    const e = await refusal(dir)
    expect([e.exit, e.message]).toEqual([2, `${ini}: larger than 4 MiB, the most read from such a file`])
    const ps = join(dir, 'sos_commands/process/ps_auxwww')
    copyDirReset(dir)
    truncateSync(ps, 17 * 1024 * 1024)
    expect((await refusal(dir)).message).toBe(`${ps}: larger than 16 MiB, the most read from such a file`)
  })

  it('a hostname file that is no host name (control characters, a page of text): exit 2', async () => {
    const dir = copy()
    writeFileSync(join(dir, 'sos_commands/host/hostname'), 'net1\u001b[2J\n')
    expect((await refusal(dir)).message).toBe(`${join(dir, 'hostname')}: not a host name ("net1\\u001b[2J")`)
    writeFileSync(join(dir, 'sos_commands/host/hostname'), `${'a'.repeat(300)}\n`)
    expect((await refusal(dir)).exit).toBe(2)
  })

  it('a network directory whose name is not a UUID is not a network', async () => {
    const dir = copy()
    mkdirSync(join(dir, 'var/lib/neutron/dhcp/..evil;rm -rf'), {recursive: true})
    const {snapshot} = await read(dir)
    expect(snapshot.networks.map((e) => e.network)).toEqual([NET])
    expect(readdirSync(join(dir, 'var/lib/neutron/dhcp'))).toHaveLength(2)
  })
})

/** put the ini back after the huge-file case, so the next file is the one refused */
function copyDirReset(dir: string) {
  cpSync(join(HEALTHY, 'etc/neutron/dhcp_agent.ini'), join(dir, 'etc/neutron/dhcp_agent.ini'))
}

describe('the parsers sos output needs', () => {
  it('ps auxwww: pid, user and the arguments after the header', () => {
    const text = readFileSync(join(DEAD, 'sos_commands/process/ps_auxwww'), 'utf8')
    const dnsmasq = parsePsF(text).find((p) => p.pid === 88)!
    expect(dnsmasq.user).toBe('nobody')
    expect(dnsmasq.args.slice(0, 3)).toEqual(['dnsmasq', '--no-hosts', '--no-resolv'])
    expect(dnsmasq.args).toContain(`--dhcp-optsfile=/var/lib/neutron/dhcp/${NET}/opts`)
    expect(parsePsF(text).find((p) => p.pid === 1)?.args[0]).toBe('/usr/bin/python3')
  })

  it('netstat -W -neopa: the Timer column is not part of the program name', () => {
    const text = readFileSync(join(HEALTHY, `sos_commands/networking/ip_netns_exec_${NS}_netstat_-W_-neopa`), 'utf8')
    const on80 = parseNetstat(text).filter((s) => s.localPort === 80)
    expect(on80.map((s) => [s.localAddress, s.pid, s.program, s.state])).toEqual([
      ['169.254.169.254', 92, 'haproxy', 'LISTEN'],
      ['fe80::a9fe:a9fe', 92, 'haproxy', 'LISTEN'],
    ])
  })
})
