// Issue 22 classes 5, 10, 11: what the ssh transport leaves running, and when it lets go. ssh is a
// stand-in on PATH (test/helpers/fake-ssh.ts) that behaves per destination: a healthy host prints a
// snapshot; `stuck` forks a helper holding ssh's pipes (as a ProxyCommand helper that forks does)
// and hangs; `escaped` leaves a helper in its own session holding the pipes (out of reach of any
// process-group kill). Each records its pids, so the test can tell whether they were stopped.
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {QmError} from '../../src/errors.js'
import {collectOverSsh, SSH_DEFAULTS} from '../../src/fleet/ssh.js'
import {BIN, ROOT, type CliResult} from '../helpers/cli.js'
import {fakeSsh} from '../helpers/fake-ssh.js'
import {alive, childrenOf} from '../helpers/proc.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const dir = mkdtempSync(join(tmpdir(), 'qm-ssh-proc-'))
/** The pids the stand-in recorded: `DEST.ssh` (ssh itself), `DEST.helper` (what it left running). */
const pidsOf = (name: string): number[] => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map(Number) : [])
/** A pid and its descendants. */
const tree = (pid: number): number[] => [pid, ...childrenOf(pid).flatMap(tree)]
afterAll(() => {
  // what a failing run may have left: the pids our stand-in recorded, and their children
  const left = readdirSync(dir)
    .filter((n) => n.endsWith('.ssh') || n.endsWith('.helper'))
    .flatMap((f) => pidsOf(f).flatMap(tree))
  for (const pid of left)
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  rmSync(dir, {force: true, recursive: true})
})

const env = fakeSsh(
  dir,
  `dest=; prev=; for a in "$@"; do [ "$prev" = -- ] && dest=$a; prev=$a; done
echo $$ >> ${dir}/$dest.ssh
case "$dest" in
  stuck*) (sleep 60; echo late) & echo $! >> ${dir}/$dest.helper; sleep 60 ;;
  escaped) setsid sleep 60 & echo $! >> ${dir}/$dest.helper; sleep 60 ;;
  *) cat ${SNAP} ;;
esac`,
)

/** The built CLI, without blocking, killed after `limitMs`; with its pid, to signal it. */
function run(args: string[], limitMs = 25_000): {pid: number; done: Promise<CliResult & {ms: number; signal: NodeJS.Signals | null}>} {
  const t0 = Date.now()
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult & {ms: number; signal: NodeJS.Signals | null}>((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      let json
      try {
        json = JSON.parse(stdout)
      } catch {}
      resolve({json, ms: Date.now() - t0, signal, status, stderr, stdout})
    }),
  )
  return {done, pid: child.pid!}
}

describe('--host-timeout bounds the run (class 5)', () => {
  it('a host whose ssh forked a helper holding its pipes is stopped at the timeout, helper and all; the healthy host after it is judged', async () => {
    const r = await run(['diagnose', NET, '--host', 'stuck,healthy', '--parallel', '1', '--host-timeout', '3', '--no-api', '--json']).done
    expect(r.status).toBe(3)
    expect(r.json.hosts.map((h: {host: string; reachable: boolean; error?: string}) => [h.host, h.reachable, h.error])).toEqual([
      ['stuck', false, 'stuck did not answer within 3 s (ssh stopped)'],
      ['healthy', true, undefined],
    ])
    // 3 s, then at most the grace before SIGKILL: not the helper's 60 s
    expect(r.ms).toBeLessThan(20_000)
    const helpers = pidsOf('stuck.helper')
    expect(helpers).toHaveLength(1)
    expect(alive(helpers[0])).toBe(false)
  })

  it('a helper that left the process group still holding the pipes does not hold the run', async () => {
    const r = await run(['diagnose', NET, '--host', 'escaped', '--host-timeout', '3', '--no-api', '--json']).done
    expect(r.status).toBe(3)
    expect(r.json.hosts[0].error).toBe('escaped did not answer within 3 s (ssh stopped)')
    expect(r.ms).toBeLessThan(20_000)
  })
})

describe('a signal to quantum-meta ends its ssh children (class 10)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: every ssh it started and what they forked are gone; it dies of the signal`, async () => {
      const hosts = [1, 2].map((i) => `stuck-${signal}-${i}`)
      const cli = run(['diagnose', NET, '--host', hosts.join(','), '--no-api', '--json'])
      // both hosts' ssh started, each with its helper
      const t0 = Date.now()
      while (hosts.some((h) => pidsOf(`${h}.helper`).length === 0) && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100))
      const ours = hosts.flatMap((h) => [...pidsOf(`${h}.ssh`), ...pidsOf(`${h}.helper`)])
      expect(ours).toHaveLength(4)
      process.kill(cli.pid, signal)
      const r = await cli.done
      expect(r.signal).toBe(signal)
      expect(r.ms).toBeLessThan(20_000)
      // SIGTERM reaches them at once: give them a moment to go
      const t1 = Date.now()
      while (ours.some((p) => alive(p)) && Date.now() - t1 < 3000) await new Promise((r) => setTimeout(r, 100))
      expect(ours.filter((p) => alive(p))).toEqual([])
    })
  }
})

describe('--host-timeout and --connect-timeout beyond a timer (class 11)', () => {
  it('--host-timeout 2147484 (more than a Node timer holds) is exit 2 in one line, before any ssh runs', async () => {
    for (const flag of ['--host-timeout', '--connect-timeout']) {
      const r = await run(['diagnose', NET, '--host', `never-${flag.slice(2)}`, '--no-api', flag, '2147484']).done
      expect(r.status).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`quantum-meta: Parsing ${flag} Expected an integer less than or equal to 2147483 but received: 2147484\n`)
      expect(existsSync(join(dir, `never-${flag.slice(2)}.ssh`))).toBe(false)
    }
  })

  it('collectOverSsh itself refuses a timeout no timer holds (exit 2), before any ssh runs', async () => {
    for (const bad of [{hostTimeoutS: 2_147_484}, {connectTimeoutS: 2_147_484}, {hostTimeoutS: 0}]) {
      const e = await collectOverSsh(['never-api'], NET, {...SSH_DEFAULTS, sshOptions: [], ...bad}).catch((error: QmError) => error)
      expect(e).toBeInstanceOf(QmError)
      expect((e as QmError).exit).toBe(2)
    }
    expect(existsSync(join(dir, 'never-api.ssh'))).toBe(false)
  })

  it('--host-timeout 2147483, the most: a healthy host is judged, no overflow warning', async () => {
    const r = await run(['diagnose', NET, '--host', 'healthy', '--no-api', '--host-timeout', '2147483']).done
    expect(r.stderr).toBe('')
    // judged: the seed snapshot's own verdict (its unrecorded links not judged, 3), not a timeout
    expect(r.status).toBe(3)
    expect(r.stdout).toMatch(/1 hosts, 0 broken, 1 not judged/)
  })
})
