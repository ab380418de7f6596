/**
 * A containerised agent read from the host's /proc: the engine and id in its cgroup, whether it has a
 * pid namespace of its own, container pids mapped to host pids through NSpid, files read through its
 * root, and the fixes that name the deployment's own restart and file. /proc is a temp tree here
 * (symlinks stand for ns/* as readlink shows them); the cgroup and NSpid strings are the forms of
 * ../shared/reference/containers-nova.md 1.6 and 2.1 (and proc(5)); the real containers are
 * test/containers' (the podman rig).
 */
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {changedOnHost, configAgentRestarted, configMetadataEnabled} from '../../src/chains/dhcp-agent/config.js'
import {command, restart} from '../../src/deployments/registry.js'
import type {FileRecord, NetworkEvidence, ProcessRecord} from '../../src/evidence/evidence.js'
import {containerInCgroup, containerOf, innermostPid, pidsOfNamespace} from '../../src/node/container.js'
import {ContainerView} from '../../src/sources/container.js'
import type {NodeView} from '../../src/sources/view.js'
import {zed} from '../helpers/zed-evidence.js'

const ID = '3f1c0a9e5b7d2c4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6'

describe('containerInCgroup', () => {
  it.each([
    [`0::/machine.slice/libpod-${ID}.scope/container\n`, 'podman'],
    [`0::/libpod_parent/libpod-${ID}\n`, 'podman'],
    [`1:name=systemd:/machine.slice/libpod-${ID}.scope\n`, 'podman'],
    [`0::/system.slice/docker-${ID}.scope\n`, 'docker'],
    [`0::/docker/${ID}\n`, 'docker'],
    [`0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${ID}.scope\n`, 'containerd'],
  ])('%s: %s, the id cut to 12', (cgroup, engine) => {
    expect(containerInCgroup(cgroup)).toEqual({engine, id: ID.slice(0, 12)})
  })

  it('a host service has none', () => {
    expect(containerInCgroup('0::/system.slice/neutron-dhcp-agent.service\n')).toBeUndefined()
  })
})

describe('innermostPid', () => {
  it('the last pid of the NSpid line (host first, the container last)', () => {
    expect(innermostPid('Name:\thaproxy\nNSpid:\t26971\t96\nNSpgid:\t1\n')).toBe(96)
    expect(innermostPid('NSpid:\t812\n')).toBe(812)
    expect(innermostPid('Name:\tx\n')).toBeUndefined()
  })
})

describe('containerOf and pidsOfNamespace on a /proc tree', () => {
  let proc: string
  const put = (pid: string, ns: Record<string, string>, files: Record<string, string> = {}) => {
    mkdirSync(join(proc, pid, 'ns'), {recursive: true})
    for (const [k, v] of Object.entries(ns)) symlinkSync(v, join(proc, pid, 'ns', k))
    for (const [k, v] of Object.entries(files)) writeFileSync(join(proc, pid, k), v)
  }
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'qm-proc-'))
    put('self', {mnt: 'mnt:[1]', pid: 'pid:[10]'})
  })
  afterEach(() => rmSync(proc, {force: true, recursive: true}))

  it('an agent with its own mount and pid namespaces (kolla before 2025.2): private, its engine and id from the cgroup', () => {
    put('812', {mnt: 'mnt:[2]', pid: 'pid:[20]'}, {cgroup: `0::/libpod_parent/libpod-${ID}\n`})
    expect(containerOf(812, proc)).toEqual({engine: 'podman', id: ID.slice(0, 12), pid: 812, pidNamespace: 'private', root: `${proc}/812/root`})
  })

  it("an agent in the host's pid namespace (kolla 2025.2 wrappers, TripleO): host pids", () => {
    put('900', {mnt: 'mnt:[3]', pid: 'pid:[10]'}, {cgroup: `0::/machine-slice/libpod-${ID}\n`})
    expect(containerOf(900, proc)?.pidNamespace).toBe('host')
  })

  it('an agent in our mount namespace is no container', () => {
    put('700', {mnt: 'mnt:[1]', pid: 'pid:[10]'})
    expect(containerOf(700, proc)).toBeUndefined()
  })

  it("maps the namespace's pids to the host's, and only that namespace's", () => {
    put('812', {pid: 'pid:[20]'}, {status: 'NSpid:\t812\t1\n'})
    put('26971', {pid: 'pid:[20]'}, {status: 'NSpid:\t26971\t96\n'})
    put('5000', {pid: 'pid:[10]'}, {status: 'NSpid:\t96\n'})
    expect([...pidsOfNamespace('pid:[20]', proc)].sort()).toEqual([
      [1, 812],
      [96, 26971],
    ])
  })

  it('ContainerView looks a pid file of a private namespace up by its host pid, and says so', async () => {
    put('812', {mnt: 'mnt:[2]', pid: 'pid:[20]'}, {status: 'NSpid:\t812\t1\n'})
    put('26971', {pid: 'pid:[20]'}, {status: 'NSpid:\t26971\t96\n'})
    const asked: number[] = []
    const base = {
      process: async (pid: number, role: ProcessRecord['role'], from: string) => {
        asked.push(pid)
        return {alive: true, from, pid, role}
      },
    } as unknown as NodeView
    const view = new ContainerView(containerOf(812, proc)!, base, proc)
    const found = await view.process(96, 'proxy', '/var/lib/neutron/kolla/external/pids/N.pid.haproxy', {sockets: true})
    expect(asked).toEqual([26971])
    expect(found).toMatchObject({alive: true, pid: 26971})
    expect((found as ProcessRecord).from).toContain("pid 96 of the container's pid namespace (host pid 26971)")
    const gone = await view.process(97, 'dnsmasq', 'pidfile', {sockets: false})
    expect(gone).toMatchObject({alive: false, pid: 97})
    expect(asked).toEqual([26971])
  })

  it("ContainerView reads the agent's files through its root, never the host's", async () => {
    const root = join(proc, '812', 'root')
    mkdirSync(join(root, 'etc', 'neutron'), {recursive: true})
    writeFileSync(join(root, 'etc', 'neutron', 'dhcp_agent.ini'), '[DEFAULT]\nforce_metadata = true\n')
    // an absolute symlink inside the container resolves inside it, not on the host
    symlinkSync('/etc/neutron/dhcp_agent.ini', join(root, 'etc', 'link.ini'))
    put('812', {mnt: 'mnt:[2]', pid: 'pid:[10]'})
    const view = new ContainerView(containerOf(812, proc)!, {} as NodeView, proc)
    expect(await view.readFile('/etc/neutron/dhcp_agent.ini')).toMatchObject({
      content: '[DEFAULT]\nforce_metadata = true\n',
      path: '/etc/neutron/dhcp_agent.ini',
    })
    expect(await view.readFile('/etc/link.ini')).toMatchObject({content: '[DEFAULT]\nforce_metadata = true\n'})
    expect(await view.readFile('/etc/hostname')).toEqual({path: '/etc/hostname', state: 'missing'})
  })
})

describe('fixes on a containerised node', () => {
  const file = (path: string, content: string): FileRecord => ({content, path, state: 'present', type: 'file'})
  const kolla = (config: string, host: string, engine: 'podman' | 'docker' = 'podman'): NetworkEvidence => {
    const ev = zed()
    ev.deployment = 'kolla'
    ev.container = {engine, id: ID.slice(0, 12), pid: 812, pidNamespace: 'private', root: '/proc/812/root'}
    ev.config = file('/etc/neutron/dhcp_agent.ini', config)
    ev.hostConfigs = [{copy: '/etc/neutron/dhcp_agent.ini', host: file('/etc/kolla/neutron-dhcp-agent/dhcp_agent.ini', host)}]
    ev.agents = [
      {cmdline: 'neutron-dhcp-agent\0--config-file\0/etc/neutron/dhcp_agent.ini\0', configs: [ev.config], pid: 812, startedAt: '2099-01-01T00:00:00.000Z'},
    ]
    return ev
  }

  it("the engine the cgroup shows names kolla's commands (docker where none shows)", () => {
    expect(restart({container: {engine: 'podman'}, deployment: 'kolla', layout: 'neutron'}, 'dhcp-agent')).toBe('podman restart neutron_dhcp_agent')
    expect(restart({deployment: 'kolla', layout: 'neutron'}, 'dhcp-agent')).toBe('docker restart neutron_dhcp_agent')
    expect(command({deployment: 'tripleo', layout: 'neutron'}, 'restart', 'dhcp-agent')).toBe('systemctl restart tripleo_neutron_dhcp')
  })

  it("metadata off in kolla's config: the override on the deploy host and kolla's reconfigure, the host copy and a restart as the other way", () => {
    const off = '[DEFAULT]\nenable_isolated_metadata = false\nforce_metadata = false\n'
    const f = configMetadataEnabled.run(kolla(off, off), {probe: false} as never)
    expect(f.status).toBe('fail')
    expect(f.fix).toMatchObject({
      alternative: {file: '/etc/kolla/neutron-dhcp-agent/dhcp_agent.ini', set: 'enable_isolated_metadata = True'},
      file: '/etc/kolla/config/neutron/dhcp_agent.ini',
      section: 'DEFAULT',
      set: 'enable_isolated_metadata = True',
    })
    expect(f.fix?.why).toContain('kolla-ansible reconfigure -t neutron')
    expect(f.fix?.alternative?.why).toContain('podman restart neutron_dhcp_agent')
  })

  it('fixed on the host, the container not restarted: the fix is the restart alone, and agent-restarted warns', () => {
    const ev = kolla('[DEFAULT]\nforce_metadata = false\n', '[DEFAULT]\nforce_metadata = true\n')
    const f = configMetadataEnabled.run(ev, {probe: false} as never)
    expect(f.status).toBe('fail')
    expect(f.fix).toMatchObject({command: 'podman restart neutron_dhcp_agent'})
    expect(changedOnHost(ev)).toEqual([
      {
        copy: '/etc/neutron/dhcp_agent.ini',
        copySays: 'force_metadata = false',
        host: '/etc/kolla/neutron-dhcp-agent/dhcp_agent.ini',
        hostSays: 'force_metadata = true',
        keys: ['force_metadata'],
      },
    ])
    const w = configAgentRestarted.run(ev, {probe: false} as never)
    expect(w.status).toBe('warn')
    expect(w.summary).toContain('has not been restarted since the change')
    expect(w.fix).toMatchObject({command: 'podman restart neutron_dhcp_agent'})
  })

  it('the same switches on host and in the copy: no warning from the copies', () => {
    const on = '[DEFAULT]\nforce_metadata = true\n'
    expect(changedOnHost(kolla(on, `# a comment the copy lacks\n${on}`))).toEqual([])
  })
})

describe('the report names the deployment and the container', () => {
  it('under the heading: the deployment, how it was told, the container, its pid namespace and the root read through', async () => {
    const {diagnoseEvidence} = await import('../../src/diagnose/service.js')
    const {deploymentLines} = await import('../../src/render/findings.js')
    const ev = zed()
    Object.assign(ev, {
      container: {engine: 'podman', id: ID.slice(0, 12), pid: 812, pidNamespace: 'private', root: '/proc/812/root'},
      deployment: 'kolla',
      deploymentFrom: 'pid 812 (neutron-dhcp-agent): KOLLA_SERVICE_NAME=neutron-dhcp-agent in its environment',
    })
    const r = diagnoseEvidence(ev, {probe: false})
    expect(r.deployment?.name).toBe('kolla')
    expect(deploymentLines(r)).toEqual([
      'deployment: kolla-ansible (pid 812 (neutron-dhcp-agent): KOLLA_SERVICE_NAME=neutron-dhcp-agent in its environment)',
      `the agent (pid 812) runs in podman container ${ID.slice(0, 12)}, its own pid namespace (pid files mapped to host pids): its files read through /proc/812/root`,
    ])
    // packages on the host: no line, and no key in --json
    expect(diagnoseEvidence(zed(), {probe: false}).deployment).toBeUndefined()
  })
})

describe('containedAgent: which agent is read through its container', () => {
  let proc: string
  const put = (pid: string, mnt: string, cgroup?: string) => {
    mkdirSync(join(proc, pid, 'ns'), {recursive: true})
    symlinkSync(mnt, join(proc, pid, 'ns', 'mnt'))
    symlinkSync('pid:[10]', join(proc, pid, 'ns', 'pid'))
    if (cgroup) writeFileSync(join(proc, pid, 'cgroup'), cgroup)
  }
  const agent = (pid: number) => ({args: {configDirs: [], configFiles: [], program: 'neutron-dhcp-agent', sources: []}, cmdline: 'neutron-dhcp-agent\0', pid})
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'qm-proc-'))
    put('self', 'mnt:[1]')
  })
  afterEach(() => rmSync(proc, {force: true, recursive: true}))

  it("the agent a container's cgroup holds", async () => {
    const {containedAgent} = await import('../../src/chains/common/container.js')
    put('812', 'mnt:[2]', `0::/system.slice/docker-${ID}.scope\n`)
    expect(containedAgent([agent(812)], proc)?.container).toMatchObject({engine: 'docker', pid: 812})
  })

  it('none when an agent runs on the host (its files are the host’s), or the other mount namespace is no container', async () => {
    const {containedAgent} = await import('../../src/chains/common/container.js')
    put('812', 'mnt:[2]', `0::/system.slice/docker-${ID}.scope\n`)
    put('700', 'mnt:[1]', '0::/system.slice/neutron-dhcp-agent.service\n')
    put('900', 'mnt:[3]', '0::/user.slice/qm-fleet-host\n')
    expect(containedAgent([agent(812), agent(700)], proc)).toBeUndefined()
    expect(containedAgent([agent(900)], proc)).toBeUndefined()
    expect(containedAgent([], proc)).toBeUndefined()
  })
})

describe("VolumeView: a stopped container's state from its volume on the host", () => {
  it('reads STATE paths from the volume, names them as the container does; other paths are the host’s', async () => {
    const {VolumeView} = await import('../../src/sources/container.js')
    const dir = mkdtempSync(join(tmpdir(), 'qm-volume-'))
    try {
      mkdirSync(join(dir, '_data', 'dhcp', 'N'), {recursive: true})
      writeFileSync(join(dir, '_data', 'dhcp', 'N', 'opts'), 'tag:x,option:classless-static-route,169.254.169.254/32,198.51.100.2\n')
      const view = new VolumeView('/var/lib/neutron/kolla', join(dir, '_data'))
      expect(await view.readFile('/var/lib/neutron/kolla/dhcp/N/opts')).toMatchObject({
        content: 'tag:x,option:classless-static-route,169.254.169.254/32,198.51.100.2\n',
        path: '/var/lib/neutron/kolla/dhcp/N/opts',
        state: 'present',
      })
      expect(await view.list('/var/lib/neutron/kolla/dhcp')).toEqual(['N'])
      expect((await view.stat('/var/lib/neutron/kolla'))?.type).toBe('directory')
      expect(await view.connect('/var/lib/neutron/kolla/metadata_proxy')).toEqual({path: '/var/lib/neutron/kolla/metadata_proxy', state: 'missing'})
      // a sibling with the same prefix is not inside it
      expect((await view.readFile('/var/lib/neutron/kollax/opts')).state).toBe('missing')
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('the engine of the volume names the start command when no container runs', () => {
    expect(command({containerEngine: 'podman', deployment: 'kolla', layout: 'neutron'}, 'start', 'dhcp-agent')).toBe('podman start neutron_dhcp_agent')
  })
})

describe('a sidecar named by its container in the evidence', () => {
  it("proxy.running's evidence line names the container the haproxy's cgroup shows", async () => {
    const {proxyRunning} = await import('../../src/chains/dhcp-agent/proxy.js')
    const ev = zed()
    const proc = ev.processes.find((p) => p.role === 'proxy')!
    proc.container = {engine: 'podman', id: ID.slice(0, 12)}
    const f = proxyRunning.run(ev, {probe: false} as never)
    expect(f.evidence.some((l) => l.startsWith(`pid ${proc.pid} (podman container ${ID.slice(0, 12)}): `))).toBe(true)
  })
})

describe("the OVN agent's config in a container, as oslo.config finds it", () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qm-ovnroot-'))
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  const base = (cmdline: string) =>
    ({
      command: async () => undefined,
      process: async () => ({notCollected: 'none'}),
      processDetails: async () => ({sameMountNamespace: false}),
      processes: async () => ({entries: [{cmdline, pid: 4242}]}),
    }) as unknown as NodeView

  it("EDPM: an agent with no arguments reads /etc/neutron.conf.d's files (sorted), through the container's root", async () => {
    const {collectOvnShared} = await import('../../src/chains/ovn/collect.js')
    mkdirSync(join(dir, 'etc', 'neutron.conf.d'), {recursive: true})
    writeFileSync(join(dir, 'etc', 'neutron.conf.d', '01-neutron-ovn-metadata-agent.conf'), '[DEFAULT]\nstate_path = /var/lib/neutron\n')
    writeFileSync(join(dir, 'etc', 'neutron.conf.d', '05-nova-metadata.conf'), '[DEFAULT]\nnova_metadata_host = 198.51.100.5\n')
    writeFileSync(join(dir, 'etc', 'neutron.conf.d', 'README'), 'not a config\n')
    const view = new ContainerView(
      {engine: 'podman', id: ID.slice(0, 12), pid: 4242, pidNamespace: 'host', root: dir},
      base('/usr/bin/neutron-ovn-metadata-agent\0'),
    )
    const shared = await collectOvnShared(view, {probe: false})
    expect(shared.configs.map((c) => [c.path, c.state])).toEqual([
      ['/etc/neutron.conf.d/01-neutron-ovn-metadata-agent.conf', 'present'],
      ['/etc/neutron.conf.d/05-nova-metadata.conf', 'present'],
    ])
  })

  it('kolla: --config-file and --config-dir in the order given', async () => {
    const {collectOvnShared} = await import('../../src/chains/ovn/collect.js')
    mkdirSync(join(dir, 'etc', 'neutron', 'neutron.conf.d'), {recursive: true})
    writeFileSync(join(dir, 'etc', 'neutron', 'neutron.conf'), '[DEFAULT]\n')
    writeFileSync(join(dir, 'etc', 'neutron', 'neutron_ovn_metadata_agent.ini'), '[ovn]\novn_sb_connection = tcp:127.0.0.1:6642\n')
    writeFileSync(join(dir, 'etc', 'neutron', 'neutron.conf.d', 'z.conf'), '[DEFAULT]\n')
    const cmdline =
      'neutron-ovn-metadata-agent\0--config-file\0/etc/neutron/neutron.conf\0--config-file\0/etc/neutron/neutron_ovn_metadata_agent.ini\0--config-dir\0/etc/neutron/neutron.conf.d\0'
    const view = new ContainerView({engine: 'docker', id: ID.slice(0, 12), pid: 4242, pidNamespace: 'private', root: dir}, base(cmdline))
    const shared = await collectOvnShared(view, {probe: false})
    expect(shared.configs.map((c) => c.path)).toEqual([
      '/etc/neutron/neutron.conf',
      '/etc/neutron/neutron_ovn_metadata_agent.ini',
      '/etc/neutron/neutron.conf.d/z.conf',
    ])
    expect(shared.settings.sb).toBe('tcp:127.0.0.1:6642')
  })
})
