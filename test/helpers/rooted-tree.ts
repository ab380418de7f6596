// The node tree the RootedView tests read (test/unit/sources-rooted.test.ts, test/cli/sources-rooted.test.ts):
// an agent config reached through an absolute symlink, one network's state files, under a temp root.
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll} from 'vitest'

import {collectDhcpNetworks} from '../../src/chains/dhcp-agent/collect.js'
import type {CommandRecord} from '../../src/evidence/evidence.js'
import {LiveView} from '../../src/sources/live.js'
import {RootedView} from '../../src/sources/rooted.js'

export const NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const tmp = mkdtempSync(join(tmpdir(), 'qm-rooted-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))
const none: CommandRecord = {argv: ['ip', 'netns', 'list'], exitCode: 0, stderr: '', stdout: ''}
const ctx = {configFile: '/etc/neutron/dhcp_agent.ini', layout: 'neutron' as const, probe: false, statePath: '/var/lib/neutron'}

/** A node's tree under ROOT: the agent config (through an absolute symlink, as packages lay it out), one network's state files. */
export function tree(name: string): string {
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

export const collect = async (root: string) => (await collectDhcpNetworks(new RootedView(root, new LiveView()), [NET], ctx, {agents: false, listed: none}))[0]
