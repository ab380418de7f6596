#!/usr/bin/env node
// Assemble examples/grizzly-seed.snapshot.json from the verbatim outputs of the real Grizzly node in
// shared/seeds/000_3141aff5eb273b06.txt (copied to test/fixtures/node/grizzly-seed/, see SOURCES.md there).
// The transcript shows no pid files and no metadata socket: those are marked not-collected.
import {readFileSync, writeFileSync} from 'node:fs'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const NS = `qdhcp-${NET}`
const STATE = '/var/lib/quantum'
const fx = (f) => readFileSync(new URL(`../test/fixtures/node/grizzly-seed/${f}`, import.meta.url), 'utf8')
const cmd = (argv, stdout) => ({argv, exitCode: 0, stderr: '', stdout})
const notCollected = (path) => ({path, state: 'not-collected'})

// The seed quotes these lines "in /etc/quantum/dhcp_agent.ini"; only the [DEFAULT] header is added.
const config = `[DEFAULT]
# The DHCP server can assist with providing metadata support on isolated
# networks. Setting this value to True will cause the DHCP server to append
# specific host routes to the DHCP request. The metadata service will only
# be activated when the subnet gateway_ip is None. The guest instance must
# be configured to request host routes via DHCP (Option 121).
enable_isolated_metadata = True
`

const snapshot = {
  format: 'quantum-meta-snapshot/1',
  host: 'netnode',
  networks: [
    {
      addresses: cmd(['ip', 'netns', 'exec', NS, 'ip', '-4', 'a'], fx('ip-4-a.txt')),
      config: {content: config, path: '/etc/quantum/dhcp_agent.ini', state: 'present', type: 'file'},
      dnsmasqPidFile: notCollected(`${STATE}/dhcp/${NET}/pid`),
      haproxyConfig: notCollected(`${STATE}/ns-metadata-proxy/${NET}.conf`),
      haproxyPidFile: notCollected(`${STATE}/external/pids/${NET}.pid.haproxy`),
      layout: 'quantum',
      namespace: NS,
      namespaces: cmd(['ip', 'netns'], fx('ip-netns-grep-qdhcp.txt')),
      network: NET,
      opts: {content: fx('opts'), path: `${STATE}/dhcp/${NET}/opts`, state: 'present', type: 'file'},
      processes: [
        {alive: true, from: 'netstat in the namespace: 27348/dnsmasq', pid: 27348, ps: fx('ps-f-dnsmasq-fold.txt'), role: 'dnsmasq'},
        {alive: true, from: 'netstat in the namespace: 27409/python on 0.0.0.0:80', pid: 27409, ps: fx('ps-f-proxy-fold.txt'), role: 'proxy'},
      ],
      proxyPidFile: notCollected(`${STATE}/external/pids/${NET}.pid`),
      routes: cmd(['ip', 'netns', 'exec', NS, 'route', '-n'], fx('route-n.txt')),
      sockets: cmd(['ip', 'netns', 'exec', NS, 'netstat', '-4', '-anpt'], fx('netstat-4-anpt.txt')),
      statePath: STATE,
      upstreamSocket: notCollected(`${STATE}/metadata_proxy`),
    },
  ],
  note: 'assembled by scripts/make-seed-snapshot.mjs from the verbatim outputs of a real Grizzly node (shared/seeds/000_3141aff5eb273b06.txt); pid files and the metadata socket were not shown there',
  takenAt: '2013-06-01T17:47:00Z',
  tool: 'transcript',
}
writeFileSync(new URL('../examples/grizzly-seed.snapshot.json', import.meta.url), JSON.stringify(snapshot, null, 2) + '\n')
