/**
 * `diagnose NET --hosts-from-api` on the real ML2/OVN chassis (scripts/harness/ovn/ovn-up.sh): the API binds the
 * network's VM port to qm-ovn-host (its `binding:host_id`), so that is the host asked; an ssh config
 * maps the name to an sshd of the test's own on 127.0.0.1 in this (the chassis's) mount namespace,
 * as an operator's ~/.ssh/config maps agent host names. The verdict is set against what the VM gets.
 */
import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {type RootSshd, rootSshd} from '../helpers/sshd.js'
import {
  API_URL,
  CHASSIS_HOST,
  createNetwork,
  createVm,
  deleteNetwork,
  deleteVm,
  haproxyPid,
  killHaproxy,
  ready,
  restoreHealthy,
  vmCurl,
  waitFor,
} from './env.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const harness = isRoot && (await ready((why) => (notReady = why)))
if (!harness) console.warn(`ovn --hosts-from-api tests skipped: ${isRoot ? `the harness is not running (${notReady})` : 'they need root'}`)

const SSH_PORT = 2237
const VM = 7

describe.skipIf(!harness)('diagnose --hosts-from-api on a real ML2/OVN chassis, over ssh', () => {
  const tag = randomBytes(3).toString('hex')
  let net = ''
  let sshd: RootSshd | undefined
  const diagnose = (...extra: string[]) =>
    cliAsync(
      [
        'diagnose',
        net,
        '--hosts-from-api',
        '--os-auth-type',
        'none',
        '--os-endpoint',
        API_URL,
        '--ssh-config',
        sshd!.sshConfig,
        '--remote-command',
        sshd!.remoteCommand,
        ...extra,
      ],
      {env: {OS_CLOUD: ''}},
    )

  beforeAll(async () => {
    net = (await createNetwork(`qm-ovn-hfa-${tag}`, {cidr: '172.17.17.0/24', gateway: null})).networkId
    await createVm(VM, net)
    sshd = await rootSshd([CHASSIS_HOST], SSH_PORT)
  })
  afterAll(async () => {
    await sshd?.stop()
    await deleteVm(VM)
    if (net) await deleteNetwork(net)
    await restoreHealthy()
  })

  it('the chassis its VM port is bound to is asked, over ssh; healthy as the VM sees it (exit 0), the table says why it was asked', async () => {
    expect((await vmCurl(VM)).status).toBe(200)
    const r = await diagnose('--json')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.json.hosts).toHaveLength(1)
    const [h] = r.json.hosts
    expect(h).toMatchObject({backend: 'ovn', healthy: true, host: CHASSIS_HOST, reachable: true})
    expect(h.listed).toEqual([expect.stringMatching(/^chassis of port [0-9a-f-]{36} \(compute:nova\)$/)])
    // the API answers went into the host's evidence: ovn.dhcp-route can use the API's metadata port
    expect(h.findings.find((f: {id: string}) => f.id === 'ovn.metadata-port').status).toBe('pass')
    const text = await diagnose()
    expect(text.status).toBe(0)
    // the line may wrap before the owner at 80 columns (the output fits COLUMNS, or 80 on a pipe)
    expect(text.stdout).toMatch(new RegExp(`the API lists:\\n  ${CHASSIS_HOST}: chassis of port [0-9a-f-]{36}\\s+\\(compute:nova\\)`))
  })

  it("haproxy killed: the VM is refused, the chassis's row names ovn.haproxy (exit 1)", async () => {
    killHaproxy(net)
    await waitFor('haproxy gone', () => haproxyPid(net) === null, 10_000)
    expect((await vmCurl(VM)).curlExit).toBe(7)
    const r = await diagnose('--json')
    expect(r.status).toBe(1)
    const [h] = r.json.hosts
    expect(h.healthy).toBe(false)
    expect(h.findings.find((f: {status: string}) => f.status === 'fail').id).toBe('ovn.haproxy')
  })
})
