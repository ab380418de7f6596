// Issue 22 class 3: a snapshot is redacted when read, as a sosreport is, whoever wrote it (an older
// quantum-meta, a hand edit, a hostile host over ssh): no URL password, no secret-named ini value or
// flag reaches the table, --json or the JUnit XML.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ROOT, cli} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const dir = mkdtempSync(join(tmpdir(), 'qm-snap-redact-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** The seed snapshot with secrets where collect would have redacted them: each is quoted by a failing check. */
function unredacted(host: string): string {
  const s = JSON.parse(readFileSync(`${ROOT}examples/grizzly-seed.snapshot.json`, 'utf8'))
  s.host = host
  const n = s.networks[0]
  // quoted by config.metadata-enabled (not a boolean) and by opts.metadata-route (the opts lines)
  n.config.content = n.config.content.replace('enable_isolated_metadata = True', 'enable_isolated_metadata = rabbit://guest:hunter2-ini@rabbit:5672/')
  n.opts.content = 'tag:tag0,option:router,http://ops:hunter2-opts@198.51.100.9/'
  const p = join(dir, `${host}.json`)
  writeFileSync(p, JSON.stringify(s))
  return p
}

const noSecret = (text: string) => {
  expect(text).not.toMatch(/hunter2/)
  expect(text).toMatch(/<redacted>|&lt;redacted&gt;/) // the XML escapes it
}

describe('a --snapshot file is redacted on read', () => {
  const snap = unredacted('netnode')

  it('the table, --json and --format junit quote the evidence without the passwords (exit 1: the links are broken)', () => {
    for (const extra of [[], ['--json'], ['--format', 'junit']]) {
      const r = cli(['diagnose', NET, '--snapshot', snap, ...extra])
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(/config\.metadata-enabled/)
      noSecret(r.stdout + r.stderr)
    }
  })

  it('--junit FILE too, and several snapshots judged as a fleet', () => {
    const xml = join(dir, 'r.xml')
    const r = cli(['diagnose', NET, '--snapshot', snap, '--snapshot', unredacted('net2'), '--json', '--junit', xml])
    expect(r.status).toBe(1)
    noSecret(r.stdout + r.stderr)
    noSecret(readFileSync(xml, 'utf8'))
  })
})

describe('a snapshot from --host is redacted on read', () => {
  it('the host printed secrets in its snapshot: none reaches the table, --json or --junit', () => {
    const env = fakeSsh(dir, `cat ${JSON.stringify(unredacted('remote'))}`)
    const xml = join(dir, 'remote.xml')
    for (const extra of [[], ['--json', '--junit', xml]]) {
      const r = cli(['diagnose', NET, '--host', 'net1', '--no-api', ...extra], {env})
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(/metadata-enabled/)
      noSecret(r.stdout + r.stderr)
    }
    noSecret(readFileSync(xml, 'utf8'))
  })
})
