// Issue 21, "the command line an operator expects", through the built binary: -h, "did you mean" for
// commands, flags and check ids, and repeatable flags that do not swallow the network id.
import {describe, expect, it} from 'vitest'

import {cli, ROOT} from '../helpers/cli.js'

const EXAMPLE = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

describe('the command line (built binary)', () => {
  it('-h is help, as --help is', () => {
    const r = cli(['diagnose', '-h'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^USAGE/m)
    expect(cli(['-h']).stdout).toMatch(/^COMMANDS/m)
  })

  it('typos get "did you mean": a command, a flag (named without its value), a check id; all exit 2, one line', () => {
    const cmd = cli(['diagnos', NET])
    expect([cmd.status, cmd.stderr.trim()]).toEqual([2, `quantum-meta: unknown command "diagnos ${NET}"; did you mean diagnose? (see quantum-meta --help)`])
    expect(cli(['subnet', 'crate']).stderr).toContain('unknown command "subnet crate"; did you mean subnet create?')
    const flag = cli(['diagnose', NET, '--snapshot', EXAMPLE, '--chek=secret-ish'])
    expect(flag.status).toBe(2)
    expect(flag.stderr).toContain('Nonexistent flag: --chek; did you mean --check?')
    expect(flag.stderr).not.toContain('secret-ish')
    const check = cli(['diagnose', NET, '--snapshot', EXAMPLE, '--check', 'opts.metadata-rout'])
    expect(check.status).toBe(2)
    expect(check.stderr.trim()).toBe('quantum-meta: unknown check "opts.metadata-rout"; did you mean opts.metadata-route? (see --list-checks)')
  })

  it('a repeatable flag takes one value each time: the network id after it stays the argument', () => {
    const r = cli(['diagnose', '--snapshot', EXAMPLE, '--check', 'opts.metadata-route', NET, '--json'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.json).toMatchObject({network: NET, ran: {checks: 1, of: 22}, verdict: 'checks-pass'})
  })

  it('--color and FORCE_COLOR colour a pipe; NO_COLOR and the default do not', () => {
    const esc = (r: {stdout: string}) => r.stdout.includes('\u001b[')
    expect(esc(cli(['diagnose', NET, '--snapshot', EXAMPLE, '--color']))).toBe(true)
    expect(esc(cli(['diagnose', NET, '--snapshot', EXAMPLE], {env: {FORCE_COLOR: '1', NO_COLOR: ''}}))).toBe(true)
    expect(esc(cli(['diagnose', NET, '--snapshot', EXAMPLE], {env: {FORCE_COLOR: '1'}}))).toBe(false)
    expect(esc(cli(['diagnose', NET, '--snapshot', EXAMPLE], {env: {NO_COLOR: ''}}))).toBe(false)
  })

  it('Keystone not listening: the message names the URL as given (its /v3 too) and the setting it came from', () => {
    const env = {OS_AUTH_URL: undefined, OS_CLOUD: undefined, OS_PASSWORD: undefined}
    const r = cli(
      [
        'subnet',
        'create',
        'net1',
        '172.17.17.0/24',
        '--os-auth-url',
        'http://127.0.0.1:9/v3',
        '--os-username',
        'u',
        '--os-password',
        'p',
        '--os-project-name',
        'x',
      ],
      {env},
    )
    expect(r.status).toBe(3)
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9\/v3\/auth\/tokens \(OS_AUTH_URL, --os-auth-url or auth_url in clouds\.yaml\): ECONNREFUSED/)
  })

  it('diagnose --format json points at --json (exit 2, one line)', () => {
    const r = cli(['diagnose', NET, '--snapshot', EXAMPLE, '--format', 'json'])
    expect([r.status, r.stderr]).toEqual([2, 'quantum-meta: Expected --format=json to be one of: table, junit; JSON is --json (see --help)\n'])
  })
})
