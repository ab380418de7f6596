/**
 * The ssh transport's quoting checked by a real POSIX shell (/bin/sh). The pure parts:
 * test/unit/fleet-ssh.test.ts; against real sshd hosts: test/fleet/ssh.test.ts.
 */
import {spawnSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'

import {shq as shellQuote} from '../../src/chains/common/text.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

describe('ssh transport, offline', () => {
  it('quotes each word so the remote POSIX shell gets it back unchanged', () => {
    const words = ['plain', 'a b', "it's", '$(id)', '`id`', ';', '*', '', 'x\ny', '--flag=1']
    const line = words.map(shellQuote).join(' ')
    // the remote login shell's view: sh parses the line ssh sends
    const r = spawnSync('/bin/sh', ['-c', `printf '<%s>' ${line}`], {encoding: 'utf8'})
    expect(r.stdout).toBe(words.map((w) => `<${w}>`).join(''))
    expect(shellQuote('quantum-meta')).toBe('quantum-meta')
    expect(shellQuote(NET)).toBe(NET)
  })
})
