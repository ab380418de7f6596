#!/usr/bin/env node
// Start-up benchmark: whole-process wall time of quantum-meta commands as ratios to `node -e ''`,
// measured in the same run (each command alternated with the yardstick so machine noise hits both).
// Usage: npm run build && npm run bench [-- --runs N]
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
