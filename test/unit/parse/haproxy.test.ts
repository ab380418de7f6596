import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseHaproxyConfig} from '../../../src/parse/haproxy.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')

describe('parseHaproxyConfig', () => {
  it('reads the config Zed generated: both binds, the unix socket server, the network id', () => {
    expect(parseHaproxyConfig(fx('zed/basic-isolated/haproxy.conf'))).toEqual({
      binds: [
        {address: '169.254.169.254', port: 80},
        {address: 'fe80::a9fe:a9fe', interface: 'ns-cdca02dc-a8', port: 80},
      ],
      networkId: 'debe22fb-0d6c-4b70-9763-b422a9442bb1',
      pidfile: '/var/lib/neutron/external/pids/debe22fb-0d6c-4b70-9763-b422a9442bb1.pid.haproxy',
      servers: [{address: '/var/lib/neutron/metadata_proxy', name: 'metadata'}],
      user: 'neutron',
    })
  })

  it('does not take `del-header X-Neutron-Router-ID` for a router id', () => {
    expect(parseHaproxyConfig(fx('zed/basic-isolated/haproxy.conf')).routerId).toBeUndefined()
  })

  it('synthetic: router-keyed config, bracketed IPv6 bind, Queens 0.0.0.0:80, comments, odd lines', () => {
    const text = [
      'global',
      '    user        nobody   # metadata_proxy_user',
      '    pidfile     /var/lib/neutron/external/pids/00000000-0000-4000-8000-0000000000aa.pid.haproxy',
      'listen listener',
      '    bind 0.0.0.0:80',
      '    bind [fe80::a9fe:a9fe]:80 interface tapc2ac4ed4-f3',
      '    bind :9697,/run/x.sock',
      '    bind garbage',
      '    server metadata /var/lib/neutron/metadata_proxy',
      '    server',
      '    http-request del-header X-Neutron-Network-ID',
      '    http-request set-header X-Neutron-Router-ID 00000000-0000-4000-8000-0000000000aa',
    ].join('\n')
    const cfg = parseHaproxyConfig(text)
    expect(cfg.binds).toEqual([
      {address: '0.0.0.0', port: 80},
      {address: 'fe80::a9fe:a9fe', interface: 'tapc2ac4ed4-f3', port: 80},
      {address: '*', port: 9697},
    ])
    expect(cfg.routerId).toBe('00000000-0000-4000-8000-0000000000aa')
    expect(cfg.networkId).toBeUndefined()
    expect(cfg.user).toBe('nobody')
    expect(cfg.servers).toHaveLength(1)
  })
})
