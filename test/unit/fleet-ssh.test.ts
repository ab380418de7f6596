/**
 * The ssh transport's pure parts (src/fleet/ssh.ts): remote words, destinations. Against
 * real sshd hosts: test/fleet/ssh.test.ts; the quoting read back by /bin/sh: test/cli/fleet-ssh.test.ts.
 */
import {describe, expect, it} from 'vitest'

import {QmError} from '../../src/errors.js'
import {checkDestination, collectOverSsh, lastLine, remoteWords, splitWords, sshArgv, SSH_DEFAULTS} from '../../src/fleet/ssh.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const opts = {...SSH_DEFAULTS, sshOptions: []}

describe('ssh transport, offline', () => {
  it('splits --remote-command into words, quotes grouping', () => {
    expect(splitWords('quantum-meta')).toEqual(['quantum-meta'])
    expect(splitWords('  /usr/bin/node   /opt/qm/bin/run.js ')).toEqual(['/usr/bin/node', '/opt/qm/bin/run.js'])
    expect(splitWords(`"/opt/my tools/qm" 'a b' c\\ d ""`)).toEqual(['/opt/my tools/qm', 'a b', 'c d', ''])
    expect(() => splitWords('qm "unterminated')).toThrow(/unterminated double quote/)
    expect(() => splitWords('   ')).toThrow(/--remote-command is empty/)
  })

  it('sudo -n only when the login user is not root; collect NET last, or collect --all with no network', () => {
    expect(remoteWords(['quantum-meta'], NET, 'root')).toEqual(['quantum-meta', 'collect', NET])
    expect(remoteWords(['quantum-meta'], undefined, 'root')).toEqual(['quantum-meta', 'collect', '--all'])
    expect(remoteWords(['qm'], undefined, 'ops')).toEqual(['sudo', '-n', 'qm', 'collect', '--all'])
    expect(remoteWords(['/usr/bin/node', '/opt/qm/bin/run.js'], NET, 'ops')).toEqual(['sudo', '-n', '/usr/bin/node', '/opt/qm/bin/run.js', 'collect', NET])
  })

  it("ssh's argv: BatchMode and ConnectTimeout first (ssh keeps the first value), -F, -o each, -- before DEST", () => {
    expect(
      sshArgv('net1', ['quantum-meta', 'collect', NET], {
        ...opts,
        connectTimeoutS: 7,
        sshConfig: '/x/ssh_config',
        sshOptions: ['ProxyJump=bastion', 'User=ops'],
      }),
    ).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=7',
      '-F',
      '/x/ssh_config',
      '-o',
      'ProxyJump=bastion',
      '-o',
      'User=ops',
      '-T',
      '--',
      'net1',
      'quantum-meta',
      'collect',
      NET,
    ])
  })

  it('refuses a destination ssh would read as an option (exit 2), before running anything', async () => {
    for (const bad of ['-oProxyCommand=touch /tmp/pwned', '-F', '', 'a b', 'net1\n']) {
      expect(() => checkDestination(bad)).toThrow(QmError)
      const e = await collectOverSsh(['net1', bad], NET, opts).catch((error: QmError) => error)
      expect(e).toBeInstanceOf(QmError)
      expect((e as QmError).exit).toBe(2)
    }
    expect(checkDestination('ops@net1.example.org')).toBe('ops@net1.example.org')
  })

  it('refuses --parallel below 1 (exit 2), with a network or without (--all)', async () => {
    for (const net of [NET, undefined]) {
      const e = await collectOverSsh(['net1'], net, {...opts, parallel: 0}).catch((error: QmError) => error)
      expect(e).toBeInstanceOf(QmError)
      expect((e as QmError).exit).toBe(2)
      expect((e as QmError).message).toMatch(/--parallel must be a whole number of 1 or more/)
    }
  })

  it("keeps ssh's last stderr line, printable", () => {
    expect(lastLine('Warning: something\r\nssh: connect to host 10.0.0.9 port 22: Connection timed out\r\n\n')).toBe(
      'ssh: connect to host 10.0.0.9 port 22: Connection timed out',
    )
    expect(lastLine('bad\u001b[31mcolour')).toBe('bad?[31mcolour')
    expect(lastLine('')).toBe('')
  })
})
