/**
 * quantum-meta on a real ML2/OVN chassis (scripts/harness/ovn/ovn-up.sh): every verdict is set against what a VM
 * of the network really gets (its DHCP lease, its curl of http://169.254.169.254 from inside its own
 * namespace). diagnose runs as an operator would: no flags, so it finds the agent, its config and the
 * OVSDB connections (a unix socket for OVS, tcp for the SB) from /proc by itself.
 *
 * States: healthy; agent stopped; haproxy killed; namespace deleted with its haproxy alive (still
 * answering), then after the agent's restart (broken); namespace deleted with haproxy killed; the
 * metadata port removed; ovn_metadata_enabled off; no local VIF. Each test restores the chassis.
 */
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {
  AGENT_CONF,
  API_URL,
  createNetwork,
  createVm,
  deleteMetadataPort,
  deleteNamespace,
  deleteNetwork,
  deleteVm,
  haproxyPid,
  killHaproxy,
  metaNamespace,
  networksNamed,
  ready,
  restoreHealthy,
  setMetadataEnabled,
  startAgent,
  stopAgent,
  up as ovnUp,
  vmCurl,
  waitFor,
  waitForVmStatus,
} from './env.js'
import {fixCommand} from '../helpers/fix.js'
import type {Fix} from '../../src/chains/types.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const harness = isRoot && (await ready((why) => (notReady = why)))
if (!harness) console.warn(`ovn diagnose tests skipped: ${isRoot ? `the harness is not running (${notReady})` : 'they need root'}`)

interface Finding {
  id: string
  status: 'pass' | 'warn' | 'fail' | 'skip'
  summary: string
  /** a skip the operator did not ask for (`not-asked`), or that is not this node's (`not-here`) */
  skipped?: string
  evidence: string[]
  fix?: Fix
}
interface Report {
  network: string
  backend: string
  healthy: boolean
  findings: Finding[]
}

async function diagnose(net: string, ...flags: string[]): Promise<{status: number; report: Report; stderr: string}> {
  const r = await cliAsync(['diagnose', net, '--json', ...flags])
  // 3 is a verdict too (links not judged), as long as it comes with the report
  if ((r.status !== 0 && r.status !== 1 && r.status !== 3) || r.json?.findings === undefined) throw new Error(`diagnose exited ${r.status}: ${r.stderr}`)
  return {report: r.json as Report, status: r.status, stderr: r.stderr}
}

const firstBroken = (r: Report) => r.findings.find((f) => f.status === 'fail')
const byId = (r: Report, id: string) => r.findings.find((f) => f.id === id)!

describe.skipIf(!harness)('diagnose on a real ML2/OVN chassis, against what a VM gets', () => {
  const tag = randomBytes(3).toString('hex')
  const name = (s: string) => `qm-ovn-diag-${tag}-${s}`
  const VM = 5
  let net = ''
  let dir = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qm-ovn-diag-'))
    net = (await createNetwork(name('a'), {cidr: '203.0.113.0/24', gateway: null})).networkId
    const vm = await createVm(VM, net)
    expect(vm.lease?.routes).toContainEqual({destination: '169.254.169.254/32', gateway: expect.stringMatching(/^203\.0\.113\./)})
  })

  afterEach(async () => {
    // every test leaves the chassis healthy for the next one
    await restoreHealthy()
    if (net) await waitForVmStatus(VM, 200, 90_000)
  })

  afterAll(async () => {
    await deleteVm(VM)
    await deleteVm(VM + 1)
    for (const s of ['a', 'b', 'c', 'd']) for (const id of await networksNamed(name(s))) await deleteNetwork(id)
    rmSync(dir, {force: true, recursive: true})
  })

  it('healthy: exit 0, every link passes, found without a flag (agent config and OVSDB connections from /proc); --probe answers from inside ovnmeta', async () => {
    expect((await vmCurl(VM)).status).toBe(200)
    const {status, report} = await diagnose(net, '--probe')
    expect(report.backend).toBe('ovn')
    // the agent's log is history (earlier tests' failures warn there): not part of healthy now
    // the agent's log is history; skips that hold no verdict (Nova's config not on the chassis: not asked; IPv6
    // metadata, which Neutron 21.0.0's OVN agent predates: not this node's) aside
    expect(
      report.findings.filter((f) => f.status !== 'pass' && f.id !== 'ovn.agent-log' && f.skipped === undefined).map((f) => `${f.id}: ${f.summary}`),
    ).toEqual([])
    expect(status).toBe(0)
    expect(byId(report, 'ovn.agent-config').evidence).toContain(
      `ovsdb_connection = unix:/run/qm-ovn/openvswitch/db.sock (${AGENT_CONF}:${
        readFileSync(AGENT_CONF, 'utf8')
          .split('\n')
          .findIndex((l) => l.startsWith('ovsdb_connection')) + 1
      } [ovs] ovsdb_connection)`,
    )
    expect(byId(report, 'ovn.dhcp-route').summary).toMatch(/^option 121 routes 169\.254\.169\.254\/32 via 203\.0\.113\.\d+ in 203\.0\.113\.0\/24$/)
    // the secret is set on the harness, and never shown
    const text = JSON.stringify(report)
    expect(text).not.toContain('qmovnsecret')
  })

  it('a snapshot taken on the chassis diagnoses the same anywhere, and holds no secret', async () => {
    const file = join(dir, 'healthy.json')
    const c = await cliAsync(['collect', net, '-o', file])
    expect(c.status).toBe(0)
    expect(readFileSync(file, 'utf8')).not.toContain('qmovnsecret')
    const live = await diagnose(net)
    const offline = await diagnose(net, '--snapshot', file)
    expect(offline.status).toBe(live.status)
    expect(offline.report.findings.map((f) => [f.id, f.status])).toEqual(live.report.findings.map((f) => [f.id, f.status]))
  })

  it('agent stopped: the VM gets 503 from haproxy; first broken link ovn.agent-running, with the command to start it', async () => {
    await stopAgent()
    const vm = await vmCurl(VM)
    expect(vm.status).toBe(503)
    const {status, report} = await diagnose(net)
    expect(status).toBe(1)
    const first = firstBroken(report)!
    expect(first.id).toBe('ovn.agent-running')
    expect(first.summary).toContain('503')
    expect(fixCommand(first)).toBe('systemctl start neutron-ovn-metadata-agent')
    expect(byId(report, 'ovn.upstream-socket').status).toBe('fail')
    await startAgent()
  })

  it('haproxy killed: the VM is refused; first broken link ovn.haproxy naming the dead pid', async () => {
    const pid = killHaproxy(net)
    await waitFor('haproxy gone', () => haproxyPid(net) === null, 10_000)
    const vm = await vmCurl(VM)
    expect(vm.status).toBeUndefined()
    expect(vm.curlExit).toBe(7)
    const {status, report} = await diagnose(net)
    expect(status).toBe(1)
    const first = firstBroken(report)!
    expect(first.id).toBe('ovn.haproxy')
    expect(first.summary).toContain(`haproxy pid ${pid}`)
    expect(first.summary).toContain('connection refused')
  })

  it('namespace deleted, haproxy alive: the VM still gets 200, so a warning naming the orphan, the links inside the namespace not judged (exit 3); after the agent restarts, the VM is cut off and ovn.haproxy fails on the orphan', async () => {
    const pid = haproxyPid(net)!
    await deleteNamespace(net)
    expect((await vmCurl(VM)).status).toBe(200)
    let d = await diagnose(net)
    // no link broken, but without the namespace its addresses, haproxy and listener cannot be judged
    expect(d.status).toBe(3)
    const ns = byId(d.report, 'ovn.namespace')
    expect(ns.status).toBe('warn')
    expect(ns.summary).toContain(`pid ${pid}`)
    expect(fixCommand(ns)).toBe(`kill ${pid}; systemctl restart neutron-ovn-metadata-agent`)

    // the agent re-creates the namespace at start, and starts no haproxy while the orphan lives
    await stopAgent()
    await startAgent()
    await waitFor(
      `${metaNamespace(net)} re-created`,
      async () => (await cliAsync(['diagnose', net, '--json'])).json?.findings?.find((f: Finding) => f.id === 'ovn.namespace')?.status === 'pass',
      60_000,
      500,
    )
    const vm = await vmCurl(VM)
    expect(vm.status).toBeUndefined()
    d = await diagnose(net)
    expect(d.status).toBe(1)
    const first = firstBroken(d.report)!
    expect(first.id).toBe('ovn.haproxy')
    expect(first.summary).toContain(`pid ${pid}`)
    expect(fixCommand(first)).toMatch(new RegExp(`^kill ${pid};`))
  })

  it('namespace deleted and its haproxy killed: the VM gets no answer; first broken link ovn.namespace, fix: restart the agent', async () => {
    const pid = haproxyPid(net)!
    await deleteNamespace(net)
    process.kill(pid, 'SIGKILL')
    await waitFor('haproxy gone', () => haproxyPid(net) === null, 10_000)
    const vm = await vmCurl(VM)
    expect(vm.status).toBeUndefined()
    const {status, report} = await diagnose(net)
    expect(status).toBe(1)
    const first = firstBroken(report)!
    expect(first.id).toBe('ovn.namespace')
    expect(fixCommand(first)).toBe('systemctl restart neutron-ovn-metadata-agent')
  })

  it('no VM bound here: the chain stops at ovn.local-vif as a skip with the reason, exit 0 (not a failure)', async () => {
    const other = (await createNetwork(name('b'), {cidr: '198.51.100.0/24', gateway: null})).networkId
    const {status, report} = await diagnose(other)
    expect(status).toBe(0)
    expect(byId(report, 'ovn.metadata-port').status).toBe('pass')
    const vif = byId(report, 'ovn.local-vif')
    expect(vif.status).toBe('skip')
    expect(vif.summary).toContain('no VM port')
    // every link of the namespace after it skips; the agent's log and the checks past the agent judge no namespace
    const after = report.findings.slice(report.findings.indexOf(vif) + 1).filter((f) => f.id !== 'ovn.agent-log' && !f.id.startsWith('nova.'))
    expect(after.filter((f) => f.status !== 'skip').map((f) => `${f.id} ${f.status}`)).toEqual([])
    // --all covers the chassis: the network with a VM here, healthy
    const all = await cliAsync(['diagnose', '--all', '--json'])
    const row = (all.json.networks as Report[]).find((n) => n.network === net)
    expect(row?.healthy).toBe(true)
  })

  it('metadata port removed: the VM loses metadata; first broken link ovn.metadata-port', async () => {
    const other = (await createNetwork(name('c'), {cidr: '198.51.100.0/24', gateway: null})).networkId
    await createVm(VM + 1, other)
    expect((await vmCurl(VM + 1)).status).toBe(200)
    expect(await deleteMetadataPort(other)).not.toBeNull()
    await waitFor('the VM cut off', async () => (await vmCurl(VM + 1, '/openstack', {maxTimeS: 3})).status !== 200, 60_000, 500)
    const {status, report} = await diagnose(other)
    expect(status).toBe(1)
    expect(firstBroken(report)!.id).toBe('ovn.metadata-port')
    expect(firstBroken(report)!.summary).toContain('no metadata port')
    await deleteVm(VM + 1)
  })

  it('ovn_metadata_enabled = False: a new gateway-less network gets no metadata port and its VM no lease; subnet create warns; diagnose names the switch', async () => {
    await setMetadataEnabled(false)
    try {
      const made = await createNetwork(name('d'), {cidr: '198.51.100.0/24', gateway: null})
      const vm = await createVm(VM + 1, made.networkId, {expectMetadata: false, requireLease: false})
      expect(vm.lease).toBeNull()
      const {status, report} = await diagnose(made.networkId)
      expect(status).toBe(1)
      const first = firstBroken(report)!
      expect(first.id).toBe('ovn.metadata-port')
      expect(first.summary).toMatch(/ovn_metadata_enabled is False/)
      // a second gateway-less subnet on it through subnet create: the warning says why its VMs get no lease
      const sub = await cliAsync(['subnet', 'create', made.networkId, '203.0.113.0/24', '--os-auth-type', 'none', '--os-endpoint', API_URL, '--json'])
      expect(sub.status).toBe(0)
      expect(sub.stderr).toMatch(/warning: network \S+ has no OVN metadata port .*no DHCP lease/)
    } finally {
      await deleteVm(VM + 1)
      await setMetadataEnabled(true)
      await ovnUp()
    }
  })

  it('subnet create --wait on the chassis returns once OVN has the route (NB DHCP_Options), opts verify says the same', async () => {
    const made = (await createNetwork(name('b'), {cidr: '172.17.17.0/24', gateway: '172.17.17.1'})).networkId
    const sub = await cliAsync([
      'subnet',
      'create',
      made,
      '198.51.100.0/24',
      '--os-auth-type',
      'none',
      '--os-endpoint',
      API_URL,
      '--json',
      '--wait',
      '--wait-timeout',
      '60',
      '--config-file',
      AGENT_CONF,
    ])
    expect(sub.status).toBe(0)
    expect(sub.stderr).not.toMatch(/warning/)
    expect(sub.stderr).toMatch(/metadata route in place: option 121 routes 169\.254\.169\.254\/32 via (\S+, )*198\.51\.100\.\d+/)
    const v = await cliAsync(['opts', 'verify', made, '--config-file', AGENT_CONF])
    expect(v.status).toBe(0)
    expect(v.stdout).toMatch(/^ok: option 121 routes/)
  })
})
