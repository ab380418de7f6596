// Issue 22 class 1: a missing argument is never read from stdin. oclif fills a missing argument from a
// piped or redirected stdin, so `bash < job.sh` or a CI runner feeding its script on stdin lost the rest
// of the script to `diagnose --snapshot F` and saw it printed back (an `export OS_PASSWORD=...` included).
import {spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, cli} from '../helpers/cli.js'

const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const SOS = `${ROOT}test/fixtures/sosreport/healthy`
const dir = mkdtempSync(join(tmpdir(), 'qm-stdin-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
const qm = `${q(process.execPath)} ${q(BIN)}`

/** Run `bash < job.sh`: bash reads its script from stdin as it goes, so what a command reads of stdin is lost to bash. */
function bashFromStdin(script: string): {stdout: string; stderr: string} {
  const job = join(dir, 'job.sh')
  writeFileSync(job, script)
  const fd = openSync(job, 'r')
  try {
    const r = spawnSync('bash', [], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, stdio: [fd, 'pipe', 'pipe'], timeout: 120_000})
    return {stderr: r.stderr, stdout: r.stdout}
  } finally {
    closeSync(fd)
  }
}

describe('stdin is not an argument (bash < job.sh)', () => {
  it('every command with an argument leaves the script to bash: the later steps run, nothing of it is printed', () => {
    const steps = [
      ['diagnose', '--snapshot', SNAP],
      ['diagnose', '--sosreport', SOS],
      ['diagnose', '--all', '--no-api', '--state-path', dir, '--config-file', join(dir, 'dhcp_agent.ini')],
      ['collect', '--no-api', '--state-path', dir],
      ['opts', 'verify', '--state-path', dir],
      ['subnet', 'create', 'net1', '--os-auth-type', 'none', '--os-endpoint', 'http://127.0.0.1:9/'],
    ]
    const script = steps
      .map((argv, i) => `${qm} ${argv.map(q).join(' ')} > ${q(join(dir, `out${i}`))} 2> ${q(join(dir, `err${i}`))}\necho "step ${i} exit $?"\n`)
      .join('')
    const r = bashFromStdin(`${script}export OS_PASSWORD=hunter2-from-the-job\necho "last step"\n`)
    // diagnose of the snapshot (the seed: not judged, 3) and the sosreport (healthy); diagnose --all on an
    // empty node and collect without a network id are not about stdin; the missing arguments are usage errors
    expect(r.stdout).toMatch(/^step 0 exit 3\nstep 1 exit 0\nstep 2 exit \d\nstep 3 exit 2\nstep 4 exit 2\nstep 5 exit 2\nlast step\n$/)
    const err = (i: number) => readFileSync(join(dir, `err${i}`), 'utf8')
    for (const i of steps.keys()) expect(err(i) + readFileSync(join(dir, `out${i}`), 'utf8')).not.toContain('hunter2')
    expect(readFileSync(join(dir, 'out0'), 'utf8')).toMatch(/not judged: proxy\.upstream, metadata-agent\.config/)
    expect(err(2)).not.toMatch(/must be a UUID|not both/)
    expect(err(3)).toBe('quantum-meta: give a network id, or --all (see --help)\n')
    expect(err(4)).toMatch(/^quantum-meta: Missing 1 required arg: net-id/)
    expect(err(5)).toBe('quantum-meta: give <network> <cidr> (or --network NET --subnet-range CIDR)\n')
  })
})

describe('stdin is not an argument (a pipe)', () => {
  it('diagnose --snapshot F without a network id judges every network of F; the piped lines are not printed', () => {
    const r = cli(['diagnose', '--snapshot', SNAP], {input: 'export OS_PASSWORD=hunter2-from-the-job\necho later-step\n'})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(3)
    expect(r.stdout).toMatch(/not judged: proxy\.upstream, metadata-agent\.config/)
    expect(r.stdout).not.toContain('hunter2')
  })

  it('"-" is not a way to give the id either: exit 2, a network id must be a UUID', () => {
    const r = cli(['diagnose', '-', '--snapshot', SNAP], {input: '01cce415-8e2b-4096-92b5-7acc67163d79\n'})
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/must be a UUID/)
  })
})
