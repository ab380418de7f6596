/**
 * enable/disable on a node whose deployment generates the agent's config (kolla-ansible, TripleO):
 * the generated host file is not edited unless named; kolla's override is written with --override,
 * created when missing and never truncated; a check reads the generated file.
 */
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {applyAgentConfig} from '../../src/config/apply.js'
import {configPathOn, createEmpty} from '../../src/config/deployed.js'
import {enableWanted} from '../../src/config/dhcp-agent.js'

describe('configPathOn', () => {
  it('packages: --config-file, else the default', async () => {
    expect(await configPathOn('packages', {mode: 'write', override: false}, () => true)).toEqual({path: '/etc/neutron/dhcp_agent.ini'})
    expect(await configPathOn('packages', {given: '/x/dhcp_agent.ini', mode: 'write', override: false})).toEqual({path: '/x/dhcp_agent.ini'})
  })

  it('kolla: a write without a path is refused, saying where the setting goes and how to apply it', async () => {
    const e = await configPathOn('kolla', {mode: 'write', override: false}).catch((x: Error & {code?: string}) => x)
    expect(e).toMatchObject({code: 'generated-config'})
    expect((e as Error).message).toBe(
      'this node is kolla-ansible: /etc/kolla/neutron-dhcp-agent/dhcp_agent.ini is generated, and the next deploy rewrites it; set it in the override /etc/kolla/config/neutron/dhcp_agent.ini on the deploy host and run kolla-ansible reconfigure -t neutron (--override writes that file here), or give --config-file /etc/kolla/neutron-dhcp-agent/dhcp_agent.ini to edit it anyway until then',
    )
    await expect(configPathOn('kolla', {mode: 'dry-run', override: false})).rejects.toMatchObject({code: 'generated-config'})
  })

  it('kolla: --check reads the generated file; --override the override, applied by reconfigure on the deploy host', async () => {
    expect(await configPathOn('kolla', {mode: 'check', override: false})).toEqual({path: '/etc/kolla/neutron-dhcp-agent/dhcp_agent.ini'})
    const o = await configPathOn('kolla', {mode: 'dry-run', override: true})
    expect(o.path).toBe('/etc/kolla/config/neutron/dhcp_agent.ini')
    expect(o.applyHint).toContain('kolla-ansible reconfigure -t neutron on the deploy host')
  })

  it('TripleO: the puppet-generated file, and no override of its own', async () => {
    await expect(configPathOn('tripleo', {mode: 'write', override: false})).rejects.toThrow(
      /puppet-generated\/neutron\/etc\/neutron\/dhcp_agent\.ini is generated/,
    )
    await expect(configPathOn('tripleo', {mode: 'write', override: true})).rejects.toMatchObject({code: 'no-override'})
  })
})

describe('the override file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qm-override-'))
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  it('made with its directory when missing, enable writes [DEFAULT] and the switch into it', async () => {
    const path = join(dir, 'config', 'neutron', 'dhcp_agent.ini')
    await createEmpty(path)
    expect(statSync(path).mode & 0o777).toBe(0o644)
    const out = await applyAgentConfig(
      {backup: false, deployment: 'kolla', mode: 'write', path, restart: false, wanted: enableWanted({}), wantServing: true},
      {restart: async () => 'x'},
    )
    expect(out.exit).toBe(0)
    expect(readFileSync(path, 'utf8')).toMatch(/^\[DEFAULT\]\nenable_isolated_metadata = True\n$/)
  })

  it('an override already there is kept as it is (never truncated)', async () => {
    const path = join(dir, 'dhcp_agent.ini')
    writeFileSync(path, '[DEFAULT]\ndebug = True\n')
    await createEmpty(path)
    expect(readFileSync(path, 'utf8')).toBe('[DEFAULT]\ndebug = True\n')
  })
})
