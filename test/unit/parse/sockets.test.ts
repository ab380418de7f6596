import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {isWildcardAddress} from '../../../src/parse/ip-util.js'
import {parseNetstat, parseProcNetTcp, parseSs, type Socket, socketInodesFromFdLinks} from '../../../src/parse/sockets.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')
const brief = (ss: Socket[]) => ss.map((s) => `${s.proto} ${s.localAddress}:${s.localPort} ${s.state} ${s.pid ?? '-'}/${s.program ?? '-'}`)
const listenersOn = (ss: Socket[], port: number) => ss.filter((s) => s.state === 'LISTEN' && s.localPort === port)

describe('parseNetstat', () => {
  it('reads the Grizzly python proxy on 0.0.0.0:80 and dnsmasq on :53', () => {
    expect(brief(parseNetstat(fx('grizzly-seed/netstat-4-anpt.txt')))).toEqual([
      'tcp 0.0.0.0:80 LISTEN 27409/python',
      'tcp 172.17.17.1:53 LISTEN 27348/dnsmasq',
      'tcp 169.254.169.254:53 LISTEN 27348/dnsmasq',
    ])
  })

  it('reads the Zed haproxy on 169.254.169.254:80 (columns padded with trailing spaces)', () => {
    const http = listenersOn(parseNetstat(fx('zed/basic-isolated/netstat-4-anpt.txt')), 80)
    expect(http).toEqual([{localAddress: '169.254.169.254', localPort: 80, pid: 12693, program: 'haproxy', proto: 'tcp', state: 'LISTEN'}])
  })

  it('shows no :80 listener once a router port took over (scenario a2)', () => {
    const socks = parseNetstat(fx('zed/a2-after-gateway/netstat-4-anpt.txt'))
    expect(socks).toHaveLength(3)
    expect(listenersOn(socks, 80)).toEqual([])
  })

  it('shows two haproxies on the same address in the metadata-network case (d2)', () => {
    const pids = listenersOn(parseNetstat(fx('zed/d2-mdnet/netstat-4-anpt.txt')), 80).map((s) => s.pid)
    expect(pids).toEqual([17876, 17567])
  })

  it('reads UDP lines, whose State column is empty, as UNCONN (dnsmasq DHCP on 0.0.0.0:67)', () => {
    const dhcp = parseNetstat(fx('zed/basic-isolated/netstat-4-anpu.txt')).find((s) => s.localPort === 67)
    expect(dhcp).toEqual({localAddress: '0.0.0.0', localPort: 67, pid: 12567, program: 'dnsmasq', proto: 'udp', state: 'UNCONN'})
  })

  it('reads -lnptu with a tcp6 line and -anpt with ESTABLISHED connections (build machine)', () => {
    expect(brief(parseNetstat(fx('buildhost/unshare/netstat-lnptu.txt')))).toEqual([
      'tcp 169.254.169.254:80 LISTEN 5754/python3',
      'tcp6 ::1:8775 LISTEN 5755/python3',
    ])
    expect(brief(parseNetstat(fx('buildhost/unshare/netstat-4-anpt.txt')))).toEqual([
      'tcp 169.254.169.254:80 LISTEN 5754/python3',
      'tcp 169.254.169.254:80 ESTABLISHED 5754/python3',
      'tcp 169.254.169.254:51618 ESTABLISHED 6077/python3',
    ])
  })

  it('synthetic: `-` owner, -e User/Inode columns, and damaged lines', () => {
    const text = [
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name',
      'tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN      0          44211      -',
      'tcp        0      0 169.254.169.254:80      0.0.0.0:*               LISTEN      0          44212      4242/haproxy',
      'tcp        0      0 10.0.0.1:80',
      'unix  2      [ ACC ]     STREAM     LISTENING     12345    /var/lib/neutron/metadata_proxy',
    ].join('\n')
    expect(parseNetstat(text)).toEqual([
      {inode: 44_211, localAddress: '0.0.0.0', localPort: 80, proto: 'tcp', state: 'LISTEN'},
      {inode: 44_212, localAddress: '169.254.169.254', localPort: 80, pid: 4242, program: 'haproxy', proto: 'tcp', state: 'LISTEN'},
    ])
  })
})

describe('parseSs', () => {
  it('reads the Zed listeners, with the IPv6 haproxy bound to fe80::a9fe:a9fe on the ns- device', () => {
    const socks = parseSs(fx('zed/basic-isolated/ss-ltnp.txt'))
    const http = listenersOn(socks, 80)
    expect(http).toEqual([
      {
        localAddress: '169.254.169.254',
        localPort: 80,
        pid: 12693,
        program: 'haproxy',
        proto: 'tcp',
        state: 'LISTEN',
        users: [{fd: 5, pid: 12693, program: 'haproxy'}],
      },
      {
        device: 'ns-cdca02dc-a8',
        localAddress: 'fe80::a9fe:a9fe',
        localPort: 80,
        pid: 12693,
        program: 'haproxy',
        proto: 'tcp6',
        state: 'LISTEN',
        users: [{fd: 4, pid: 12693, program: 'haproxy'}],
      },
    ])
    expect(socks.find((s) => s.localAddress === '::1')?.proto).toBe('tcp6')
  })

  it('agrees with netstat of the same namespace on every IPv4 listener', () => {
    const key = (s: Socket) => `${s.localAddress}:${s.localPort}/${s.pid}/${s.program}`
    const ss = parseSs(fx('zed/basic-isolated/ss-ltnp.txt'))
      .filter((s) => s.proto === 'tcp')
      .map(key)
      .sort()
    const ns = parseNetstat(fx('zed/basic-isolated/netstat-4-anpt.txt')).map(key).sort()
    expect(ss).toEqual(ns)
  })

  it('reads `ss -lunp` as UDP (UNCONN), IPv6 ones as udp6', () => {
    const socks = parseSs(fx('zed/basic-isolated/ss-lunp.txt'))
    expect(socks.find((s) => s.localPort === 67)).toMatchObject({localAddress: '0.0.0.0', pid: 12567, proto: 'udp', state: 'UNCONN'})
    expect(socks.filter((s) => s.proto === 'udp6').map((s) => s.localAddress)).toEqual(['fe80::a9fe:a9fe', 'fe80::f816:3eff:fe04:4af7', '::1'])
  })

  it('sees both haproxy pids on 169.254.169.254:80 and on [fe80::a9fe:a9fe]:80 (d2)', () => {
    const http = listenersOn(parseSs(fx('zed/d2-mdnet/ss-ltnp.txt')), 80)
    expect(http.map((s) => `${s.localAddress} ${s.pid}`)).toEqual([
      '169.254.169.254 17876',
      '169.254.169.254 17567',
      'fe80::a9fe:a9fe 17567',
      'fe80::a9fe:a9fe 17876',
    ])
  })

  it('reads `ss -tanp` states in netstat spelling, matching netstat of the same capture', () => {
    const ss = parseSs(fx('buildhost/unshare/ss-tanp.txt'))
    expect(brief(ss)).toEqual([
      'tcp 169.254.169.254:80 LISTEN 5754/python3',
      'tcp 169.254.169.254:80 ESTABLISHED 5754/python3',
      'tcp 169.254.169.254:51618 ESTABLISHED 6077/python3',
      'tcp6 ::1:8775 LISTEN 5755/python3',
    ])
    expect(brief(ss.filter((s) => s.proto === 'tcp'))).toEqual(brief(parseNetstat(fx('buildhost/unshare/netstat-4-anpt.txt'))))
  })

  it('reads the socket inode from `ss -ltne`', () => {
    expect(parseSs(fx('buildhost/unshare/ss-ltne.txt')).map((s) => [s.localAddress, s.localPort, s.inode])).toEqual([
      ['169.254.169.254', 80, 12_978],
      ['::1', 8775, 12_982],
    ])
  })

  it('synthetic: Netid column, old-ss `*:80` / `:::80`, several users, other socket kinds', () => {
    const text = [
      'Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
      'tcp   LISTEN 0      128               *:80               *:*     users:(("haproxy",pid=900,fd=6),("haproxy",pid=901,fd=6))',
      'tcp   LISTEN 0      128            :::80              :::*     users:(("httpd",pid=7,fd=4))',
      'udp   ESTAB  0      0      192.0.2.5:40000      192.0.2.1:53',
      'u_str LISTEN 0      4096   /var/lib/neutron/metadata_proxy 44321 * 0',
      'tcp   LISTEN 0      32      127.0.0.53%lo:53          0.0.0.0:*',
    ].join('\n')
    const socks = parseSs(text)
    expect(brief(socks)).toEqual([
      'tcp *:80 LISTEN 900/haproxy',
      'tcp6 :::80 LISTEN 7/httpd', // address `::`, port 80
      'udp 192.0.2.5:40000 ESTABLISHED -/-',
      'tcp 127.0.0.53:53 LISTEN -/-',
    ])
    expect(socks[0].users?.map((u) => u.pid)).toEqual([900, 901])
    expect(socks[3].device).toBe('lo')
    expect(isWildcardAddress(socks[0].localAddress)).toBe(true)
    expect(isWildcardAddress(socks[1].localAddress)).toBe(true)
  })
})

describe('parseProcNetTcp', () => {
  it('decodes the little-endian hex address: FEA9FEA9:0050 is 169.254.169.254:80 LISTEN', () => {
    const socks = parseProcNetTcp(fx('buildhost/unshare/proc-pid-net-tcp.txt'), 'tcp')
    expect(socks[0]).toEqual({inode: 12_978, localAddress: '169.254.169.254', localPort: 80, proto: 'tcp', state: 'LISTEN', uid: 0})
    expect(brief(socks)).toEqual(['tcp 169.254.169.254:80 LISTEN -/-', 'tcp 169.254.169.254:80 ESTABLISHED -/-', 'tcp 169.254.169.254:51618 ESTABLISHED -/-'])
  })

  it('gives the same inode as `ss -ltne` for the same listener', () => {
    const proc = parseProcNetTcp(fx('buildhost/unshare/proc-pid-net-tcp.txt'), 'tcp').find((s) => s.state === 'LISTEN')
    const ss = parseSs(fx('buildhost/unshare/ss-ltne.txt')).find((s) => s.localPort === 80)
    expect(proc?.inode).toBe(ss?.inode)
  })

  it('decodes tcp6 word by word: ::1 port 8775', () => {
    expect(parseProcNetTcp(fx('buildhost/unshare/proc-pid-net-tcp6.txt'), 'tcp6')).toEqual([
      {inode: 12_982, localAddress: '::1', localPort: 8775, proto: 'tcp6', state: 'LISTEN', uid: 0},
    ])
  })

  it('reads the build machine /proc/net/tcp: a listener on 0.0.0.0:2024 and TIME_WAIT rows without inode', () => {
    const socks = parseProcNetTcp(fx('buildhost/proc-net-tcp.txt'), 'tcp')
    expect(socks[0]).toMatchObject({inode: 1065, localAddress: '0.0.0.0', localPort: 2024, state: 'LISTEN'})
    expect(socks.slice(1).every((s) => s.state === 'TIME_WAIT' && s.inode === undefined && s.localAddress === '192.0.2.2')).toBe(true)
  })

  it('synthetic (realistic rows): fe80::a9fe:a9fe and a v4-mapped address in tcp6, junk skipped', () => {
    const text = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 000080FE0000000000000000FEA9FEA9:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   118        0 48213 1 0000000000000000 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000100007F:2247 0000000000000000FFFF00000100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 48214 1 0000000000000000 20 4 30 10 -1',
      '   2: ZZZZ:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    ].join('\n')
    expect(parseProcNetTcp(text, 'tcp6')).toEqual([
      {inode: 48_213, localAddress: 'fe80::a9fe:a9fe', localPort: 80, proto: 'tcp6', state: 'LISTEN', uid: 118},
      {inode: 48_214, localAddress: '::ffff:127.0.0.1', localPort: 8775, proto: 'tcp6', state: 'ESTABLISHED', uid: 0},
    ])
  })
})

describe('socketInodesFromFdLinks', () => {
  it('finds the listener and connection inodes among a real process fd links', () => {
    const links = fx('buildhost/unshare/readlink-proc-pid-fd.txt').split('\n')
    const inodes = socketInodesFromFdLinks(links)
    expect(inodes).toEqual([12_978, 13_264])
    // the LISTEN socket on 169.254.169.254:80 belongs to this process
    const listen = parseProcNetTcp(fx('buildhost/unshare/proc-pid-net-tcp.txt'), 'tcp').find((s) => s.state === 'LISTEN')
    expect(inodes).toContain(listen?.inode)
  })

  it('synthetic: ignores pipes, files and anon inodes, and lists a dup()ed socket once', () => {
    expect(socketInodesFromFdLinks(['socket:[5]', 'pipe:[6]', '/dev/null', 'anon_inode:[eventpoll]', 'socket:[5]', 'socket:[77]', ''])).toEqual([5, 77])
  })
})
