// --deployment through the built binary: collect records it (or what the node shows) in every network of
// the snapshot, diagnose of that snapshot takes its fixes from it, a name it does not know is exit 2.
// A temp config and state path, a network no namespace serves: nothing on the node is changed.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {DEPLOYMENT_NAMES} from '../../src/evidence/evidence.js'
import {cli} from '../helpers/cli.js'

const NET = '6a0e3b2c-95f1-4d7e-8c3a-1f2b3c4d5e6f'
const dir = mkdtempSync(join(tmpdir(), 'qm-deploy-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
const config = join(dir, 'dhcp_agent.ini')
writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
const node = ['--backend', 'dhcp-agent', '--config-file', config, '--state-path', dir, '--no-api']
const root = process.getuid?.() === 0

describe('collect and diagnose --deployment', () => {
  it.skipIf(!root)('collect records the deployment it was told, and diagnose of the snapshot restarts the kolla way', () => {
    const out = join(dir, 'kolla.json')
    const c = cli(['collect', NET, ...node, '--deployment', 'kolla', '--output', out])
    expect(c.status).toBe(0)
    const ev = JSON.parse(readFileSync(out, 'utf8')).networks[0]
    expect(ev).toMatchObject({deployment: 'kolla', deploymentFrom: '--deployment'})
    const d = cli(['diagnose', NET, '--snapshot', out, '--json'])
    expect(d.status).toBe(1)
    const first = d.json.findings.find((f: {status: string}) => f.status === 'fail')
    expect(first.id).toBe('namespace.exists')
    expect(first.fix.alternative).toMatchObject({command: 'docker restart neutron_dhcp_agent'})
  })

  it.skipIf(!root)('without the flag, collect records what the node shows and how it knew', () => {
    const c = cli(['collect', NET, ...node])
    expect(c.status).toBe(0)
    const ev = JSON.parse(c.stdout).networks[0]
    expect(DEPLOYMENT_NAMES).toContain(ev.deployment)
    expect(ev.deploymentFrom).toMatch(/\S/)
  })

  it.skipIf(!root)('diagnose on this node takes the flag: TripleO units in the fix', () => {
    const d = cli(['diagnose', NET, ...node, '--deployment', 'tripleo', '--json'])
    expect(d.status).toBe(1)
    expect(d.json.findings.find((f: {id: string}) => f.id === 'namespace.exists').fix.alternative).toMatchObject({
      command: 'systemctl restart tripleo_neutron_dhcp',
    })
  })

  it('a deployment it does not know is exit 2, one line naming the choices', () => {
    const r = cli(['diagnose', NET, '--deployment', 'docker'])
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--deployment/)
    expect(r.stderr).toMatch(/packages/)
  })
})
