// `quantum-meta diagnose` through the built binary: the bundled seed snapshot, bad input, --list-checks.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'

const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

describe('diagnose --snapshot (the README example)', () => {
  it('the real Grizzly node: every link it shows passes, what it did not record is not judged (exit 3); a table in chain order', () => {
    const r = cli(['diagnose', NET, '--snapshot', SNAP])
    expect(r.status).toBe(3)
    const rows = r.stdout
      .split('\n')
      .filter((l) => /^│ (ok|skip|WARN|FAIL)/.test(l))
      .map((l) => l.split('│')[2].trim())
    expect(rows).toEqual([
      'config.metadata-enabled',
      'config.agent-restarted',
      'api.network',
      'api.subnet-isolated',
      'api.dhcp-agents',
      'namespace.exists',
      'namespace.dhcp-address',
      'namespace.metadata-address',
      'dnsmasq.running',
      'opts.metadata-route',
      'api.dhcp-port',
      'proxy.running',
      'proxy.listening',
      'proxy.upstream',
      'metadata-agent.config',
      'namespace.metadata-v6',
      'metadata-agent.log',
      'probe.http',
      'probe.http6',
      'nova.config',
      'nova.reach',
      'nova.answer',
    ])
    expect(r.stdout).toMatch(/not judged: proxy\.upstream, metadata-agent\.config: no link found broken/)
  })

  it('--json is one document with network, layout, healthy, verdict and findings', () => {
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--json'])
    expect(r.status).toBe(3)
    expect(r.json).toMatchObject({healthy: false, layout: 'quantum', network: NET, verdict: 'not-judged'})
    expect(r.json.findings[9]).toMatchObject({
      evidence: [expect.stringContaining('tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1')],
      id: 'opts.metadata-route',
      status: 'pass',
    })
    expect(r.stderr).toBe('')
  })

  it('a broken snapshot exits 1 and names the first broken link and its fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-diag-'))
    try {
      const snap = JSON.parse(readFileSync(SNAP, 'utf8'))
      snap.networks[0].opts.content = 'tag:tag0,option:router'
      const p = join(dir, 's.json')
      writeFileSync(p, JSON.stringify(snap))
      const r = cli(['diagnose', NET, '--snapshot', p])
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(/first broken link: opts\.metadata-route/)
      // the command alone on its line, the reason after `# `, the by-hand edit after `# or:`
      expect(r.stdout).toMatch(
        /^fix:\n\S*( \S+)? ?restart\S*( \S+)?\n# the agent rewrites opts with the route; [^\n]*\n# or:\nprintf .*tag:tag0,option:classless-static-route,169\.254\.169\.254\/32,172\.17\.17\.1[^\n]*\n# or by hand/m,
      )
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })

  it('--check runs a subset; an unknown check id is exit 2', () => {
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--check', 'opts.metadata-route', '--json'])
    expect(r.json.findings.map((f: {id: string}) => f.id)).toEqual(['opts.metadata-route'])
    expect(cli(['diagnose', NET, '--snapshot', SNAP, '--check', 'nope']).status).toBe(2)
  })
})

describe('diagnose input checks', () => {
  it.each(['not-a-uuid', '../../etc/passwd', '01cce415-8e2b-4096-92b5-7acc67163d7', "x'; rm -rf /"])('net-id %j is exit 2 before anything runs', (id) => {
    const r = cli(['diagnose', id, '--json', '--state-path', '/nonexistent'])
    expect(r.status).toBe(2)
    expect(r.json.error.code).toBe('bad-net-id')
  })

  it('--list-checks lists both chains, each in chain order', () => {
    // --wide: one line a check, for grep (without it a long title wraps under its column)
    const r = cli(['diagnose', '--list-checks', '--wide'])
    expect(r.status).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^dhcp-agent: /)
    expect(lines[1]).toMatch(/^ {2}config\.metadata-enabled\s+enable_isolated_metadata or force_metadata/)
    expect(lines[2]).toMatch(/^ {2}config\.agent-restarted\s+a running DHCP agent reads this config file/)
    const ovn = lines.findIndex((l) => l.startsWith('ovn: '))
    expect(ovn).toBeGreaterThan(16)
    expect(lines[ovn + 1]).toMatch(/^ {2}ovn\.agent-config\s/)
    expect(lines.filter((l) => /^ {2}ovn\./.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual([
      'ovn.agent-config',
      'ovn.agent-running',
      'ovn.chassis',
      'ovn.agent-registered',
      'ovn.metadata-port',
      'ovn.dhcp-route',
      'ovn.local-vif',
      'ovn.namespace',
      'ovn.namespace-addresses',
      'ovn.br-int-port',
      'ovn.haproxy',
      'ovn.haproxy-config',
      'ovn.haproxy-listening',
      'ovn.upstream-socket',
      'ovn.metadata-v6',
      'ovn.agent-log',
      'ovn.probe',
      'ovn.probe6',
    ])
    const json = cli(['diagnose', '--list-checks', '--json']).json
    expect(json.checks.filter((c: {chain: string}) => c.chain === 'dhcp-agent')).toHaveLength(22)
  })

  it('a snapshot that is not one is exit 2', () => {
    expect(cli(['diagnose', NET, '--snapshot', `${ROOT}package.json`]).status).toBe(2)
  })

  it('every flag rule is checked before the --junit path is looked at: a usage mistake is named first (exit 2)', () => {
    // the rules are src/diagnose/plan.ts's table (tested alone in diagnose-plan.test.ts); here, through the binary
    const nodir = join(tmpdir(), `qm-no-such-dir-${process.pid}`, 'r.xml')
    const r = cli(['diagnose', NET, '--host', 'net1', '--snapshot', SNAP, '--junit', nodir])
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', 'quantum-meta: give --host (ask the hosts over ssh) or --snapshot (files), not both\n'])
    // alone, the path is still refused before anything is diagnosed (exit 3: its directory is missing)
    const alone = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', nodir])
    expect(alone.status).toBe(3)
    expect(alone.stderr).toMatch(/^quantum-meta: --junit .*r\.xml: cannot write in /)
  })
})
