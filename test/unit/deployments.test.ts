// Deployments as data (src/deployments/): the deployment told from a node's agent processes and marker
// paths (pure, on /proc-like inputs shaped after ../shared/reference/containers-nova.md 1.6), the
// --deployment override, the snapshot field, and every fix taking its commands from the recorded
// deployment: byte for byte today's on packages, the deployment's own elsewhere. The evidence is the
// real Zed node's (test/fixtures/node/SOURCES.md) and the real OVN chassis's snapshots
// (test/fixtures/ovn/snapshots/SOURCES.md), with only `deployment` changed.
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import {type ControlDeps, restartTarget} from '../../src/deployments/control.js'
import {type AgentProcess, detectDeployment, type NodeSigns, pickDeployment} from '../../src/deployments/detect.js'
import {liveSigns} from '../../src/deployments/live.js'
import {alsoCommand, command, DEPLOYMENTS, reconfigure, restart, restartHint, unitOf} from '../../src/deployments/registry.js'
import {SERVICES} from '../../src/deployments/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {DEPLOYMENT_NAMES, type DeploymentName, deploymentOfEvidence, type NetworkEvidence, type Snapshot} from '../../src/evidence/evidence.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {ZED_NET, zed} from '../helpers/zed-evidence.js'

const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const ID = '3f1c0b7e9a2d4c5b8e6f7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d'

// Agent command lines as /proc/PID/cmdline holds them: oslo's one-title form (a real Zed node's, see
// src/parse/agent.ts) and argv form
const DEBIAN_DHCP =
  'neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent --config-file=/etc/neutron/neutron.conf --config-file=/etc/neutron/dhcp_agent.ini)\0'
const KOLLA_DHCP =
  'neutron-dhcp-agent (/var/lib/kolla/venv/bin/python3 /var/lib/kolla/venv/bin/neutron-dhcp-agent --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/dhcp_agent.ini)\0'
const RPM_DHCP =
  '/usr/bin/python3\0/usr/bin/neutron-dhcp-agent\0--config-file\0/usr/share/neutron/neutron-dist.conf\0--config-file\0/etc/neutron/neutron.conf\0--config-file\0/etc/neutron/dhcp_agent.ini\0'
const EDPM_OVN = '/usr/bin/python3\0/usr/bin/neutron-ovn-metadata-agent\0'
const OSA_DHCP =
  '/openstack/venvs/neutron-30.0.0/bin/python\0/openstack/venvs/neutron-30.0.0/bin/neutron-dhcp-agent\0--config-file\0/etc/neutron/neutron.conf\0--config-file\0/etc/neutron/dhcp_agent.ini\0'
const SNAP_OVN =
  '/snap/openstack-hypervisor/212/usr/bin/python3\0/snap/openstack-hypervisor/212/usr/bin/neutron-ovn-metadata-agent\0--config-file\0/var/snap/openstack-hypervisor/common/etc/neutron/neutron.conf\0'

const HOST_CGROUP = '0::/system.slice/neutron-dhcp-agent.service\n'
const node = (agents: AgentProcess[], paths: string[] = []): NodeSigns => ({agents, exists: (p) => paths.includes(p)})
const agent = (cmdline: string, cgroup?: string, environ?: string, pid = 4242): AgentProcess => ({cgroup, cmdline, environ, pid})

describe('the deployment, told from the node', () => {
  it('a Debian node (host agent, no marker): packages, saying it is the default', () => {
    const told = detectDeployment(node([agent(DEBIAN_DHCP, HOST_CGROUP, 'LANG=C.UTF-8\0PATH=/usr/bin\0')]))
    expect(told).toEqual({from: "no other deployment's sign on this node: packages (the default)", name: 'packages'})
  })

  it("kolla: KOLLA_SERVICE_NAME in the agent's environment, and only that variable is recorded", () => {
    const env = 'OS_PASSWORD=hunter2\0KOLLA_SERVICE_NAME=neutron-dhcp-agent\0KOLLA_CONFIG_STRATEGY=COPY_ALWAYS\0'
    const told = detectDeployment(node([agent(KOLLA_DHCP, `0::/system.slice/docker-${ID}.scope\n`, env, 812)]))
    expect(told.name).toBe('kolla')
    expect(told.from).toBe('pid 812 (neutron-dhcp-agent): KOLLA_SERVICE_NAME=neutron-dhcp-agent in its environment')
    expect(told.from).not.toContain('hunter2')
  })

  it('kolla without root (environment unreadable): a docker cgroup and the generated config dir', () => {
    const told = detectDeployment(node([agent('neutron-dhcp-agent\0', `0::/docker/${ID}\n`)], ['/etc/kolla/neutron-dhcp-agent/config.json']))
    expect(told.name).toBe('kolla')
    expect(told.from).toBe(`pid 4242 (neutron-dhcp-agent): its cgroup 0::/docker/${ID} and /etc/kolla/neutron-dhcp-agent/config.json exists`)
  })

  it('a container cgroup alone names no deployment (a test machine may itself be a container)', () => {
    expect(detectDeployment(node([agent(DEBIAN_DHCP, `0::/system.slice/docker-${ID}.scope\n`, 'PATH=/usr/bin\0')])).name).toBe('packages')
  })

  it('TripleO on a RHEL host (cgroup v1 libpod line): TripleO, not RDO', () => {
    const cgroup = `12:pids:/machine.slice/libpod-${ID}.scope\n1:name=systemd:/machine.slice/libpod-${ID}.scope\n`
    const told = detectDeployment(
      node([agent(RPM_DHCP, cgroup, 'KOLLA_CONFIG_STRATEGY=COPY_ALWAYS\0')], ['/etc/redhat-release', '/var/lib/config-data/puppet-generated/neutron']),
    )
    expect(told.name).toBe('tripleo')
    expect(told.from).toMatch(/^pid 4242 \(neutron-dhcp-agent\): its cgroup 12:pids:\/machine\.slice\/libpod-[0-9a-f]+\.scope and \/var\/lib\/config-data/)
  })

  it("EDPM: podman's /container sub-cgroup and the agent's config dir", () => {
    const told = detectDeployment(
      node([agent(EDPM_OVN, `0::/machine.slice/libpod-${ID}.scope/container\n`)], ['/var/lib/openstack/neutron-ovn-metadata-agent', '/run/netns/placeholder']),
    )
    expect(told.name).toBe('edpm')
  })

  it('openstack-helm (kubepods cgroup), openstack-ansible (venv), the Sunbeam snap (its path)', () => {
    const pod = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b.slice/cri-containerd-${ID}.scope\n`
    expect(detectDeployment(node([agent('neutron-dhcp-agent\0', pod)])).name).toBe('openstack-helm')
    expect(detectDeployment(node([agent(OSA_DHCP, HOST_CGROUP)]))).toEqual({
      from: 'pid 4242 (neutron-dhcp-agent): its command line holds /openstack/venvs/neutron-30.0.0/bin/',
      name: 'openstack-ansible',
    })
    const snapCgroup = '0::/system.slice/snap.openstack-hypervisor.neutron-ovn-metadata-agent.service\n'
    expect(detectDeployment(node([agent(SNAP_OVN, snapCgroup)]))).toEqual({
      from: 'pid 4242 (neutron-ovn-metadata-agent): its cgroup 0::/system.slice/snap.openstack-hypervisor.neutron-ovn-metadata-agent.service',
      name: 'snap',
    })
  })

  it("RDO (neutron-dist.conf, or the RHEL family's release file) and charms (/var/lib/juju), with host agents", () => {
    const rpm = detectDeployment(node([agent(RPM_DHCP, HOST_CGROUP)], ['/usr/share/neutron/neutron-dist.conf']))
    expect(rpm).toEqual({from: '/usr/share/neutron/neutron-dist.conf exists', name: 'rdo'})
    expect(detectDeployment(node([agent(DEBIAN_DHCP, HOST_CGROUP)], ['/var/lib/juju'])).name).toBe('charms')
  })

  it('a leftover /etc/kolla on a node whose agent runs on the host is not kolla; with the agent down it is', () => {
    const kollaDir = ['/etc/kolla/neutron-dhcp-agent/config.json']
    expect(detectDeployment(node([agent(DEBIAN_DHCP, HOST_CGROUP)], kollaDir)).name).toBe('packages')
    expect(detectDeployment(node([], kollaDir))).toEqual({from: '/etc/kolla/neutron-dhcp-agent/config.json exists', name: 'kolla'})
  })

  it('a process that only names an agent (systemctl, a log tail) is no agent: its environment is not read', () => {
    const told = detectDeployment(
      node([
        agent('systemctl\0restart\0neutron-dhcp-agent\0', `0::/docker/${ID}\n`, 'KOLLA_SERVICE_NAME=x\0'),
        agent('tail\0-f\0/var/log/neutron/neutron-dhcp-agent.log\0'),
      ]),
    )
    expect(told.name).toBe('packages')
  })

  it('--deployment wins, and the node is then not read at all', () => {
    const unread = () => {
      throw new Error('read the node')
    }
    expect(pickDeployment('tripleo', unread)).toEqual({from: '--deployment', name: 'tripleo'})
    expect(pickDeployment(undefined, () => node([])).name).toBe('packages')
  })

  it('reads the agents from a /proc-shaped directory: cmdline, cgroup, environ; a reused pid is not the agent', () => {
    const proc = mkdtempSync(join(tmpdir(), 'qm-proc-'))
    try {
      const put = (pid: number, files: Record<string, string>) => {
        mkdirSync(join(proc, String(pid)))
        for (const [name, text] of Object.entries(files)) writeFileSync(join(proc, String(pid), name), text)
      }
      put(812, {cgroup: `0::/system.slice/docker-${ID}.scope\n`, cmdline: KOLLA_DHCP, environ: 'KOLLA_SERVICE_NAME=neutron-dhcp-agent\0'})
      put(900, {cgroup: '0::/init.scope\n', cmdline: '/sbin/init\0'})
      put(901, {cgroup: HOST_CGROUP, cmdline: DEBIAN_DHCP})
      mkdirSync(join(proc, 'self'))
      const scanned = liveSigns(undefined, proc)
      expect(scanned.agents.map((a) => a.pid).sort()).toEqual([812, 901])
      expect(scanned.agents.find((a) => a.pid === 812)).toMatchObject({
        cgroup: `0::/system.slice/docker-${ID}.scope\n`,
        environ: 'KOLLA_SERVICE_NAME=neutron-dhcp-agent\0',
      })
      expect(detectDeployment(scanned).name).toBe('kolla')
      // known agents (from a collection) are taken as they are, unless their pid now runs something else
      const known = liveSigns(
        [
          {cmdline: KOLLA_DHCP, pid: 812},
          {cmdline: DEBIAN_DHCP, pid: 900},
        ],
        proc,
      )
      expect(known.agents.map((a) => a.pid)).toEqual([812])
      // a collection that looked and found none: /proc is not walked again, the marker paths decide
      expect(liveSigns([], proc).agents).toEqual([])
    } finally {
      rmSync(proc, {force: true, recursive: true})
    }
  })

  it("reads this process's own cgroup from the real /proc", () => {
    const self = liveSigns([{cmdline: readFileSync('/proc/self/cmdline', 'latin1'), pid: process.pid}])
    expect(self.agents).toHaveLength(1)
    expect(self.agents[0].cgroup).toBe(readFileSync(`/proc/${process.pid}/cgroup`, 'latin1'))
  })
})

describe('the commands a fix takes from the deployment', () => {
  const on = (deployment?: DeploymentName, layout: 'neutron' | 'quantum' = 'neutron') => ({deployment, layout})

  it("packages (and evidence without the field): today's commands, with Grizzly's names", () => {
    expect(restart(on(), 'dhcp-agent')).toBe('systemctl restart neutron-dhcp-agent')
    expect(restart(on('packages', 'quantum'), 'dhcp-agent')).toBe('systemctl restart quantum-dhcp-agent')
    expect(restart(on('packages', 'quantum'), 'metadata-agent')).toBe('systemctl restart quantum-metadata-agent')
    expect(command(on(), 'start', 'ovn-controller')).toBe('systemctl start ovn-controller')
    expect(command(on(), 'status', 'ovn-agent')).toBe('systemctl status neutron-ovn-agent')
    // no Neutron agent reloads: the restart does it
    expect(command(on(), 'reload', 'dhcp-agent')).toBe('systemctl restart neutron-dhcp-agent')
    expect(reconfigure(on())).toBeUndefined()
    expect(restartHint(on(), 'dhcp-agent')).toBe('systemctl restart neutron-dhcp-agent  (or: service neutron-dhcp-agent restart)')
  })

  it("each deployment's own units and commands (containers-nova.md 1.5)", () => {
    expect(restart(on('kolla'), 'dhcp-agent')).toBe('docker restart neutron_dhcp_agent')
    expect(command(on('kolla'), 'start', 'ovn-metadata-agent')).toBe('docker start neutron_ovn_metadata_agent')
    expect(reconfigure(on('kolla'))).toBe('kolla-ansible reconfigure -t neutron')
    expect(restart(on('tripleo'), 'dhcp-agent')).toBe('systemctl restart tripleo_neutron_dhcp')
    expect(restart(on('tripleo'), 'ovn-metadata-agent')).toBe('systemctl restart tripleo_ovn_metadata_agent')
    expect(restart(on('edpm'), 'ovn-metadata-agent')).toBe('systemctl restart edpm_ovn_metadata_agent')
    expect(restart(on('openstack-helm'), 'dhcp-agent')).toBe('kubectl -n openstack rollout restart ds/neutron-dhcp-agent-default')
    expect(restart(on('openstack-helm'), 'server')).toBe('kubectl -n openstack rollout restart deployment/neutron-server')
    expect(restart(on('snap'), 'ovn-metadata-agent')).toBe('snap restart openstack-hypervisor.neutron-ovn-metadata-agent')
    expect(restart(on('rdo'), 'ovn-controller')).toBe('systemctl restart ovn-controller')
    expect(command(on('rdo'), 'start', 'ovn-controller')).toBe('systemctl start ovn-controller')
    // a service the deployment does not run (a snap node has no DHCP agent) reads as packages
    expect(restart(on('snap'), 'dhcp-agent')).toBe('systemctl restart neutron-dhcp-agent')
  })

  it('every deployment has a title, a restart for each service it names, no `{...}` left in a command', () => {
    expect(DEPLOYMENTS.map((d) => d.name).sort()).toEqual([...DEPLOYMENT_NAMES].sort())
    for (const d of DEPLOYMENTS) {
      expect(d.title).not.toBe('')
      for (const s of SERVICES) {
        for (const a of ['restart', 'start', 'status', 'reload'] as const) {
          const c = command(on(d.name), a, s)
          expect(c, `${d.name} ${a} ${s}`).not.toMatch(/\{(project|unit)\}/)
          expect(c).not.toBe('')
        }
        expect(unitOf(on(d.name, 'quantum'), s)).not.toMatch(/\{/)
      }
    }
  })

  it('the kolla hint goes with packages only (the default may be a wrong guess)', () => {
    expect(alsoCommand(on(), 'start', 'ovn-metadata-agent')).toBe('kolla: docker start neutron_ovn_metadata_agent')
    expect(alsoCommand(on('kolla'), 'start', 'ovn-metadata-agent')).toBeUndefined()
    expect(alsoCommand(on('rdo'), 'start', 'ovn-metadata-agent')).toBeUndefined()
  })
})

describe('fixes read the deployment recorded in the evidence', () => {
  const withDeployment = (ev: NetworkEvidence, deployment?: DeploymentName): NetworkEvidence => ({...ev, deployment})

  it('the DHCP chain: packages byte for byte as before; kolla and TripleO their own restart', () => {
    const dead = zed()
    dead.processes = dead.processes.filter((p) => p.role !== 'proxy')
    dead.haproxyPidFile = {path: dead.haproxyPidFile.path, state: 'missing'}
    const fix = (d?: DeploymentName) => byId(diagnoseEvidence(withDeployment(dead, d), {probe: false}).findings, 'proxy.running').fix
    expect(fix()).toEqual({
      command: 'systemctl restart neutron-dhcp-agent',
      why: 'a running agent respawns a dead haproxy within check_child_processes_interval, 60 s by default; if it stays down, check that haproxy is installed and the agent log',
    })
    expect(fix('packages')).toEqual(fix())
    expect(fix('kolla')).toMatchObject({command: 'docker restart neutron_dhcp_agent', why: expect.stringMatching(/^a running agent respawns/)})
    expect(fix('tripleo')).toMatchObject({command: 'systemctl restart tripleo_neutron_dhcp'})
    // the ML2/OVN hint asks the deployment for its status command
    const ovn = zed()
    ovn.namespaces.stdout = `ovnmeta-${ZED_NET} (id: 3)\n`
    const hint = byId(diagnoseEvidence(withDeployment(ovn, 'kolla'), {probe: false}).findings, 'namespace.exists').fix
    expect(hint).toMatchObject({
      alternative: {command: 'docker ps --all --filter name=neutron_ovn_agent', why: expect.stringMatching(/^2025\.2 on/)},
      command: 'docker ps --all --filter name=neutron_ovn_metadata_agent',
      why: expect.stringMatching(/the qdhcp checks do not apply to OVN$/),
    })
  })

  it('the OVN chain: the stopped agent is started the deployment’s way', () => {
    const ev = (JSON.parse(readFileSync(new URL('../fixtures/ovn/snapshots/agent-stopped.json', import.meta.url), 'utf8')) as Snapshot).networks[0]
    const fix = (d?: DeploymentName) => byId(diagnoseEvidence(withDeployment(ev, d), {probe: false}).findings, 'ovn.agent-running').fix
    const why = 'then see its log for why it stopped: a lost SB connection is the usual one'
    expect(fix()).toEqual({
      alternative: {command: 'docker start neutron_ovn_metadata_agent', why: "where it runs in kolla's containers"},
      command: 'systemctl start neutron-ovn-metadata-agent',
      why,
    })
    expect(fix('snap')).toEqual({command: 'snap start openstack-hypervisor.neutron-ovn-metadata-agent', why})
    expect(fix('edpm')).toEqual({command: 'systemctl start edpm_ovn_metadata_agent', why})
  })
})

describe('the snapshot field', () => {
  const doc = (extra: Record<string, unknown>) => {
    const ev = {...zed(), ...extra}
    return JSON.parse(JSON.stringify({format: 'quantum-meta-snapshot/1', host: 'net1', networks: [ev], takenAt: '2026-01-01T00:00:00Z', tool: 'test'}))
  }

  it('round-trips, and reads as packages when absent (older snapshots)', () => {
    const checked = checkSnapshot(
      doc({deployment: 'kolla', deploymentFrom: 'pid 812 (neutron-dhcp-agent): KOLLA_SERVICE_NAME=neutron-dhcp-agent in its environment'}),
    )
    expect(checked.ok).toBe(true)
    const ev = checked.ok ? checked.snapshot.networks[0] : undefined
    expect(ev).toMatchObject({deployment: 'kolla', deploymentFrom: expect.stringContaining('KOLLA_SERVICE_NAME')})
    const old = checkSnapshot(doc({}))
    expect(old.ok && deploymentOfEvidence(old.snapshot.networks[0])).toBe('packages')
  })

  it('an unknown deployment is bad input naming the field', () => {
    expect(checkSnapshot(doc({deployment: 'docker'}))).toEqual({
      field: 'networks[0].deployment',
      ok: false,
      problem: 'expected "packages" or "rdo" or "kolla" or "tripleo" or "edpm" or "openstack-ansible" or "openstack-helm" or "charms" or "snap", got "docker"',
    })
  })
})

describe('enable --restart: the unit and argv the deployment gives', () => {
  const deps = (loaded: string[], paths: string[]): ControlDeps & {ran: string[][]} => {
    const ran: string[][] = []
    return {
      exists: (p) => paths.includes(p),
      ran,
      run: async (cmd, args) => {
        ran.push([cmd, ...args])
        const unit = args.at(-1)!.replace(/\.service$/, '')
        return {exitCode: 0, stdout: loaded.includes(unit) ? 'loaded\n' : 'not-found\n'}
      },
    }
  }
  const scope = {layout: 'neutron' as const}

  it('packages under systemd: the loaded unit, the layout’s own name asked first', async () => {
    const d = deps(['quantum-dhcp-agent'], ['/run/systemd/system'])
    const t = await restartTarget(scope, 'dhcp-agent', 'neutron-dhcp-agent', d)
    expect(t).toEqual({argv: ['systemctl', 'restart', 'quantum-dhcp-agent.service'], manager: 'systemctl', unit: 'quantum-dhcp-agent'})
    expect(d.ran.map((a) => a.at(-1))).toEqual(['neutron-dhcp-agent.service', 'quantum-dhcp-agent.service'])
  })

  it('packages without systemd: the SysV script that exists; none: the preferred unit', async () => {
    const sysv = await restartTarget(scope, 'dhcp-agent', 'neutron-dhcp-agent', deps([], ['/etc/init.d/quantum-dhcp-agent']))
    expect(sysv).toEqual({argv: ['service', 'quantum-dhcp-agent', 'restart'], manager: 'service', unit: 'quantum-dhcp-agent'})
    const none = await restartTarget(scope, 'dhcp-agent', 'neutron-dhcp-agent', deps([], ['/run/systemd/system']))
    expect(none.argv).toEqual(['systemctl', 'restart', 'neutron-dhcp-agent.service'])
  })

  it('kolla: its restart command, nothing probed', async () => {
    const d = deps([], [])
    const t = await restartTarget({deployment: 'kolla', layout: 'neutron'}, 'dhcp-agent', 'neutron_dhcp_agent', d)
    expect(t.argv).toEqual(['docker', 'restart', 'neutron_dhcp_agent'])
    expect(d.ran).toEqual([])
  })
})

describe('no service-manager command outside src/deployments/', () => {
  it('`systemctl` appears in no other source file', () => {
    const src = new URL('../../src/', import.meta.url).pathname
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) {
          if (path !== join(src, 'deployments')) walk(path)
        } else if (/systemctl/.test(readFileSync(path, 'utf8'))) offenders.push(path.slice(src.length))
      }
    }
    walk(src)
    expect(offenders).toEqual([])
  })
})
