#!/usr/bin/env node
// Start-up benchmark: whole-process wall time of quantum-meta commands as ratios to `node -e ''`,
// measured in the same run (each command alternated with the yardstick so machine noise hits both).
// Usage: npm run build && npm run bench [-- --runs N] [--no-scale | --scale-only | --api]
// --api: subnet create against the running scripts/openstack-up.sh harness (or the OS_* of the environment)
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
if (process.argv.includes('--api')) await api()
else if (!process.argv.includes('--no-scale')) {
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

// ---- subnet create vs curl (the same two requests) vs the openstack CLI, against real servers ----
// Every run makes a new /24 on one bench network (no DHCP, so the agent does not add work), which is
// deleted at the end with its subnets. Credentials: the OS_* of the environment, else the harness's.
async function api() {
  const env = {
    OS_AUTH_URL: 'http://127.0.0.1:5000/v3', OS_PASSWORD: 'qmadmin', OS_PROJECT_DOMAIN_NAME: 'Default', OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default', OS_USERNAME: 'admin', ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OS_'))),
  }
  const authBody = JSON.stringify({auth: {identity: {methods: ['password'], password: {user: {domain: {name: env.OS_USER_DOMAIN_NAME}, name: env.OS_USERNAME, password: env.OS_PASSWORD}}},
    scope: {project: {domain: {name: env.OS_PROJECT_DOMAIN_NAME}, name: env.OS_PROJECT_NAME}}}})
  const tokenOf = async () => {
    const r = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {body: authBody, headers: {'Content-Type': 'application/json'}, method: 'POST'})
    if (r.status !== 201) throw new Error(`bench: Keystone answered ${r.status}: is scripts/openstack-up.sh running?`)
    const doc = await r.json()
    const ep = doc.token.catalog.find((c) => c.type === 'network').endpoints.find((e) => e.interface === 'public').url.replace(/\/$/, '')
    return {ep, tok: r.headers.get('x-subject-token')}
  }
  const {ep, tok} = await tokenOf()
  const call = async (method, path, body) => {
    const r = await fetch(`${ep}/v2.0${path}`, {body: body && JSON.stringify(body), headers: {'Content-Type': 'application/json', 'X-Auth-Token': tok}, method})
    return r.status === 204 ? null : r.json()
  }
  const net = (await call('POST', '/networks', {network: {name: `qm-bench-${process.pid}`}})).network
  let n = 0
  const next = () => `10.250.${n++ % 250}.0/24`
  const curlScript = `set -e
tok=$(curl -s -i -X POST "$OS_AUTH_URL/auth/tokens" -H 'Content-Type: application/json' -d "$AUTH_BODY" | tr -d '\\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
curl -s -o /dev/null -w '%{http_code}' -X POST "$EP/v2.0/subnets" -H 'Content-Type: application/json' -H "X-Auth-Token: $tok" -d "{\\"subnet\\":{\\"network_id\\":\\"$NET\\",\\"ip_version\\":4,\\"cidr\\":\\"$CIDR\\",\\"gateway_ip\\":null,\\"enable_dhcp\\":false}}" | grep -q 201`
  const timeEnv = (argv, extra) => {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(argv[0], argv.slice(1), {env: {...process.env, ...env, ...extra}, stdio: ['ignore', 'ignore', 'pipe']})
    if (r.status !== 0) throw new Error(`${argv.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr}`)
    return Number(process.hrtime.bigint() - t0) / 1e6
  }
  const runs = Math.max(3, Math.floor(RUNS / 3))
  const ours = []
  const curl = []
  const osc = []
  const hasOsc = spawnSync('openstack', ['--version'], {stdio: 'ignore'}).status === 0
  try {
    for (let i = -1; i < runs; i++) {
      const a = timeEnv([process.execPath, bin, 'subnet', 'create', net.id, next(), '--no-dhcp', '-f', 'value', '-c', 'id'])
      const b = timeEnv(['bash', '-c', curlScript], {AUTH_BODY: authBody, CIDR: next(), EP: ep, NET: net.id})
      const c = hasOsc ? timeEnv(['openstack', 'subnet', 'create', '--gateway', 'none', '--no-dhcp', '--network', net.id, '--subnet-range', next(), '-f', 'value', '-c', 'id', `b${i + 1}`]) : NaN
      if (i < 0) continue // warm-up
      ours.push(a)
      curl.push(b)
      osc.push(c)
    }
  } finally {
    for (const s of (await call('GET', `/subnets?network_id=${net.id}`)).subnets) await call('DELETE', `/subnets/${s.id}`)
    await call('DELETE', `/networks/${net.id}`)
  }
  const [m, f, o] = [median(ours), median(curl), median(osc)]
  console.log(`\nsubnet create with Keystone v3 password auth (${runs} runs each, median wall ms, against ${env.OS_AUTH_URL} and ${ep})`)
  console.log('quantum-meta'.padEnd(34), m.toFixed(0).padStart(7))
  console.log('curl: token POST + subnet POST'.padEnd(34), f.toFixed(0).padStart(7), `  ratio ${(m / f).toFixed(2)}x (target <=1.3x)`)
  console.log('openstack subnet create'.padEnd(34), hasOsc ? o.toFixed(0).padStart(7) : '  (python3-openstackclient not installed)', hasOsc ? `  ratio ${(m / o).toFixed(2)}x (target <=0.55x)` : '')
}
