import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseProcCmdline, parsePsArgs, parsePsF} from '../../../src/parse/processes.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')

describe('parsePsF', () => {
  it('rejoins the Grizzly proxy folded by `fold -s -w 82`: python, then the proxy and its options', () => {
    const [proxy, ...rest] = parsePsF(fx('grizzly-seed/ps-f-proxy-fold.txt'))
    expect(rest).toEqual([])
    expect(proxy).toMatchObject({pid: 27_409, ppid: 1, user: 'root'})
    expect(proxy.args).toEqual([
      'python',
      '/usr/bin/quantum-ns-metadata-proxy',
      '--pid_file=/var/lib/quantum/external/pids/01cce415-8e2b-4096-92b5-7acc67163d79.pid',
      '--network_id=01cce415-8e2b-4096-92b5-7acc67163d79',
      '--state_path=/var/lib/quantum',
      '--metadata_port=80',
      '--debug',
      '--verbose',
      '--log-file=quantum-ns-metadata-proxy01cce415-8e2b-4096-92b5-7acc67163d79.log',
      '--log-dir=/var/log/quantum',
    ])
  })

  it('rejoins the folded Grizzly dnsmasq, run as nobody, with its --interface and --dhcp-range', () => {
    const [dnsmasq] = parsePsF(fx('grizzly-seed/ps-f-dnsmasq-fold.txt'))
    expect(dnsmasq).toMatchObject({pid: 27_348, ppid: 1, user: 'nobody'})
    expect(dnsmasq.args[0]).toBe('dnsmasq')
    expect(dnsmasq.args).toContain('--interface=tapc2ac4ed4-f3')
    expect(dnsmasq.args).toContain('--dhcp-range=set:tag0,172.17.17.0,static,120s')
    expect(dnsmasq.args.at(-1)).toBe('--domain=openstacklocal')
    expect(dnsmasq.args).toHaveLength(15)
  })

  it('rejoins a real fold (trailing space kept at the break) to what `ps -o pid,args` printed', () => {
    const [folded] = parsePsF(fx('buildhost/unshare/ps-f-pid-fold.txt'))
    const unfolded = parsePsArgs(fx('buildhost/unshare/ps-o-pid-args.txt')).find((p) => p.pid === folded.pid)
    expect(folded.pid).toBe(6077)
    expect(folded.args).toEqual(unfolded?.args)
  })

  it('reads the Zed haproxy (user neutron) and dnsmasq (user nobody) from `ps -ww -f`', () => {
    const [haproxy] = parsePsF(fx('zed/basic-isolated/ps-f-haproxy.txt'))
    expect(haproxy).toEqual({
      args: ['haproxy', '-f', '/var/lib/neutron/ns-metadata-proxy/debe22fb-0d6c-4b70-9763-b422a9442bb1.conf'],
      pid: 12_693,
      ppid: 1,
      user: 'neutron',
    })
    const [dnsmasq] = parsePsF(fx('zed/basic-isolated/ps-f-dnsmasq.txt'))
    expect(dnsmasq).toMatchObject({pid: 12_567, ppid: 1, user: 'nobody'})
    expect(dnsmasq.args).toContain('--bind-dynamic')
  })

  it('reads two ps outputs printed back to back (new PIDs after respawn)', () => {
    const procs = parsePsF(fx('zed/e-after-respawn/ps-f-haproxy-dnsmasq.txt'))
    expect(procs.map((p) => [p.pid, p.user, p.args[0]])).toEqual([
      [23_081, 'neutron', 'haproxy'],
      [24_847, 'nobody', 'dnsmasq'],
    ])
  })

  it('synthetic: day-old STIME, day-long TIME, a kernel thread, and noise before the header', () => {
    const text = [
      "warning: bad ps syntax, perhaps a bogus '-'?",
      'UID          PID    PPID  C STIME TTY          TIME CMD',
      'neutron     4462       1  0 Nov22 ?        1-02:03:04 haproxy -f /var/lib/neutron/ns-metadata-proxy/x.conf',
      'root           2       0  0  2024 ?        00:00:01 [kthreadd]',
    ].join('\n')
    expect(parsePsF(text).map((p) => [p.pid, p.args])).toEqual([
      [4462, ['haproxy', '-f', '/var/lib/neutron/ns-metadata-proxy/x.conf']],
      [2, ['[kthreadd]']],
    ])
  })
})

describe('parsePsArgs', () => {
  it('reads `ps -o pid,args` (header COMMAND, right-aligned PIDs)', () => {
    const procs = parsePsArgs(fx('buildhost/unshare/ps-o-pid-args.txt'))
    expect(procs.map((p) => p.pid)).toEqual([5754, 5755, 6077])
    expect(procs[0].args).toEqual(['/usr/bin/python3', '-m', 'http.server', '80', '--bind', '169.254.169.254'])
  })

  it('synthetic: `ps -eo pid,ppid,user,args` columns and headerless lines', () => {
    const text = ['  PID  PPID USER     COMMAND', '12693     1 neutron  haproxy -f /x.conf', '  abc junk'].join('\n')
    expect(parsePsArgs(text)).toEqual([{args: ['haproxy', '-f', '/x.conf'], pid: 12_693, ppid: 1, user: 'neutron'}])
    expect(parsePsArgs('27409 python /usr/bin/quantum-ns-metadata-proxy --network_id=x\n')).toEqual([
      {args: ['python', '/usr/bin/quantum-ns-metadata-proxy', '--network_id=x'], pid: 27_409},
    ])
  })
})

describe('parseProcCmdline', () => {
  it('splits a real /proc/PID/cmdline and matches what ps printed for that pid', () => {
    const args = parseProcCmdline(fx('buildhost/unshare/proc-pid-cmdline.bin'))
    expect(args).toEqual(['/usr/bin/python3', '-m', 'http.server', '80', '--bind', '169.254.169.254'])
    expect(args).toEqual(parsePsArgs(fx('buildhost/unshare/ps-o-pid-args.txt')).find((p) => p.pid === 5754)?.args)
  })

  it('synthetic: keeps an argument that contains spaces whole; kernel threads give []', () => {
    expect(parseProcCmdline('sh\0-c\0echo a b\0')).toEqual(['sh', '-c', 'echo a b'])
    expect(parseProcCmdline('')).toEqual([])
    expect(parseProcCmdline('haproxy\0-f\0/x.conf')).toEqual(['haproxy', '-f', '/x.conf'])
  })
})
