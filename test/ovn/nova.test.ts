/**
 * The ML2/OVN chain ending at the REAL Nova metadata API (issue 20, item 6, OVN part): Debian 12's
 * nova-api-metadata (nova 2:26.2.2, Zed) replaces fake nova on 127.0.0.1:8777 for this file
 * (test/ovn/nova.ts; scripts/harness/ovn/ovn-nova-up.sh), and fake nova is back in afterAll
 * (ovn-nova-down.sh; ovn-up.sh also puts it back by itself once this process is gone).
 *
 *   VM namespace qmovn-vm<N> (network 172.17.17.0/24, no gateway: OVN's DHCP option 121)
 *   -> haproxy in ovnmeta-<net> -> neutron-ovn-metadata-agent's unix socket
 *   -> nova-api-metadata (uwsgi) -> the harness's MariaDB nova_api + cell1 `nova`, neutron-server (noauth)
 *
 * The VM's port has device_id = an instance nova-instance.py wrote with Nova's own objects in the
 * port's project. Every request to 169.254.169.254 is sent from INSIDE the VM's namespace. Cases:
 * healthy (200 with Nova's own document), then Nova's secret changed (403; the agent's WARNING as
 * ../shared/lab/README.md "The same real Nova behind the OVN lab" records it); each also through the
 * built CLI, `diagnose NET --probe-as IP --nova-config <this harness's nova.conf>`; last,
 * ovn-nova-down.sh puts fake nova back (checked from the VM).
 *
 * Needs root, Nova's packages and a running harness (scripts/harness/ovn/ovn-up.sh); skipped
 * otherwise, and with QM_SKIP_OVN_NOVA=1.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {
  AGENT_LOG,
  PROJECT_ID,
  UP_SCRIPT,
  type Vm,
  createNetwork,
  createVm,
  deleteNetwork,
  deleteVm,
  networksNamed,
  ready,
  recordedPid,
  vmCurl,
  vmDeviceId,
  waitForVmStatus,
} from './env.js'
import {NOVA_CONF, NOVA_PID_FILE, NOVA_REAL, novaInstance, ovnNovaDown, ovnNovaUp} from './nova.js'

const isRoot = process.getuid?.() === 0
/** QM_SKIP_OVN_NOVA=1 leaves this file out */
const optedOut = process.env.QM_SKIP_OVN_NOVA === '1'
let notReady = ''
/** Debian's nova-api-metadata (packages nova-api, nova-common, python3-nova, uwsgi-plugin-python3) */
const novaInstalled = existsSync('/usr/bin/nova-metadata-wsgi') && existsSync('/usr/bin/nova-manage')
const harness = isRoot && !optedOut && novaInstalled && (await ready((why) => (notReady = why)))
if (optedOut) console.warn('OVN real Nova test skipped: QM_SKIP_OVN_NOVA=1')
else if (!isRoot) console.warn('OVN real Nova test skipped: it needs root')
else if (!novaInstalled) console.warn("OVN real Nova test skipped: Nova's packages are not installed (scripts/harness/openstack/up.sh --install)")
else if (!harness) console.warn(`OVN real Nova test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

const LONG = 600_000
const VM = 9
const NET_NAME = 'qm-ovn-nova'

interface Finding {
  id: string
  status: 'pass' | 'warn' | 'fail' | 'skip'
  summary: string
}

/** what a log file gained since size `from` */
const gained = (file: string, from: number): string => readFileSync(file).subarray(from).toString('utf8')
const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0)

describe.skipIf(!harness)('the ML2/OVN metadata chain to the real Nova metadata API (nova 26.2.2 behind neutron 21.0.0)', () => {
  const t0 = Date.now()
  let net = ''
  let vm: Vm
  const instanceId = vmDeviceId(VM)

  async function diagnose(): Promise<{status: number | null; byId: (id: string) => Finding}> {
    const r = await cliAsync(['diagnose', net, '--json', '--probe-as', vm.ip, '--nova-config', NOVA_CONF])
    const findings = (r.json as {findings?: Finding[]} | undefined)?.findings
    if (!findings) throw new Error(`diagnose exited ${r.status}: ${r.stderr}`)
    return {
      byId(id) {
        const f = findings.find((x) => x.id === id)
        if (!f) throw new Error(`no finding ${id} in ${findings.map((x) => x.id).join(' ')}`)
        return f
      },
      status: r.status,
    }
  }

  beforeAll(async () => {
    for (const id of await networksNamed(NET_NAME)) await deleteNetwork(id)
    const took = await ovnNovaUp()
    net = (await createNetwork(NET_NAME, {cidr: '172.17.17.0/24', gateway: null})).networkId
    vm = await createVm(VM, net)
    // after the port, as nova-compute's info cache refresh finds it
    const made = await novaInstance('ensure', instanceId, {name: vm.namespace, project: PROJECT_ID})
    expect(made.instance?.ports.map((p) => p.id)).toEqual([vm.port.id])
    console.info(`real Nova up in ${took} ms; VM ${vm.namespace} ${vm.ip} instance ${instanceId} ready after ${Date.now() - t0} ms`)
  }, LONG)

  afterAll(async () => {
    await novaInstance('delete', instanceId).catch((error) => console.warn(`nova-instance.py delete: ${error}`))
    await deleteVm(VM).catch((error) => console.warn(`deleteVm: ${error}`))
    for (const id of await networksNamed(NET_NAME)) await deleteNetwork(id).catch((error) => console.warn(`deleteNetwork: ${error}`))
    if (existsSync(NOVA_REAL) || existsSync(NOVA_PID_FILE)) await ovnNovaDown().catch((error) => console.warn(`ovn-nova-down.sh: ${error}`))
    console.info(`ovn nova: the whole file took ${Date.now() - t0} ms`)
  }, LONG)

  it("healthy: the VM gets 200 with Nova's own document for its instance (uuid, project); diagnose passes nova.answer", async () => {
    await waitForVmStatus(VM, 200, 60_000)
    const doc = await vmCurl(VM, '/openstack/latest/meta_data.json')
    expect(doc.status, doc.body).toBe(200)
    expect(JSON.parse(doc.body)).toMatchObject({meta: {'quantum-meta': 'harness'}, name: vm.namespace, project_id: PROJECT_ID, uuid: instanceId})
    expect((await vmCurl(VM, '/latest/meta-data/local-ipv4')).body).toBe(vm.ip)

    const d = await diagnose()
    expect(d.byId('nova.answer'), JSON.stringify(d.byId('nova.answer'))).toMatchObject({status: 'pass'})
    expect(d.byId('nova.config').status).not.toBe('fail')
  })

  it("Nova's secret differs: the VM gets 403, the agent logs Nova's Forbidden; diagnose fails nova.answer and nova.config", async () => {
    const from = sizeOf(AGENT_LOG)
    await ovnNovaUp({secret: 'qm-not-the-agents-secret'})
    await waitForVmStatus(VM, 403, 60_000)
    const r = await vmCurl(VM, '/latest/meta-data/')
    expect(r.status).toBe(403)
    expect(gained(AGENT_LOG, from)).toMatch(/WARNING neutron\.agent\.ovn\.metadata\.server \[-\] The remote metadata server responded with Forbidden/)

    const d = await diagnose()
    const answer = d.byId('nova.answer')
    expect(answer.status).toBe('fail')
    expect(answer.summary.startsWith(`asked as ${vm.ip}: 403, Nova rejects the agent's signature`), answer.summary).toBe(true)
    const config = d.byId('nova.config')
    expect(config.status).toBe('fail')
    expect(config.summary).toMatch(/differs from Nova's \[neutron\] metadata_proxy_shared_secret/)
    expect(d.status).toBe(1)
  })

  it('ovn-nova-down.sh: nova-api-metadata stopped, fake nova back on 8777; the VM gets 200 again (from fake nova)', async () => {
    const novaPid = recordedPid('nova-api-metadata')
    expect(novaPid).not.toBeNull()
    await ovnNovaDown()
    expect(existsSync(NOVA_REAL)).toBe(false)
    expect(existsSync(NOVA_PID_FILE)).toBe(false)
    expect(existsSync(`/proc/${novaPid}`)).toBe(false)
    expect(recordedPid('fake-nova')).not.toBeNull()
    await waitForVmStatus(VM, 200, 60_000)
    // fake nova's own text (ovn-fake-nova.py), not Nova's JSON document
    expect((await vmCurl(VM, '/openstack/latest/meta_data.json')).body).toMatch(new RegExp(`^qm-ovn fake nova: instance ${instanceId} project ${PROJECT_ID} `))
  })
})
