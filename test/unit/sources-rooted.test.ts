// src/sources/rooted.ts: a node's files under another root (a container's root filesystem, an unpacked
// image), read by the DHCP agent chain's own collector. A temp directory is the root; symlinks in it are
// made hostile; nothing runs in any namespace (the namespace list given is empty). A FIFO made by
// mkfifo: test/cli/sources-rooted.test.ts.
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {collectDhcpNetworks} from '../../src/chains/dhcp-agent/collect.js'
import type {CommandRecord} from '../../src/evidence/evidence.js'
import {LiveView} from '../../src/sources/live.js'
import {RootedView} from '../../src/sources/rooted.js'

const NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const tmp = mkdtempSync(join(tmpdir(), 'qm-rooted-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))
const none: CommandRecord = {argv: ['ip', 'netns', 'list'], exitCode: 0, stderr: '', stdout: ''}
const ctx = {configFile: '/etc/neutron/dhcp_agent.ini', layout: 'neutron' as const, probe: false, statePath: '/var/lib/neutron'}

/** A node's tree under ROOT: the agent config (through an absolute symlink, as packages lay it out), one network's state files. */
function tree(name: string): string {
  const root = join(tmp, name)
  const state = join(root, 'var/lib/neutron')
  mkdirSync(join(root, 'etc/neutron'), {recursive: true})
  mkdirSync(join(root, 'usr/share/neutron'), {recursive: true})
  mkdirSync(join(state, 'dhcp', NET), {recursive: true})
  mkdirSync(join(state, 'ns-metadata-proxy'), {recursive: true})
  writeFileSync(join(root, 'usr/share/neutron/dhcp_agent.ini'), '[DEFAULT]\nenable_isolated_metadata = True\n')
  // absolute: on the node it means the node's /usr/share, which is under the root here
  symlinkSync('/usr/share/neutron/dhcp_agent.ini', join(root, 'etc/neutron/dhcp_agent.ini'))
  writeFileSync(join(root, 'etc/neutron/metadata_agent.ini'), '[DEFAULT]\nmetadata_proxy_shared_secret = s3cret\n')
  writeFileSync(join(state, 'dhcp', NET, 'opts'), 'tag:subnet-1,option:classless-static-route,169.254.169.254/32,198.51.100.2,0.0.0.0/0,198.51.100.1\n')
  writeFileSync(
    join(state, 'ns-metadata-proxy', `${NET}.conf`),
    `listen listener\n    bind 169.254.169.254:80\n    server metadata ${'/var/lib/neutron/metadata_proxy'}\n`,
  )
  return root
}

const collect = async (root: string) => (await collectDhcpNetworks(new RootedView(root, new LiveView()), [NET], ctx, {agents: false, listed: none}))[0]

describe('RootedView under the DHCP collector', () => {
  it('reads the files under the root, named by their node paths; an absolute symlink resolves inside the root', async () => {
    const root = tree('plain')
    const ev = await collect(root)
    expect(ev.config).toMatchObject({path: '/etc/neutron/dhcp_agent.ini', realpath: '/usr/share/neutron/dhcp_agent.ini', state: 'present', type: 'file'})
    expect(ev.config.content).toContain('enable_isolated_metadata = True')
    expect(ev.opts).toMatchObject({path: `/var/lib/neutron/dhcp/${NET}/opts`, state: 'present'})
    expect(ev.leases).toEqual({path: `/var/lib/neutron/dhcp/${NET}/leases`, state: 'missing'})
    // redacted as on any source
    expect(ev.metadataAgentConfig?.content).toContain('metadata_proxy_shared_secret = <redacted>')
    expect(JSON.stringify(ev)).not.toContain(root)
  })

  it("symlinks climbing out with .. or pointing at the host's own files stay inside the root", async () => {
    const root = tree('climb')
    writeFileSync(join(root, 'etc/hostname'), 'inside-the-root\n')
    const leases = join(root, `var/lib/neutron/dhcp/${NET}/leases`)
    symlinkSync('../../../../../../../../../../../../etc/hostname', leases)
    // the host's /etc/hostname is not the root's: an absolute link to it reads the root's
    symlinkSync('/etc/hostname', join(root, `var/lib/neutron/dhcp/${NET}/pid`))
    const ev = await collect(root)
    expect(ev.leases).toMatchObject({content: 'inside-the-root\n', state: 'present'})
    expect(ev.dnsmasqPidFile).toMatchObject({content: 'inside-the-root\n', state: 'present'})
  })

  it("the metadata agent's socket is connected to where it is under the root, recorded by its node path", async () => {
    const root = tree('socket')
    const sock = join(root, 'var/lib/neutron/metadata_proxy')
    const server = createServer()
    await new Promise<void>((ok) => server.listen(sock, ok))
    try {
      expect((await collect(root)).upstreamSocket).toEqual({connect: 'ok', path: '/var/lib/neutron/metadata_proxy', state: 'present', type: 'socket'})
    } finally {
      await new Promise((ok) => server.close(ok))
    }
    expect((await collect(tree('no-socket'))).upstreamSocket).toEqual({path: '/var/lib/neutron/metadata_proxy', state: 'missing'})
  })
})
