// The DHCP agent's collector records STATE/dhcp/NET/leases (bounded like every state file). A temp state
// path, and an `ip netns list` record without the namespace: nothing runs in any namespace.
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {collectNetwork, type NodeShared} from '../../src/chains/dhcp-agent/collect.js'
import type {CommandRecord} from '../../src/evidence/evidence.js'
import {LiveView} from '../../src/sources/live.js'
import {TEXT_FILE_MAX_BYTES} from '../../src/system/read-file.js'

const NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const root = mkdtempSync(join(tmpdir(), 'qm-leases-'))
afterAll(() => rmSync(root, {force: true, recursive: true}))
const none: CommandRecord = {argv: ['ip', 'netns', 'list'], exitCode: 0, stderr: '', stdout: ''}
const shared = (): NodeShared => ({config: {path: '/x', state: 'missing'}, metadataAgentConfig: {path: '/y', state: 'missing'}, upstreams: new Map()})
const collect = (state: string) => collectNetwork(new LiveView(), NET, {configFile: '/x', layout: 'neutron', probe: false, statePath: state}, none, shared())

describe('collectNetwork: the lease file', () => {
  it('is recorded verbatim', async () => {
    const state = join(root, 'a')
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    copyFileSync(new URL('../fixtures/leases/dnsmasq-2.90.leases', import.meta.url), join(state, 'dhcp', NET, 'leases'))
    const ev = await collect(state)
    expect(ev.leases).toMatchObject({path: join(state, 'dhcp', NET, 'leases'), state: 'present', type: 'file'})
    expect(ev.leases?.content).toContain('1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3')
  })

  it('missing is state missing; larger than the text bound is an error, not read', async () => {
    const state = join(root, 'b')
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    expect((await collect(state)).leases).toEqual({path: join(state, 'dhcp', NET, 'leases'), state: 'missing'})
    writeFileSync(join(state, 'dhcp', NET, 'leases'), Buffer.alloc(TEXT_FILE_MAX_BYTES + 1, 0x31))
    const big = (await collect(state)).leases
    expect(big?.state).toBe('error')
    expect(big?.content).toBeUndefined()
  })
})
