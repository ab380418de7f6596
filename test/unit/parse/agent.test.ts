// The DHCP agent's process: verbatim /proc files of the harness node's real agent and of its
// privsep-helper child (test/fixtures/node/harness/, see test/fixtures/node/SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseAgentCmdline, procBootTime, procStartTicks} from '../../../src/parse/agent.js'

const fx = (f: string) => readFileSync(new URL(`../../fixtures/node/harness/${f}`, import.meta.url), 'utf8')

describe('parseAgentCmdline', () => {
  it("reads oslo's one-string process title of a real neutron-dhcp-agent", () => {
    expect(parseAgentCmdline(fx('proc-neutron-dhcp-agent-cmdline'))).toEqual({
      configDirs: [],
      configFiles: ['/etc/neutron/neutron.conf', '/etc/neutron/dhcp_agent.ini'],
      program: 'neutron-dhcp-agent',
      sources: [
        {kind: 'file', path: '/etc/neutron/neutron.conf'},
        {kind: 'file', path: '/etc/neutron/dhcp_agent.ini'},
      ],
    })
  })

  it('is not fooled by the privsep-helper child, which carries the same --config-file list', () => {
    expect(fx('proc-privsep-helper-cmdline')).toContain('--config-file\0/etc/neutron/dhcp_agent.ini')
    expect(parseAgentCmdline(fx('proc-privsep-helper-cmdline'))).toBeUndefined()
  })

  it('synthetic: a NUL-separated Grizzly command line with --config-file= and --config-dir', () => {
    const cmd = [
      '/usr/bin/python',
      '-u',
      '/usr/bin/quantum-dhcp-agent',
      '--config-file=/etc/quantum/quantum.conf',
      '--config-file',
      '/etc/quantum/dhcp_agent.ini',
      '--config-dir=/etc/quantum/dhcp.d',
      '',
    ].join('\0')
    expect(parseAgentCmdline(cmd)).toEqual({
      configDirs: ['/etc/quantum/dhcp.d'],
      configFiles: ['/etc/quantum/quantum.conf', '/etc/quantum/dhcp_agent.ini'],
      program: 'quantum-dhcp-agent',
      // the order oslo.config reads them in
      sources: [
        {kind: 'file', path: '/etc/quantum/quantum.conf'},
        {kind: 'file', path: '/etc/quantum/dhcp_agent.ini'},
        {kind: 'dir', path: '/etc/quantum/dhcp.d'},
      ],
    })
  })

  it('synthetic: a log tail or a systemctl call naming the agent is not the agent', () => {
    expect(parseAgentCmdline('tail\0-f\0/var/log/neutron/neutron-dhcp-agent.log\0')).toBeUndefined()
    expect(parseAgentCmdline('systemctl\0restart\0neutron-dhcp-agent\0')).toBeUndefined()
  })
})

describe('/proc start time', () => {
  it('reads starttime (field 22) of a real /proc/PID/stat and btime of /proc/stat', () => {
    expect(procStartTicks(fx('proc-neutron-dhcp-agent-stat'))).toBe(803485)
    expect(procBootTime(fx('proc-stat-btime.txt'))).toBe(1795461589)
    // 1795461589 + 8034.85 s = 21:33:43.85 UTC, what `ps -o lstart= -p 4904` printed
    expect(new Date((1795461589 + 803485 / 100) * 1000).toISOString()).toBe('2026-11-23T21:33:43.850Z')
  })

  it('synthetic: a comm with spaces and a parenthesis does not shift the fields', () => {
    const stat = fx('proc-neutron-dhcp-agent-stat').replace('(neutron-dhcp-ag)', '(a) b (c)')
    expect(procStartTicks(stat)).toBe(803485)
  })
})
