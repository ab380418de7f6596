// HA routers through the built binary, from recorded evidence: `diagnose NET --snapshot A --snapshot B`
// on the HA router's two hosts (test/fixtures/router/ ha-*, recorded on two real Zed L3 agents by
// ../shared/lab/l3-ha-up.sh and scenario-router-ha.sh; SOURCES.md). The same against two live L3
// agent hosts is test/openstack/l3-ha.test.ts (the harness's ha-up.sh); this is the binary's side of
// it on recorded evidence, without root: each host's verdict (the master serves; a backup is skipped "served by the master", not
// failed), the cross-host check (exactly one master), and after a failover (the roles' evidence
// swapped between the hosts, as keepalived's failover swaps them) the other host is the master.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN} from '../helpers/cli.js'
import {HA_ROUTER, ha} from '../helpers/l3-evidence.js'
import type {NetworkEvidence} from '../../src/evidence/evidence.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-l3-ha-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

function snapshot(host: string, ev: NetworkEvidence): string {
  const file = join(dir, `${host}-${ev.router!.haState!.content!.trim()}.json`)
  writeFileSync(file, JSON.stringify({format: 'quantum-meta-snapshot/1', host, networks: [ev], takenAt: '2026-12-07T05:30:00Z', tool: 'test'}))
  return file
}

function diagnose(...files: string[]) {
  const net = ha('primary').network
  const r = spawnSync(process.execPath, [BIN, 'diagnose', net, ...files.flatMap((f) => ['--snapshot', f]), '--json'], {
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1'},
  })
  return {json: JSON.parse(r.stdout), status: r.status, stderr: r.stderr}
}

type Host = {host: string; findings?: {id: string; status: string; summary: string}[]}
const hostFinding = (json: {hosts: Host[]}, host: string, id: string) => json.hosts.find((h) => h.host === host)?.findings?.find((f) => f.id === id)

describe('HA routers through bin/run.js: two snapshots, one per L3 agent host', () => {
  it('one snapshot each: the master passes l3.ha, the backup skips it (served by the master), exit 0', () => {
    const master = diagnose(snapshot('lab-host', ha('primary')))
    expect(master.status).toBe(0)
    const backup = diagnose(snapshot('lab-host2', ha('backup')))
    expect(backup.status).toBe(0)
    const f = (backup.json.findings as {id: string; status: string; summary: string}[]).find((x) => x.id === 'l3.ha')
    expect(f).toMatchObject({status: 'skip', summary: expect.stringMatching(/backup of HA router .*: the master serves the network's metadata, not here/)})
  })

  it('both hosts in one diagnose: exactly one master (cross.l3-ha-master passes), exit 0; after the failover the other host is the master', () => {
    const before = diagnose(snapshot('lab-host', ha('primary')), snapshot('lab-host2', ha('backup')))
    expect(before.status).toBe(0)
    expect(before.json.cross).toEqual([
      expect.objectContaining({id: 'cross.l3-ha-master', status: 'pass', summary: `lab-host is the one master of HA router ${HA_ROUTER}`}),
    ])
    expect(hostFinding(before.json, 'lab-host', 'l3.ha')?.status).toBe('pass')
    expect(hostFinding(before.json, 'lab-host2', 'l3.ha')?.status).toBe('skip')
    const after = diagnose(snapshot('lab-host', ha('backup')), snapshot('lab-host2', ha('primary')))
    expect(after.status).toBe(0)
    expect(after.json.cross).toEqual([expect.objectContaining({status: 'pass', summary: `lab-host2 is the one master of HA router ${HA_ROUTER}`})])
    expect(hostFinding(after.json, 'lab-host2', 'l3.ha')?.status).toBe('pass')
    expect(hostFinding(after.json, 'lab-host', 'l3.ha')?.status).toBe('skip')
  })

  it('split brain (both master) and no master: the cross-host check fails, exit 1', () => {
    const both = ha('backup')
    both.router!.haState!.content = 'primary'
    const two = diagnose(snapshot('lab-host', ha('primary')), snapshot('lab-host2', both))
    expect(two.status).toBe(1)
    expect(two.json.cross[0]).toMatchObject({status: 'fail', summary: expect.stringMatching(/^lab-host and lab-host2 are all master/)})
    const none = ha('primary')
    none.router!.haState!.content = 'backup'
    const zero = diagnose(snapshot('lab-host', none), snapshot('lab-host2', ha('backup')))
    expect(zero.status).toBe(1)
    expect(zero.json.cross[0]).toMatchObject({status: 'fail', summary: expect.stringMatching(/^no host is the master/)})
  })
})
