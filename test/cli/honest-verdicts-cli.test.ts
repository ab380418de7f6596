// Issue 21, "honest verdicts", through the built binary: "healthy" only when every link was judged;
// links not judged say so and exit 3 (the bundled example, an unreachable host); a --check subset says
// how many checks ran and gives no verdict on the rest; a --config-file that is not there is exit 2.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {cli, ROOT} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const EXAMPLE = `${ROOT}examples/grizzly-seed.snapshot.json`
const SEED_NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-verdicts-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

describe('honest verdicts (built binary)', () => {
  it('the bundled example: every link it shows passes, the two links it did not record are "not judged", exit 3, never "healthy"', () => {
    const r = cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE])
    expect(r.status, r.stderr).toBe(3)
    expect(r.stdout).toContain('not judged: proxy.upstream, metadata-agent.config: no link found broken')
    expect(r.stdout).not.toMatch(/^healthy/m)
    const j = cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE, '--json'])
    expect(j.status).toBe(3)
    expect(j.json).toMatchObject({healthy: false, unjudged: ['proxy.upstream', 'metadata-agent.config'], verdict: 'not-judged'})
    // the API cross-checks and the probe were not run, and say so; they hold no verdict back
    const api = j.json.findings.find((f: {id: string}) => f.id === 'api.network')
    expect(api).toMatchObject({skipped: 'not-asked', status: 'skip'})
    // a snapshot is judged offline: what it lacks is the answers, whatever credentials are set now
    expect(api.summary).toMatch(/^not run: the evidence holds no API answers .*collect it with OS_\* or --os-cloud set/)
    const withCreds = cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE, '--json'], {env: {OS_AUTH_URL: 'http://127.0.0.1:9/v3', OS_CLOUD: ''}})
    expect(withCreds.json.findings.find((f: {id: string}) => f.id === 'api.network').summary).not.toMatch(/no API credentials/)
  })

  it('--check: "N of M checks run", exit 0 when they pass, and no word on the rest; a check not judged is exit 3', () => {
    const r = cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE, '--check', 'opts.metadata-route'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toContain('1 of 22 checks run, each passes: no verdict on the rest of the chain')
    expect(r.stdout).not.toMatch(/^healthy/m)
    const j = cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE, '--check', 'opts.metadata-route', '--json'])
    expect(j.json).toMatchObject({healthy: false, ran: {checks: 1, of: 22}, verdict: 'checks-pass'})
    expect(cli(['diagnose', SEED_NET, '--snapshot', EXAMPLE, '--check', 'metadata-agent.config']).status).toBe(3)
  })

  it('a snapshot holding every link: healthy, exit 0, naming what was not run', () => {
    const file = join(dir, 'complete.json')
    writeFileSync(file, JSON.stringify(hostSnapshot({host: 'net1', ip: '198.51.100.1'})))
    const r = cli(['diagnose', ZED_NET, '--snapshot', file, '--wide'])
    expect(r.status, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('healthy: every link of the metadata chain was judged, none is broken')
    expect(r.stdout).toContain('not run (see the table): api.network, api.subnet-isolated, api.dhcp-agents, api.dhcp-port, probe.http')
    expect(cli(['diagnose', ZED_NET, '--snapshot', file, '--json']).json).toMatchObject({healthy: true, verdict: 'healthy'})
  })

  it('every host unreachable: "healthy": false and exit 3, not a healthy network', () => {
    const env = fakeSsh(dir, 'echo "ssh: connect to host $2 port 22: Connection refused" >&2; exit 255')
    const r = cli(['diagnose', ZED_NET, '--host', 'net1', '--host', 'net2', '--json'], {env})
    expect(r.status, r.stderr).toBe(3)
    expect(r.json.healthy).toBe(false)
    expect(r.json.hosts.map((h: {reachable: boolean}) => h.reachable)).toEqual([false, false])
  })

  it('a --config-file or --state-path that is not there: one line naming it, exit 2, not a broken chain', () => {
    const r = cli(['diagnose', SEED_NET, '--config-file', join(dir, 'no', 'dhcp_agent.ini'), '--no-api'])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`--config-file ${join(dir, 'no', 'dhcp_agent.ini')}: no such file or directory`)
    const s = cli(['diagnose', SEED_NET, '--state-path', join(dir, 'nostate'), '--no-api'])
    expect(s.status).toBe(2)
    expect(s.stderr).toContain(`--state-path ${join(dir, 'nostate')}: no such file or directory`)
  })

  it.skipIf(process.getuid?.() !== 0)(
    'opts verify without the namespace: the line\'s form judged (1 when absent), its next hop not judged (3), never "missing"',
    () => {
      // a network id no namespace on this machine has: the opts file is all this node shows of it
      const net = 'a7e1c2d3-0000-4000-8000-00000000abcd'
      const state = join(dir, 'state')
      const config = join(dir, 'dhcp_agent.ini')
      writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
      mkdirSync(join(state, 'dhcp', net), {recursive: true})
      const opts = join(state, 'dhcp', net, 'opts')
      writeFileSync(opts, 'tag:tag0,option:classless-static-route,169.254.169.254/32,203.0.113.2,0.0.0.0/0,203.0.113.1\ntag:tag0,3,203.0.113.1\n')
      const r = cli(['opts', 'verify', net, '--state-path', state, '--config-file', config, '--wide'])
      expect(r.status, r.stdout + r.stderr).toBe(3)
      expect(r.stdout).toContain(`${opts} routes 169.254.169.254/32 via 203.0.113.2; whether that is this network's DHCP port is not judged`)
      writeFileSync(opts, 'tag:tag0,option:classless-static-route,0.0.0.0/0,203.0.113.1\n')
      const missing = cli(['opts', 'verify', net, '--state-path', state, '--config-file', config, '--wide'])
      expect(missing.status).toBe(1)
      expect(missing.stdout).toContain(`no classless-static-route (121) line in ${opts} has a 169.254.169.254/32 pair`)
    },
  )

  it.skipIf(process.getuid?.() !== 0)('--all lists a network whose namespace is gone while its state remains: its namespace.exists fails', () => {
    const net = 'b8e2c3d4-0000-4000-8000-00000000cdef'
    const state = join(dir, 'state-all')
    const config = join(dir, 'dhcp_agent-all.ini')
    writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
    mkdirSync(join(state, 'dhcp', net), {recursive: true})
    writeFileSync(join(state, 'dhcp', net, 'opts'), 'tag:tag0,option:classless-static-route,169.254.169.254/32,203.0.113.2\n')
    const r = cli(['diagnose', '--all', '--backend', 'dhcp-agent', '--state-path', state, '--config-file', config, '--no-api', '--json'])
    expect(r.status, r.stderr).toBe(1)
    const mine = (r.json.networks ?? [r.json]).find((n: {network: string}) => n.network === net)
    expect(mine.findings.find((f: {id: string}) => f.id === 'namespace.exists')).toMatchObject({status: 'fail'})
  })
})
