// src/sources/rooted.ts: a node's files under another root (a container's root filesystem, an unpacked
// image), read by the DHCP agent chain's own collector. A temp directory is the root; symlinks in it are
// made hostile; nothing runs in any namespace (the namespace list given is empty). Here the test that
// needs mkfifo; the others: test/unit/sources-rooted.test.ts.
import {execFileSync} from 'node:child_process'
import {rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {collect, NET, tree} from '../helpers/rooted-tree.js'

describe('RootedView under the DHCP collector', () => {
  it('a FIFO is an error record, never a hang; a symlink loop is an error record', async () => {
    const root = tree('fifo')
    rmSync(join(root, `var/lib/neutron/dhcp/${NET}/opts`))
    execFileSync('mkfifo', [join(root, `var/lib/neutron/dhcp/${NET}/opts`)])
    symlinkSync('loop-b', join(root, 'var/lib/neutron/loop-a'))
    symlinkSync('loop-a', join(root, 'var/lib/neutron/loop-b'))
    symlinkSync('/var/lib/neutron/loop-a', join(root, `var/lib/neutron/dhcp/${NET}/leases`))
    const ev = await collect(root)
    expect(ev.opts).toMatchObject({error: 'is a FIFO, not a regular file', state: 'error'})
    expect(ev.leases).toMatchObject({error: 'ELOOP', state: 'error'})
  })
})
