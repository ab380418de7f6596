/**
 * `diagnose --all` with credentials on the harness's real DHCP agent: a network the agent hosts whose
 * namespace and state directory are gone still gets its row, found through Neutron's own answers
 * (GET /v2.0/agents?host=H, /v2.0/agents/ID/dhcp-networks).
 *
 * How the namespace goes, for real: the network is set admin_state_up = False. The Zed DHCP agent
 * then disables DHCP for it (dnsmasq and its proxy stopped, the qdhcp namespace and STATE/dhcp/NET
 * removed) while the network stays scheduled to it, so the API still lists it on the agent. Without
 * the API (--no-api), --all cannot know the network: no row.
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh); skipped otherwise.
 */
import {existsSync} from 'node:fs'
import {randomBytes} from 'node:crypto'

import {afterAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {Created, DHCP_AGENT_HOST, NEUTRON_STATE_PATH, UP_SCRIPT, dhcpGone, dhcpReady, neutron, openstackEnv, ready, waitForDhcpState} from './env.js'

const isRoot = process.getuid?.() === 0
let notReady = ''
const up = isRoot && (await ready((why) => (notReady = why)))
if (!isRoot) console.warn('all-hosted test skipped: it needs root')
else if (!up) console.warn(`all-hosted test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

const LONG = 300_000
const NODE_FLAGS = ['--backend', 'dhcp-agent', '--state-path', NEUTRON_STATE_PATH, '--agent-host', DHCP_AGENT_HOST]

interface Report {
  network: string
  findings: {id: string; status: string; summary: string}[]
}

describe.skipIf(!up)("diagnose --all asks the real Neutron which networks this host's DHCP agent hosts", () => {
  const made = new Created()
  afterAll(async () => {
    const errors = await made.cleanup()
    if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
  }, LONG)

  it(
    'a hosted network whose namespace and state are gone (admin down): a row with credentials, namespace.exists failing; none with --no-api',
    async () => {
      const net = await made.network(`qm-all-hosted-${randomBytes(3).toString('hex')}`)
      await made.subnet(net.id, '172.17.17.0/28', {gateway: null})
      await waitForDhcpState(net.id, dhcpReady(), 120_000)
      await neutron('PUT', `/networks/${net.id}`, {network: {admin_state_up: false}})
      await waitForDhcpState(net.id, dhcpGone, 120_000)
      expect(existsSync(`${NEUTRON_STATE_PATH}/dhcp/${net.id}`)).toBe(false)

      const withApi = await cliAsync(['diagnose', '--all', '--json', ...NODE_FLAGS], {env: openstackEnv()})
      expect(withApi.stderr).toBe('')
      const rows = (withApi.json.networks as Report[]).filter((r) => r.network === net.id)
      expect(rows).toHaveLength(1)
      const f = (id: string) => rows[0].findings.find((x) => x.id === id)
      expect(f('namespace.exists')?.status).toBe('fail')
      // the API's own view is judged too: the network is down, so says the first API check
      expect(f('api.network')?.status).toBe('fail')
      expect(withApi.status).toBe(1)

      const noApi = await cliAsync(['diagnose', '--all', '--json', '--no-api', ...NODE_FLAGS], {env: openstackEnv()})
      expect((noApi.json?.networks ?? []).map((r: Report) => r.network)).not.toContain(net.id)
    },
    LONG,
  )
})
