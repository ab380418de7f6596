/**
 * The ssh transport (src/fleet/ssh.ts) against real sshd hosts (test/fleet/rig.ts): three hosts of
 * one network, each its own namespaces, sshd and neutron node. Needs root (scripts/install-test-deps.sh
 * installs openssh-server).
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {collectOverSsh, type SshCollectOptions} from '../../src/fleet/ssh.js'
import {type Fleet, fleetUp, strayHosts} from './rig.js'

const isRoot = process.getuid?.() === 0

describe.skipIf(!isRoot)('collectOverSsh against three real sshd hosts', () => {
  let fleet: Fleet
  let opts: SshCollectOptions
  /** the remote of the parallelism tests (see overlap()), in the rig's dir: the same path on every host */
  let overlapScript: string
  beforeAll(async () => {
    const t0 = Date.now()
    fleet = await fleetUp()
    console.log(`fleet rig: 3 hosts up in ${Date.now() - t0} ms (${fleet.dir}, network ${fleet.netId})`)
    overlapScript = join(fleet.dir, 'overlap.sh')
    writeFileSync(
      overlapScript,
      [
        '# usage: overlap.sh LOG WANT [collect NET]: log "start ID", hold until WANT have started, then 1 s more, log "end ID"',
        'log=$1 want=$2 id="$(hostname)-$$" i=0',
        'echo "start $id" >> "$log"',
        'while [ "$(grep -c "^start " "$log")" -lt "$want" ]; do',
        '  i=$((i + 1)); if [ "$i" -gt 600 ]; then echo "end $id timeout" >> "$log"; exit 0; fi',
        '  sleep 0.1',
        'done',
        'sleep 1',
        'echo "end $id" >> "$log"',
        '',
      ].join('\n'),
    )
    opts = {connectTimeoutS: 5, hostTimeoutS: 30, parallel: 16, remoteCommand: fleet.remoteCommand, sshConfig: fleet.sshConfig, sshOptions: []}
  })
  afterAll(async () => {
    await fleet?.down()
    expect(strayHosts()).toEqual([])
  })

  it('three healthy hosts: one snapshot each, its host field the host name, its node healthy with its own DHCP IP', async () => {
    const got = await collectOverSsh(['net1', 'net2', 'net3'], fleet.netId, opts)
    expect(got.map((g) => [g.host, g.error])).toEqual([
      ['net1', undefined],
      ['net2', undefined],
      ['net3', undefined],
    ])
    for (const [i, g] of got.entries()) {
      expect(g.snapshot!.host).toBe(`net${i + 1}`)
      expect(g.snapshot!.networks.map((n) => n.network)).toEqual([fleet.netId])
      const report = diagnoseEvidence(g.snapshot!.networks[0], {probe: false})
      // the rig's three DHCP ports share one L2: one wins DAD for fe80::a9fe:a9fe, the others' copies are
      // dadfailed, which a host judged alone reports (judged together it is a warning): not this test's subject
      const failed = report.findings.filter((f) => f.status === 'fail' && f.id !== 'namespace.metadata-v6').map((f) => `${f.id}: ${f.summary}`)
      expect(failed).toEqual([])
      // each host's evidence is its own: its DHCP port's address, and no other host's
      const addrs = g.snapshot!.networks[0].addresses!.stdout
      expect(addrs).toContain(`"local":"198.51.100.${i + 1}"`)
      for (const other of [1, 2, 3].filter((o) => o !== i + 1)) expect(addrs).not.toContain(`"local":"198.51.100.${other}"`)
    }
  })

  it('an unreachable host, a host key mismatch, no quantum-meta, a remote printing garbage: one clear line each, no hang', async () => {
    // no hang: each returns (the test's own timeout is the bound), with one line
    const [closed, wrongKey] = await collectOverSsh(['netclosed', 'net1-wrongkey'], fleet.netId, opts)
    const [missing] = await collectOverSsh(['net2'], fleet.netId, {...opts, remoteCommand: '/nonexistent/quantum-meta'})
    const [garbage] = await collectOverSsh(['net3'], fleet.netId, {...opts, remoteCommand: 'echo hello, this is not JSON'})
    const [notSnapshot] = await collectOverSsh(['net3'], fleet.netId, {...opts, remoteCommand: `echo '{"format":"something-else"}'`})
    console.log(`five failures:\n  ${[closed, wrongKey, missing, garbage, notSnapshot].map((r) => `${r.host}: ${r.error}`).join('\n  ')}`)
    expect(closed.snapshot).toBeUndefined()
    expect(closed.error).toBe(`ssh: connect to host 127.0.0.1 port ${fleet.closedPort}: Connection refused`)
    expect(wrongKey.error).toBe('Host key verification failed.')
    expect(missing.error).toMatch(/^\/nonexistent\/quantum-meta not found on net2 \(exit 127\): .*No such file or directory$/)
    expect(garbage.error).toBe(`net3 printed no snapshot: "hello, this is not JSON collect ${fleet.netId}"`)
    expect(notSnapshot.error).toMatch(/^net3 printed no snapshot: "\{\\"format\\":\\"something-else\\"\} collect/)
    for (const r of [closed, wrongKey, missing, garbage, notSnapshot]) expect(r.error).not.toContain('\n')
  })

  it('a login that is not root runs quantum-meta under sudo -n; one sudo refuses: one line', async () => {
    const [ops, nosudo] = await collectOverSsh(['net1-ops', 'net1-nosudo'], fleet.netId, opts)
    console.log(`net1-ops: ${ops.error ?? `snapshot of ${ops.snapshot?.host}`}\nnet1-nosudo: ${nosudo.error}`)
    expect(ops.error).toBeUndefined()
    expect(ops.snapshot!.host).toBe('net1')
    expect(ops.snapshot!.networks[0].network).toBe(fleet.netId)
    expect(nosudo.error).toBe('sudo -n refused on net1-nosudo for qmnosudo: sudo: a password is required')
  })

  it('every remote word is quoted for the remote shell: blanks, quotes and $(...) arrive as they were given', async () => {
    const [r] = await collectOverSsh(['net1'], fleet.netId, {...opts, remoteCommand: `printf '<%s>' 'a b' "it's" '$(id -u)' ';' '*'`})
    expect(r.error).toBe(`net1 printed no snapshot: "<a b><it's><$(id -u)><;><*><collect><${fleet.netId}>"`)
  })

  it('a remote that never answers is stopped at the per-host timeout: before it finished, and no ssh child is left', async () => {
    const net2 = fleet.hosts[1]
    // the remote records that it started and, 30 s later, that it finished (in net2's own /tmp)
    const [r] = await collectOverSsh(['net2'], fleet.netId, {
      ...opts,
      hostTimeoutS: 2,
      remoteCommand: `sh -c 'touch /tmp/qm-slow.started; sleep 30; touch /tmp/qm-slow.finished'`,
    })
    console.log(`per-host timeout 2 s: ${r.error}`)
    expect(r.error).toBe('net2 did not answer within 2 s (ssh stopped)')
    // it was stopped while the remote still ran: it had started, and had not finished
    expect(existsSync(join(net2.dir, 'tmp', 'qm-slow.started'))).toBe(true)
    expect(existsSync(join(net2.dir, 'tmp', 'qm-slow.finished'))).toBe(false)
    // the ssh we spawned is gone (it was our child: no ssh child of this process is left)
    const ours = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {encoding: 'utf8'}).stdout
    expect(ours).not.toMatch(/\bssh\b/)
  })

  /**
   * Remotes that record when they start and end, in one log every host sees (the rig's dir is not
   * under the hosts' private /tmp), appended in the order it happens: no clock is read. Each holds
   * until `want` remotes have started (so the first `want` surely overlap), then 1 s more (time for
   * one that the bound should have held back to start, if the bound were broken), then ends.
   * Returns the most that ran at once, and any that gave up waiting (60 s).
   */
  async function overlap(
    hosts: string[],
    parallel: number,
    want: number,
  ): Promise<{max: number; timedOut: string[]; results: Awaited<ReturnType<typeof collectOverSsh>>}> {
    const log = join(fleet.dir, `overlap-${parallel}-${hosts.length}.log`)
    rmSync(log, {force: true})
    const results = await collectOverSsh(hosts, fleet.netId, {
      ...opts,
      connectTimeoutS: 30,
      hostTimeoutS: 90,
      parallel,
      remoteCommand: `sh ${overlapScript} ${log} ${want}`,
    })
    const lines = readFileSync(log, 'utf8').trim().split('\n')
    let now = 0
    let max = 0
    for (const l of lines) {
      now += l.startsWith('start ') ? 1 : -1
      max = Math.max(max, now)
    }
    expect(lines.filter((l) => l.startsWith('start ')).length).toBe(hosts.length)
    expect(lines.filter((l) => l.startsWith('end ')).length).toBe(hosts.length)
    return {max, results, timedOut: lines.filter((l) => l.endsWith(' timeout'))}
  }

  it('bounded parallelism, by what the remotes record: at --parallel 2 never more than 2 at once, at 4 all 4, at 1 one by one', async () => {
    const four = ['net1', 'net2', 'net3', 'net1']
    const p2 = await overlap(four, 2, 2)
    const p4 = await overlap(four, 4, 4)
    const p1 = await overlap(['net1', 'net2', 'net3'], 1, 1)
    console.log(`most at once: --parallel 2 → ${p2.max}, --parallel 4 → ${p4.max}, --parallel 1 → ${p1.max}`)
    expect([p2.max, p4.max, p1.max]).toEqual([2, 4, 1])
    expect([...p2.timedOut, ...p4.timedOut, ...p1.timedOut]).toEqual([])
    // each remote ran and was read as a host's answer (it printed no snapshot: one line; what a
    // login shell's profile prints on stderr may follow it, e.g. pyenv's "cannot rehash" under load)
    for (const r of [...p2.results, ...p4.results, ...p1.results]) expect(r.error?.startsWith(`${r.host} printed no snapshot (exit 0)`), r.error).toBe(true)
  })

  it('30 simulated hosts (the three, ten times each) at --parallel 16: every one answers a real collect; never more than 16 at once, and 16 did run at once', async () => {
    const thirty = Array.from({length: 30}, (_, i) => `net${(i % 3) + 1}`)
    // 16 key exchanges at once against three sshds, client and servers on the same CPUs: ssh's
    // ConnectTimeout also bounds the handshake, so it gets more room here than an operator's 10 s
    const got = await collectOverSsh(thirty, fleet.netId, {...opts, connectTimeoutS: 30, hostTimeoutS: 60})
    expect(got.filter((g) => !g.snapshot).map((g) => `${g.host}: ${g.error}`)).toEqual([])
    expect(got.map((g) => g.snapshot!.host)).toEqual(thirty)
    const p16 = await overlap(thirty, 16, 16)
    console.log(`30 hosts at --parallel 16: most at once ${p16.max}`)
    expect(p16.max).toBe(16)
    expect(p16.timedOut).toEqual([])
    expect(p16.results.filter((r) => !r.error?.startsWith(`${r.host} printed no snapshot (exit 0)`)).map((r) => `${r.host}: ${r.error}`)).toEqual([])
  })
})
