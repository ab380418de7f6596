/**
 * The L3 agent chain's evidence as the recorded routers of test/fixtures/router/ (SOURCES.md) give it:
 * the legacy router on lab-host (healthy) and the HA router's primary and backup (ha), the same
 * builders as test/unit/l3-checks.test.ts, for tests that write them out as snapshots and judge them
 * through the built binary.
 */
import {readFileSync} from 'node:fs'

import type {CommandRecord, NetworkEvidence} from '../../src/evidence/evidence.js'

export const fx = (f: string) => readFileSync(new URL(`../fixtures/router/${f}`, import.meta.url), 'utf8')
export const NET = '0336ad3e-f396-4d62-b4e3-df4b4820a7f0'
export const ROUTER = '7f81dddf-f7cf-4161-bbae-551f6b32b521'
export const NS = `qrouter-${ROUTER}`
export const STATE = '/var/lib/neutron'
export const cmd = (argv: string[], stdout: string): CommandRecord => ({argv, exitCode: 0, stderr: '', stdout})
/** /proc/2661/cmdline as ps printed its args (ps-haproxy.txt: the COMMAND column) */
export const haproxyCmdline = () => `${fx('ps-haproxy.txt').split('\n')[1].split(' 2026 ')[1].trim().split(' ').join('\0')}\0`

/**
 * The healthy router on lab-host, without API credentials: the router is found by its namespace, whose
 * qr- device holds the gateway the DHCP agent's opts name (option:router 198.18.77.1).
 */
export function healthy(): NetworkEvidence {
  return {
    addresses: cmd(['ip', 'netns', 'exec', NS, 'ip', '-4', 'addr'], fx('qrouter-ip-4-addr.txt')),
    backend: 'l3-agent',
    config: {content: fx('l3_agent.ini.active-lines'), mtime: '2026-12-07T05:10:51.000Z', path: '/etc/neutron/l3_agent.ini', state: 'present'},
    dnsmasqPidFile: {path: `${STATE}/dhcp/${NET}/pid`, state: 'not-collected'},
    haproxyConfig: {content: fx('haproxy.conf'), path: `${STATE}/ns-metadata-proxy/${ROUTER}.conf`, state: 'present'},
    haproxyPidFile: {content: fx('haproxy.pid'), path: `${STATE}/external/pids/${ROUTER}.pid.haproxy`, state: 'present'},
    layout: 'neutron',
    namespace: NS,
    namespaceInode: 'net:[4026532517]',
    namespaces: cmd(['ip', 'netns'], fx('ip-netns.txt')),
    network: NET,
    opts: {content: fx('opts-routed'), path: `${STATE}/dhcp/${NET}/opts`, state: 'present'},
    processes: [
      {alive: true, cmdline: haproxyCmdline(), from: `${STATE}/external/pids/${ROUTER}.pid.haproxy`, netns: 'net:[4026532517]', pid: 2661, role: 'proxy'},
    ],
    proxyPidFile: {path: `${STATE}/external/pids/${ROUTER}.pid`, state: 'missing'},
    router: {
      agents: [
        {
          cmdline: 'neutron-l3-agent\0--config-file\0/etc/neutron/neutron.conf\0--config-file\0/etc/neutron/l3_agent.ini\0',
          pid: 1323,
          sameMountNamespace: true,
          startedAt: '2026-12-07T05:10:58.000Z',
        },
      ],
      configs: [
        // the [DEFAULT] keys router-chain.md greps from neutron.conf, under their section
        {content: `[DEFAULT]\n${fx('neutron.conf.grep')}`, mtime: '2026-12-07T05:10:51.000Z', path: '/etc/neutron/neutron.conf', state: 'present'},
        {content: fx('l3_agent.ini.active-lines'), mtime: '2026-12-07T05:10:51.000Z', path: '/etc/neutron/l3_agent.ini', state: 'present'},
      ],
      found: [`${NS}: qr-eab24fb2-dd holds 198.18.77.1/24`],
      foundBy: 'namespace',
      haState: {path: `${STATE}/ha_confs/${ROUTER}/state`, state: 'missing'},
      id: ROUTER,
      keepalived: {path: `${STATE}/ha_confs/${ROUTER}/keepalived.conf`, state: 'missing'},
      rules: [cmd(['ip', 'netns', 'exec', NS, 'iptables-save', '-c'], fx('iptables-save-c.txt'))],
    },
    sockets: cmd(['ip', 'netns', 'exec', NS, 'ss', '-ltnp'], fx('qrouter-ss-ltnp.txt')),
    statePath: STATE,
    upstreamSocket: {connect: 'ok', path: `${STATE}/metadata_proxy`, state: 'present', type: 'socket'},
  }
}

export const HA_ROUTER = 'c0e00691-9780-427e-88f0-6a1d77d9b23f'
export const HA_NS = `qrouter-${HA_ROUTER}`
/** lab-host (primary) or lab-host2 (backup) of the HA router, before the failover. */
export function ha(role: 'primary' | 'backup'): NetworkEvidence {
  const ev = healthy()
  const ss = fx(`ha-${role}-ss-ltnp.txt`)
  const pid = /pid=(\d+)/.exec(ss)?.[1]
  const id = HA_ROUTER
  return {
    ...ev,
    addresses: cmd(['ip', 'netns', 'exec', HA_NS, 'ip', '-4', '-o', 'addr', 'show'], fx(`ha-${role}-ip-4-o-addr.txt`)),
    haproxyConfig: {content: fx('haproxy.conf').replaceAll(ROUTER, id), path: `${STATE}/ns-metadata-proxy/${id}.conf`, state: 'present'},
    haproxyPidFile: pid
      ? {content: `${pid}\n`, path: `${STATE}/external/pids/${id}.pid.haproxy`, state: 'present'}
      : {path: `${STATE}/external/pids/${id}.pid.haproxy`, state: 'missing'},
    namespace: HA_NS,
    namespaceInode: undefined,
    namespaces: cmd(['ip', 'netns'], `${HA_NS} (id: 9)\n`),
    network: '642cae4c-4213-482e-997c-bfd3c3c5b2fd',
    opts: {content: 'tag:subnet-x,option:router,198.18.78.1', path: `${STATE}/dhcp/642cae4c-4213-482e-997c-bfd3c3c5b2fd/opts`, state: 'present'},
    processes: pid
      ? [
          {
            alive: true,
            cmdline: `haproxy\0-f\0${STATE}/ns-metadata-proxy/${id}.conf\0`,
            from: `${STATE}/external/pids/${id}.pid.haproxy`,
            pid: Number(pid),
            role: 'proxy',
          },
        ]
      : [],
    router: {
      ...ev.router!,
      found: [`${HA_NS}: qr-c26e9e4b-97 holds 198.18.78.1/24`],
      haState: {content: fx(`ha-state-${role}`), path: `${STATE}/ha_confs/${id}/state`, state: 'present'},
      id,
      keepalived: {path: `${STATE}/ha_confs/${id}/keepalived.conf`, state: 'present', type: 'file'},
      // the nat lines router-chain.md shows for each host (`iptables-save -t nat | grep 169.254`), in a nat table
      rules: [
        cmd(
          ['ip', 'netns', 'exec', HA_NS, 'iptables-save', '-t', 'nat'],
          `*nat\n:PREROUTING ACCEPT [0:0]\n:neutron-l3-agent-PREROUTING - [0:0]\n-A PREROUTING -j neutron-l3-agent-PREROUTING\n${fx(`ha-${role}-nat-grep.txt`)}COMMIT\n`,
        ),
      ],
    },
    sockets: cmd(['ip', 'netns', 'exec', HA_NS, 'ss', '-ltnp'], ss),
  }
}
