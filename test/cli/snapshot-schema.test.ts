// A snapshot is a file someone handed over: the whole document is checked against one schema.
// A wrong field is exit 2 naming it (on a5a34f4 `networks: [null]` was exit 3 "internal error"),
// ids are checked before they reach a path, a command or a printed fix, every snapshot the current
// collector writes reads back, and asking a snapshot for a network it does not hold says so. The
// schema in-process (shipped snapshots, random damage, its cost): test/unit/snapshot-schema.test.ts.
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {checkSnapshot} from '../../src/chains/snapshot.js'
import {ROOT, cli} from '../helpers/cli.js'

const SEED = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const seed = () => JSON.parse(readFileSync(SEED, 'utf8'))
const isRoot = process.getuid?.() === 0

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-snap-'))
})
afterAll(() => rmSync(dir, {force: true, recursive: true}))

function write(doc: unknown, name = 's.json'): string {
  const p = join(dir, name)
  writeFileSync(p, JSON.stringify(doc))
  return p
}

describe('snapshots that exist stay readable', () => {
  it.skipIf(!isRoot)('a snapshot collect writes now (files, sockets, errors, API error) reads back', () => {
    const state = join(dir, 'state')
    mkdirSync(join(state, 'dhcp', NET), {recursive: true})
    writeFileSync(join(state, 'dhcp', NET, 'opts'), 'tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1')
    writeFileSync(join(state, 'dhcp', NET, 'pid'), 'not a pid')
    mkdirSync(join(state, 'ns-metadata-proxy', `${NET}.conf`), {recursive: true}) // a directory: an error record
    const cfg = join(dir, 'dhcp_agent.ini')
    writeFileSync(cfg, '[DEFAULT]\nenable_isolated_metadata = True\n')
    writeFileSync(join(dir, 'metadata_agent.ini'), '[DEFAULT]\nmetadata_proxy_shared_secret = s3cret\n')
    // credentials whose auth URL is a closed port on 127.0.0.1: the snapshot carries the API's error
    const env = {OS_AUTH_URL: 'http://127.0.0.1:1/v3', OS_PASSWORD: 'p', OS_PROJECT_NAME: 'p', OS_USERNAME: 'u'}
    const out = join(dir, 'collected.json')
    const c = cli(['collect', NET, '--state-path', state, '--config-file', cfg, '--output', out], {env})
    expect(c.status).toBe(0)
    const doc = JSON.parse(readFileSync(out, 'utf8'))
    expect(doc.networks[0].api.error).toBeTruthy()
    expect(doc.networks[0].backend).toBe('dhcp-agent')
    expect(checkSnapshot(doc)).toMatchObject({ok: true})
    const d = cli(['diagnose', NET, '--snapshot', out, '--json'])
    expect(d.status).toBe(1)
    expect(d.json.network).toBe(NET)
  })
})

describe('the backend a network was collected for', () => {
  it('collect writes backend "dhcp-agent"; a snapshot without it (older) is the DHCP agent\'s and diagnoses the same', () => {
    const old = seed()
    expect(old.networks[0].backend).toBeUndefined()
    const tagged = seed()
    tagged.networks[0].backend = 'dhcp-agent'
    expect(checkSnapshot(tagged)).toMatchObject({ok: true})
    const a = cli(['diagnose', NET, '--snapshot', write(old, 'old.json'), '--json'])
    const b = cli(['diagnose', NET, '--snapshot', write(tagged, 'tagged.json'), '--json'])
    expect(b.status).toBe(a.status)
    expect(b.stdout).toBe(a.stdout)
  })

  it('a network relabelled ovn is exit 2 naming what it lacks (its ovnmeta namespace, its OVN evidence), never judged by either chain', () => {
    const doc = seed()
    doc.networks[0].backend = 'ovn'
    expect(checkSnapshot(doc)).toMatchObject({field: 'networks[0].namespace', ok: false})
    let r = cli(['diagnose', NET, '--snapshot', write(doc, 'ovn.json'), '--json'])
    expect(r.status).toBe(2)
    expect(r.json.error.message).toContain('networks[0].namespace')
    doc.networks[0].namespace = `ovnmeta-${NET}`
    r = cli(['diagnose', NET, '--snapshot', write(doc, 'ovn2.json'), '--json'])
    expect(r.status).toBe(2)
    expect(r.json.error.message).toContain('networks[0].ovn: required for the ovn backend')
  })

  it('an unknown backend is exit 2 naming the field', () => {
    const doc = seed()
    doc.networks[0].backend = 'linuxbridge'
    const r = cli(['diagnose', NET, '--snapshot', write(doc, 'bad-backend.json'), '--json'])
    expect(r.status).toBe(2)
    expect(r.stdout).toContain('networks[0].backend')
  })
})

describe('a wrong field is exit 2 naming it, never exit 3', () => {
  const cases: [string, (d: any) => void, string][] = [
    ['networks: [null]', (d) => (d.networks = [null]), 'networks[0]: expected an object, got null'],
    ['networks: {}', (d) => (d.networks = {}), 'networks: expected an array, got an object'],
    ['a missing processes', (d) => delete d.networks[0].processes, 'networks[0].processes: required'],
    ['processes: [42]', (d) => (d.networks[0].processes = [42]), 'networks[0].processes[0]: expected an object, got a number'],
    ['a pid as text', (d) => (d.networks[0].processes[0].pid = '27348'), 'networks[0].processes[0].pid: expected a number, got a string'],
    ['pid -1 (kill -HUP -1 signals every process)', (d) => (d.networks[0].processes[0].pid = -1), 'networks[0].processes[0].pid: must be a pid (0 to 4194304)'],
    ['a fractional pid', (d) => (d.networks[0].processes[0].pid = 1.5), 'networks[0].processes[0].pid: must be an integer'],
    ['opts content a number', (d) => (d.networks[0].opts.content = 7), 'networks[0].opts.content: expected a string, got a number'],
    [
      'an unknown file state',
      (d) => (d.networks[0].opts.state = 'gone'),
      'networks[0].opts.state: expected "present" or "missing" or "error" or "not-collected", got "gone"',
    ],
    ['exitCode as text', (d) => (d.networks[0].namespaces.exitCode = '0'), 'networks[0].namespaces.exitCode: expected a number, got a string'],
    ['a missing config record', (d) => delete d.networks[0].config, 'networks[0].config: required'],
    [
      'a path-shaped network id',
      (d) => (d.networks[0].network = '../../../etc'),
      'networks[0].network: must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79',
    ],
    [
      'a namespace with a shell command',
      (d) => (d.networks[0].namespace = 'qdhcp-x; reboot'),
      'networks[0].namespace: must be qdhcp-<network UUID>, ovnmeta-<network UUID> or qrouter-<router UUID>',
    ],
    [
      "another network's namespace",
      (d) => (d.networks[0].namespace = 'qdhcp-11111111-2222-3333-4444-555555555555'),
      `networks[0].namespace: qdhcp-11111111-2222-3333-4444-555555555555 is not the namespace of network ${NET}`,
    ],
    ['a missing host', (d) => delete d.host, 'host: required'],
  ]
  it.each(cases)('%s', (_name, mutate, message) => {
    const doc = seed()
    mutate(doc)
    const p = write(doc)
    const r = cli(['diagnose', NET, '--snapshot', p])
    expect(r.stderr).toBe(`quantum-meta: ${p}: ${message}\n`)
    expect(r.status).toBe(2)
    const j = cli(['diagnose', '--snapshot', p, '--json'])
    expect(j.json).toEqual({error: {code: 'snapshot-invalid', exit: 2, message: `${p}: ${message}`}})
  })

  it('odd values the collector can write still read: an empty agent config path, pid 0, a path with an escape (shown escaped)', () => {
    const doc = seed()
    doc.networks[0].agents = [
      {
        cmdline: 'neutron-dhcp-agent\0--config-file=\0',
        configs: [{error: "relative to the agent's working directory", path: '', state: 'not-collected'}],
        pid: 4242,
      },
    ]
    doc.networks[0].processes[1].pid = 0
    doc.networks[0].processes[1].alive = false
    doc.networks[0].dnsmasqPidFile = {path: '/x\u001b[2J', state: 'present', content: 'not a pid'}
    expect(checkSnapshot(doc)).toMatchObject({ok: true})
    const r = cli(['diagnose', NET, '--snapshot', write(doc, 'odd.json')])
    expect(r.status).toBe(1)
    expect(r.stdout).not.toContain('\u001b')
  })
})

describe('words from a snapshot in a printed fix', () => {
  it('a path or a tag holding $(…) or a quote is quoted, so pasting the fix runs nothing else', () => {
    const doc = seed()
    const ev = doc.networks[0]
    const opts = `/var/lib/quantum/dhcp/${NET}/opts$(reboot)`
    ev.opts.path = opts
    ev.opts.content = 'tag:tag0,option:router'
    ev.processes[0].ps = ev.processes[0].ps.replace(/--dhcp-optsfile=\S+/, `--dhcp-optsfile=${opts}`).replace('set:tag0', "set:x'$(reboot)'")
    const r = cli(['diagnose', NET, '--snapshot', write(doc, 'quote.json'), '--json'])
    expect(r.status).toBe(1)
    const f = r.json.findings.find((x: {id: string}) => x.id === 'opts.metadata-route')
    // a tag Neutron never writes gets no by-hand edit: the agent's restart alone
    expect(f.fix.alternative).toBeUndefined()
    expect(JSON.stringify(f.fix)).not.toContain('$(reboot)')
  })

  it('a path holding $(…) is quoted in the by-hand edit', () => {
    const doc = seed()
    const ev = doc.networks[0]
    const opts = `/var/lib/quantum/dhcp/${NET}/opts$(reboot)`
    ev.opts.path = opts
    ev.opts.content = 'tag:tag0,option:router'
    ev.processes[0].ps = ev.processes[0].ps.replace(/--dhcp-optsfile=\S+/, `--dhcp-optsfile=${opts}`)
    const r = cli(['diagnose', NET, '--snapshot', write(doc, 'quote-path.json'), '--json'])
    expect(r.status).toBe(1)
    const f = r.json.findings.find((x: {id: string}) => x.id === 'opts.metadata-route')
    expect(f.fix.alternative.command).toContain(`printf '\\n%s' 'tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1' >> '${opts}'`)
  })
})

describe('which network a snapshot holds', () => {
  it('another network than the snapshot holds is exit 2 saying which it holds', () => {
    const other = '11111111-2222-3333-4444-555555555555'
    const r = cli(['diagnose', other, '--snapshot', SEED])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${SEED} holds network ${NET}, not ${other}\n`)
  })

  it('no network id and an empty networks list: a clear message, not "network undefined"', () => {
    const doc = seed()
    doc.networks = []
    const p = write(doc, 'empty.json')
    const r = cli(['diagnose', '--snapshot', p])
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${p} holds no network (its networks list is empty): nothing to diagnose\n`)
    expect(r.stderr).not.toMatch(/undefined/)
  })

  it('an upper-case id in the snapshot is the same network', () => {
    const doc = seed()
    doc.networks[0].network = NET.toUpperCase()
    // found (not exit 2, "holds ... not NET"): the seed's own verdict, not judged (exit 3)
    expect(cli(['diagnose', NET, '--snapshot', write(doc, 'upper.json')]).status).toBe(3)
  })
})

describe('the schema is cheap', () => {
  it('a deeply nested document is rejected, not a RangeError', () => {
    const p = join(dir, 'deep.json')
    writeFileSync(p, `{"format":"quantum-meta-snapshot/1","host":"h","takenAt":"t","tool":"x","networks":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)
    const r = spawnSync(process.execPath, [`${ROOT}bin/run.js`, 'diagnose', '--snapshot', p], {encoding: 'utf8', timeout: 20_000})
    expect(r.status).toBe(2)
    expect(r.stderr).toBe(`quantum-meta: ${p}: networks[0]: expected an object, got an array\n`)
  })
})
