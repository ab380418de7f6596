/**
 * The fleet figures of `npm run bench -- --fleet` (scripts/bench.mjs spawns this with tsx; root:
 * it brings up the fleet rig, test/fleet/rig.ts, and takes it down at the end).
 *
 * Whole-process wall time of the built binary, as an operator runs it, against the rig's three
 * real sshd hosts (each a real collect of its qdhcp namespace, dnsmasq and haproxy):
 *   - `ssh -F CFG netN true`: ssh's connect alone (the yardstick of the issue's "plus ssh's connect")
 *   - `diagnose NET --host netN --json`, each host alone: median per host
 *   - `diagnose NET --host net1,net2,net3 --json` at --parallel 16: median, and its ratio to the
 *     slowest single host's median
 *   - the same with --agentless (issue 19: the read-only script, no quantum-meta on the hosts), and
 *     `ssh true` to the 30 simulated hosts 16 at a time (xargs -P 16): ssh's own connect cost for them
 *   - 30 simulated hosts (the three, ten times each: aliases sim01..sim30 in a copy of the rig's ssh
 *     config, each the block of one of net1..3 under another name, so the binary, which refuses a host
 *     given twice, asks 30 destinations) at --parallel 16
 * Every command runs once each round, in the same order, for RUNS rounds (after one warm-up round):
 * machine noise hits all of them alike. Every host of every diagnose must answer, broken by nothing but
 * its IPv6 metadata address (brokenOnlyByV6): a figure of another failure would measure something else.
 *
 * usage: tsx test/fleet/bench.ts [--runs N]     (QM_FLEET_BASE_PORT: the rig's ports, default 2240)
 */
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'

import {fleetUp, REPO} from './rig.js'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('bench --fleet: --runs takes a positive whole number')
  process.exit(2)
}
if (process.getuid?.() !== 0) {
  console.error('bench --fleet: needs root (the fleet rig: namespaces, sshd)')
  process.exit(2)
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** What a diagnose --json answer says of each host that is not healthy (the failing checks, or its error), else its start. */
function whyNot(stdout: string): string {
  try {
    const doc = JSON.parse(stdout) as {hosts: {host: string; reachable: boolean; healthy?: boolean; error?: string; findings: {id: string; status: string}[]}[]}
    const bad = doc.hosts.filter((h) => h.healthy !== true)
    return bad
      .map(
        (h) =>
          `${h.host}: ${
            h.error ??
            h.findings
              .filter((f) => f.status !== 'pass' && f.status !== 'warn')
              .map((f) => `${f.id} ${f.status}`)
              .join(', ')
          }`,
      )
      .join('\n')
  } catch {
    return stdout.slice(0, 2000)
  }
}

/** Wall ms of one run; `ok` judges its exit and output (a figure of a failing run would measure something else). */
function time(argv: string[], ok: (status: number | null, stdout: string) => boolean): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe']})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (!ok(r.status, r.stdout)) throw new Error(`bench --fleet: ${argv.join(' ')} exited ${r.status}: ${r.stderr.trim()}\n${whyNot(r.stdout)}`)
  return ms
}

/**
 * Every one of `n` hosts answered, and none is broken but by its IPv6 metadata address. The rig's DHCP
 * ports share one L2, so net2's and net3's fe80::a9fe:a9fe failed duplicate address detection: judged with
 * net1 as their only peer holding it that is expected; judged alone, or among the 30 simulated hosts
 * (ten of them net1: cross.ipv6-metadata cannot tell which holds it), it is a failing link
 * (namespace.metadata-v6), as on a real node. A figure of any other failure would measure something else.
 */
function brokenOnlyByV6(n: number) {
  return (status: number | null, stdout: string): boolean => {
    if (status !== 0 && status !== 1) return false
    try {
      const doc = JSON.parse(stdout) as {hosts: {reachable: boolean; findings: {id: string; status: string}[]}[]}
      if (doc.hosts.length !== n || !doc.hosts.every((h) => h.reachable)) return false
      return doc.hosts.every((h) => h.findings.every((f) => f.status !== 'fail' || f.id === 'namespace.metadata-v6'))
    } catch {
      return false
    }
  }
}

const basePort = Number(process.env.QM_FLEET_BASE_PORT) || 2240
const t0 = Date.now()
const fleet = await fleetUp({basePort})
console.log(
  `fleet rig: 3 hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s on ports ${basePort + 1}-${basePort + 3}; ${availableParallelism()} CPUs; node ${process.version}`,
)
try {
  // 30 destinations: the blocks of net1..3 of the rig's ssh config, copied under the names sim01..sim30
  const cfg = readFileSync(fleet.sshConfig, 'utf8')
  const block = (name: string) => {
    const m = new RegExp(`^Host ${name}\\n(?:  .*\\n)+`, 'm').exec(cfg)
    if (!m) throw new Error(`bench --fleet: no "Host ${name}" block in ${fleet.sshConfig}`)
    return m[0]
  }
  const sims = Array.from({length: 30}, (_, i) => `sim${String(i + 1).padStart(2, '0')}`)
  const simConfig = join(fleet.dir, 'ssh_config_30')
  writeFileSync(simConfig, cfg + '\n' + sims.map((s, i) => block(`net${(i % 3) + 1}`).replace(/^Host \S+/, `Host ${s}`)).join('\n'))

  const bin = join(REPO, 'bin', 'run.js')
  const diag = (hosts: string[], config = fleet.sshConfig) => [
    process.execPath,
    bin,
    'diagnose',
    fleet.netId,
    '--host',
    hosts.join(','),
    '--ssh-config',
    config,
    '--remote-command',
    fleet.remoteCommand,
    '--parallel',
    '16',
    '--json',
  ]
  // --agentless (issue 19): the read-only script instead of quantum-meta collect on the hosts
  const agentless = (hosts: string[], config = fleet.sshConfig) => [
    process.execPath,
    bin,
    'diagnose',
    fleet.netId,
    '--host',
    hosts.join(','),
    '--ssh-config',
    config,
    '--agentless',
    '--parallel',
    '16',
    '--json',
  ]
  const names = fleet.hosts.map((h) => h.name)
  const exit0 = (status: number | null) => status === 0
  const cases: {name: string; argv: string[]; ok: (status: number | null, stdout: string) => boolean}[] = [
    ...names.map((h) => ({argv: ['ssh', '-F', fleet.sshConfig, h, 'true'], name: `ssh ${h} true`, ok: exit0})),
    ...names.map((h) => ({argv: diag([h]), name: `diagnose --host ${h}`, ok: brokenOnlyByV6(1)})),
    {argv: diag(names), name: 'diagnose --host net1,net2,net3', ok: exit0},
    // the exit is 1: ten "hosts" are net1, so ten hold fe80::a9fe:a9fe, and the others' failed DAD is a broken link
    {argv: diag(sims, simConfig), name: 'diagnose --host sim01..sim30', ok: brokenOnlyByV6(30)},
    ...names.map((h) => ({argv: agentless([h]), name: `agentless --host ${h}`, ok: brokenOnlyByV6(1)})),
    {argv: agentless(names), name: 'agentless --host net1,net2,net3', ok: exit0},
    {argv: agentless(sims, simConfig), name: 'agentless --host sim01..sim30', ok: brokenOnlyByV6(30)},
    // ssh's own connect for the same 30, 16 at a time (xargs -P 16)
    {
      argv: ['sh', '-c', 'printf "%s\\n" "$@" | xargs -P 16 -I DEST ssh -F "$0" DEST true', simConfig, ...sims],
      name: 'ssh true x30 at -P 16',
      ok: exit0,
    },
  ]
  const ms = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (let round = 0; round <= RUNS; round++) {
    for (const c of cases) {
      const t = time(c.argv, c.ok)
      if (round > 0) ms.get(c.name)!.push(t) // round 0 warms up (page cache, sshd's first re-exec)
    }
  }
  const med = (name: string) => median(ms.get(name)!)
  console.log(`\ndiagnose NET over ssh against the fleet rig (${RUNS} rounds after a warm-up, every command once a round; median wall ms of the whole process)`)
  for (const c of cases)
    console.log(
      `  ${c.name.padEnd(34)} ${med(c.name).toFixed(0).padStart(7)} ms   (runs: ${ms
        .get(c.name)!
        .map((x) => x.toFixed(0))
        .join(' ')})`,
    )
  const singles = names.map((h) => med(`diagnose --host ${h}`))
  const slowest = Math.max(...singles)
  const connect = Math.max(...names.map((h) => med(`ssh ${h} true`)))
  const three = med('diagnose --host net1,net2,net3')
  const thirty = med('diagnose --host sim01..sim30')
  console.log(
    `3 hosts at --parallel 16 / slowest single host: ${(three / slowest).toFixed(2)}x (${three.toFixed(0)} / ${slowest.toFixed(0)} ms); / (slowest + ssh connect ${connect.toFixed(0)} ms): ${(three / (slowest + connect)).toFixed(2)}x; / sum of the three: ${(three / singles.reduce((a, b) => a + b)).toFixed(2)}x`,
  )
  console.log(
    `30 simulated hosts at --parallel 16: ${thirty.toFixed(0)} ms, ${(thirty / 30).toFixed(0)} ms a host; ${(thirty / three).toFixed(2)}x the 3 hosts, ${(thirty / slowest).toFixed(2)}x the slowest single host`,
  )
  const aSingles = names.map((h) => med(`agentless --host ${h}`))
  const aSlowest = Math.max(...aSingles)
  const aThree = med('agentless --host net1,net2,net3')
  const aThirty = med('agentless --host sim01..sim30')
  const ssh30 = med('ssh true x30 at -P 16')
  console.log(
    `--agentless: 3 hosts at --parallel 16 / slowest single host: ${(aThree / aSlowest).toFixed(2)}x (${aThree.toFixed(0)} / ${aSlowest.toFixed(0)} ms); slowest single host / remote collect's: ${(aSlowest / slowest).toFixed(2)}x`,
  )
  console.log(
    `--agentless: 30 simulated hosts at --parallel 16: ${aThirty.toFixed(0)} ms, ${(aThirty / ssh30).toFixed(2)}x ssh's own connect for the same 30 at -P 16 (${ssh30.toFixed(0)} ms)`,
  )
} finally {
  await fleet.down()
}
