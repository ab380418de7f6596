// src/sources/rooted.ts: a node's files under another root (a container's root filesystem, an unpacked
// image), read by the DHCP agent chain's own collector. A temp directory is the root; symlinks in it are
// made hostile; nothing runs in any namespace (the namespace list given is empty). A FIFO made by
// mkfifo: test/cli/sources-rooted.test.ts.
import {symlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {collect, NET, tree} from '../helpers/rooted-tree.js'

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
