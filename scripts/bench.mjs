#!/usr/bin/env node
// Start-up benchmark: whole-process wall time of quantum-meta commands as ratios to `node -e ''`,
// measured in the same run (each command alternated with the yardstick so machine noise hits both).
// Usage: npm run build && npm run bench [-- --runs N] [--no-scale | --scale-only]
// (the diagnose --all scaling part needs root: it creates and removes qdhcp-<uuid> namespaces)
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = `${root}bin/run.js`
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15

if (!existsSync(`${root}oclif.manifest.json`)) {
  console.error('bench: run `npm run build` first (the manifest is part of what is measured)')
  process.exit(2)
}

function time(argv) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Alternate A and the yardstick; one warm-up each. */
function paired(argv) {
  const floor = [process.execPath, '-e', '']
  time(argv)
  time(floor)
  const a = []
  const b = []
  for (let i = 0; i < RUNS; i++) {
    a.push(time(argv))
    b.push(time(floor))
  }
  return {floor: median(b), ms: median(a), ratio: median(a) / median(b)}
}

export const cases = [
  {name: 'quantum-meta --help', argv: [process.execPath, bin, '--help'], target: 2.5},
  {
    name: 'quantum-meta enable --check',
    argv: [process.execPath, bin, 'enable', '--check', '--config-file', `${root}examples/dhcp_agent.ini`],
    target: 2.5,
  },
]

if (!process.argv.includes('--scale-only')) startup()
if (!process.argv.includes('--no-scale')) {
  if (process.getuid?.() === 0) await scale()
  else console.log('\n(diagnose --all scaling needs root: skipped)')
}

function startup() {
console.log(`node ${process.version}, ${RUNS} paired runs each, median wall time`)
  console.log('command'.padEnd(40), 'ms'.padStart(8), "node -e ''".padStart(12), 'ratio'.padStart(8), 'target'.padStart(8))
for (const c of cases) {
  const r = paired(c.argv)
  console.log(
    c.name.padEnd(40),
    r.ms.toFixed(1).padStart(8),
    r.floor.toFixed(1).padStart(12),
    `${r.ratio.toFixed(2)}x`.padStart(8),
    `<=${c.target}x`.padStart(8),
  )
}
}

// ---- diagnose --all at 10 / 50 / 200 namespaces vs the seed's manual procedure as a bash loop ----
// The namespaces are qdhcp-<random uuid>, each with a veth pair created inside it (tap…/peer), the DHCP
// port address and 169.254.169.254/16 on the tap end: nothing is added to the root namespace and no
// packet is sent. State (opts, config) lives in a temp dir. Everything is removed by name at the end.
async function scale() {
  const {mkdtempSync, mkdirSync, writeFileSync, rmSync} = await import('node:fs')
  const {randomUUID} = await import('node:crypto')
  const {tmpdir} = await import('node:os')
  const state = mkdtempSync(`${tmpdir()}/qm-bench-`)
  const config = `${state}/dhcp_agent.ini`
  writeFileSync(config, '[DEFAULT]\nenable_isolated_metadata = True\n')
  const made = []
  const sh = (args) => {
    const r = spawnSync('ip', args, {stdio: ['ignore', 'ignore', 'pipe']})
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
  }
  const cleanup = () => {
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns])
    rmSync(state, {force: true, recursive: true})
  }
  process.on('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  const grow = (n) => {
    while (made.length < n) {
      const id = randomUUID()
      const ns = `qdhcp-${id}`
      const i = made.length
      sh(['netns', 'add', ns])
      made.push(ns)
      const tap = `tap${id.slice(0, 11)}`
      sh(['-n', ns, 'link', 'set', 'lo', 'up'])
      sh(['-n', ns, 'link', 'add', tap, 'type', 'veth', 'peer', 'name', `p${id.slice(0, 11)}`])
      sh(['-n', ns, 'link', 'set', tap, 'up'])
      const ip = `172.17.${Math.floor(i / 250)}.${(i % 250) + 1}`
      sh(['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', tap])
      sh(['-n', ns, 'addr', 'add', '169.254.169.254/16', 'dev', tap])
      mkdirSync(`${state}/dhcp/${id}`, {recursive: true})
      writeFileSync(`${state}/dhcp/${id}/opts`, `tag:tag0,option:classless-static-route,169.254.169.254/32,${ip}\ntag:tag0,option:router`)
    }
  }
  try {
    const list = `${state}/namespaces`
    const manual = `while read -r ns; do ip netns exec "$ns" ip a; ip netns exec "$ns" netstat -anp; cat "${state}/dhcp/\${ns#qdhcp-}/opts"; done < ${list} >/dev/null 2>&1`
    const floor = [process.execPath, '-e', '']
    const runs = Math.max(3, Math.floor(RUNS / 5))
    console.log(`\ndiagnose --all (${runs} paired runs each, median wall ms); manual = per namespace: ip netns exec ip a, ip netns exec netstat -anp, cat opts`)
    console.log('namespaces'.padEnd(12), 'diagnose'.padStart(9), 'manual'.padStart(9), "node -e ''".padStart(11), 'diag/floor'.padStart(11), 'manual/diag'.padStart(12))
    for (const n of [10, 50, 200]) {
      grow(n)
      writeFileSync(list, made.join('\n') + '\n')
      const diag = [process.execPath, bin, 'diagnose', '--all', '--json', '--config-file', config, '--state-path', state]
      const loop = ['bash', '-c', manual]
      time(diag)
      const a = []
      const b = []
      const f = []
      for (let i = 0; i < runs; i++) {
        a.push(time(diag))
        b.push(time(loop))
        f.push(time(floor))
      }
      const [d, m, fl] = [median(a), median(b), median(f)]
      console.log(String(n).padEnd(12), d.toFixed(0).padStart(9), m.toFixed(0).padStart(9), fl.toFixed(0).padStart(11), `${(d / fl).toFixed(1)}x`.padStart(11), `${(m / d).toFixed(2)}x`.padStart(12))
    }
  } finally {
    cleanup()
  }
}
