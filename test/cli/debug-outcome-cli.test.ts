// Issue 21's list: "--debug lists what was read, not the outcome". Through the built binary on a
// broken snapshot (the derived Zed node, its proxy's upstream refusing): --debug says on stderr what
// each piece of evidence yielded and each check's outcome as it is judged; stdout is as without it;
// and a secret planted in the snapshot's configs (metadata_proxy_shared_secret and more) appears nowhere.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-debug-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

// markers: unique, and none holds a word the redaction keys on
const SECRET = 'QMDEBUG7Z'

function brokenSnapshot(): string {
  const s = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
  const ev = s.networks[0]
  ev.upstreamSocket.connect = 'ECONNREFUSED'
  ev.metadataAgentConfig!.content = ev.metadataAgentConfig!.content!.replace(
    'metadata_proxy_shared_secret = <redacted>',
    `metadata_proxy_shared_secret = ${SECRET}1`,
  )
  expect(ev.metadataAgentConfig!.content).toContain(`${SECRET}1`)
  ev.config.content = `${ev.config.content}\nmetadata_proxy_shared_secret = ${SECRET}2\n`
  const p = join(dir, 'broken.json')
  writeFileSync(p, JSON.stringify(s))
  return p
}

describe('diagnose --debug: the outcome, not only what was read (built binary)', () => {
  it('each check as judged, its outcome and why, what the evidence yielded; stdout unchanged; no secret', () => {
    const p = brokenSnapshot()
    const plain = cli(['diagnose', ZED_NET, '--snapshot', p])
    const r = cli(['diagnose', ZED_NET, '--snapshot', p, '--debug'])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe(plain.stdout)
    expect(plain.stderr).not.toContain('debug:')
    const lines = r.stderr.split('\n')
    // the failing check and its outcome
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^debug: check proxy\.upstream: fail \(nothing accepts connections on \/var\/lib\/neutron\/metadata_proxy \(ECONNREFUSED\): [^)]*\) in \d+\.\d\d ms$/,
      ),
    )
    // every check of the chain, once each, in chain order, as --json lists them
    const judged = lines.flatMap((l) => /^debug: check ([\w.-]+): (pass|fail|warn|skip)\b/.exec(l)?.slice(1, 3) ?? [])
    const json = cli(['diagnose', ZED_NET, '--snapshot', p, '--json']).json
    expect(judged).toEqual(json.findings.flatMap((f: {id: string; status: string}) => [f.id, f.status]))
    // a skip says which kind it is
    expect(lines).toContainEqual(expect.stringMatching(/^debug: check probe\.http: skip \(not asked: /))
    // what the evidence yielded, before the checks: the namespace as parsed, and the socket's answer
    expect(lines).toContainEqual('debug:   namespace qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1: listed, 3 addresses on 2 interfaces, 4 listeners')
    expect(lines).toContainEqual('debug:   upstreamSocket: /var/lib/neutron/metadata_proxy: present, socket, connect ECONNREFUSED')
    expect(lines).toContainEqual(expect.stringMatching(/^debug: {3}metadataAgentConfig: \/etc\/neutron\/metadata_agent\.ini: present, \d+ lines$/))
    expect(lines.findIndex((l) => l.includes('upstreamSocket:'))).toBeLessThan(lines.findIndex((l) => l.startsWith('debug: check ')))
    expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET)
  })
})
