#!/usr/bin/env node
// Start-up benchmark: whole-process wall time of quantum-meta commands as ratios to `node -e ''`,
// measured in the same run (each command alternated with the yardstick so machine noise hits both).
// Usage: npm run build && npm run bench [-- --runs N] [--no-scale | --scale-only | --api]
// --scale-only --ovn NET: diagnose of one network, the DHCP agent's chain (set up here) vs the OVN chain
// on NET of a running ML2/OVN chassis (scripts/harness/ovn/ovn-up.sh and a VM on NET)
// --api: subnet create against the running scripts/harness/openstack/up.sh harness (or the OS_* of the environment)
// --sosreport [--networks N]: diagnose --sosreport on the real fixtures (paired with `node -e ''`), then on
// one synthetic sosreport of N networks (default 1000) made from the healthy fixture (no root needed)
// (the diagnose --all scaling part needs root: it creates and removes qdhcp-<uuid> namespaces)
// --hosts-from-api [--hosts N] [--ovn | --all] [--json]: diagnose --hosts-from-api fanned out to N stand-in
// hosts (test/bench/api-hosts.ts; no root): wall time, peak RSS, stdout size
// --fleet: diagnose over ssh against the fleet rig's three real sshd hosts (test/fleet/bench.ts, root;
// QM_FLEET_BASE_PORT moves its ports, default 2240): one host, three at --parallel 16, 30 simulated
import {spawnSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
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
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

/** Wall ms and cpu ms (user+sys of the process and every child it waited for, from GNU time). */
function timeCpu(argv) {
  if (!existsSync('/usr/bin/time')) return {cpu: NaN, ms: time(argv)}
  const out = `${root}.bench-time-${process.pid}`
  const t0 = process.hrtime.bigint()
  const r = spawnSync('/usr/bin/time', ['-q', '-f', '%U %S', '-o', out, ...argv], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  const {readFileSync, rmSync} = require('node:fs')
  const [u, s] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
  rmSync(out, {force: true})
  return {cpu: (u + s) * 1000, ms}
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
    a.push(timeCpu(argv))
    b.push(timeCpu(floor))
  }
  const [wa, wb, ca, cb] = [median(a.map((x) => x.ms)), median(b.map((x) => x.ms)), median(a.map((x) => x.cpu)), median(b.map((x) => x.cpu))]
  return {cpu: ca, cpuRatio: ca / cb, floor: wb, floorCpu: cb, ms: wa, ratio: wa / wb}
}

// dist/quantum-meta: the single executable (scripts/sea.mjs), the same node with the CLI in its blob
const sea = `${root}dist/quantum-meta`
export const cases = [
  {name: 'quantum-meta --help', argv: [process.execPath, bin, '--help'], target: 1.5},
  {
    name: 'quantum-meta enable --check',
    argv: [process.execPath, bin, 'enable', '--check', '--config-file', `${root}examples/dhcp_agent.ini`],
    target: 1.5,
  },
  ...(existsSync(sea)
    ? [
        {name: 'dist/quantum-meta --help', argv: [sea, '--help'], target: 1.3},
        {name: 'dist/quantum-meta enable --check', argv: [sea, 'enable', '--check', '--config-file', `${root}examples/dhcp_agent.ini`], target: 1.3},
      ]
    : []),
]

if (process.argv.includes('--fleet')) {
  // its own script (TypeScript: it brings up test/fleet/rig.ts); only --runs is passed on
  const tsx = `${root}node_modules/.bin/tsx`
  const r = spawnSync(tsx, [`${root}test/fleet/bench.ts`, ...(runsArg > 0 ? ['--runs', String(RUNS)] : [])], {cwd: root, stdio: 'inherit'})
  process.exit(r.status ?? 1)
}
if (process.argv.includes('--hosts-from-api')) {
  // its own script (test/bench/api-hosts.ts: a Neutron and an ssh stand-in, no root); its flags passed on
  const tsx = `${root}node_modules/.bin/tsx`
  const r = spawnSync(tsx, [`${root}test/bench/api-hosts.ts`, ...process.argv.slice(2).filter((a) => a !== '--hosts-from-api')], {cwd: root, stdio: 'inherit'})
  process.exit(r.status ?? 1)
}
if (process.argv.includes('--sosreport')) await sosreport()
else if (!process.argv.includes('--scale-only')) startup()
if (process.argv.includes('--sosreport')) {
  // only the sosreport figures
} else if (process.argv.includes('--api')) await api()
else if (!process.argv.includes('--no-scale')) {
  if (process.getuid?.() === 0) await scale()
  else console.log('\n(diagnose --all scaling needs root: skipped)')
}

function startup() {
  console.log(`node ${process.version}, ${RUNS} paired runs each, medians; cpu = user+sys (GNU time, 10 ms steps: steadier than wall on a shared machine)`)
  console.log(
    'command'.padEnd(40),
    'ms'.padStart(8),
    "node -e ''".padStart(12),
    'ratio'.padStart(8),
    'cpu ms'.padStart(8),
    'node cpu'.padStart(9),
    'cpu ratio'.padStart(10),
    'target'.padStart(8),
  )
  for (const c of cases) {
    const r = paired(c.argv)
    console.log(
      c.name.padEnd(40),
      r.ms.toFixed(1).padStart(8),
      r.floor.toFixed(1).padStart(12),
      `${r.ratio.toFixed(2)}x`.padStart(8),
      r.cpu.toFixed(0).padStart(8),
      r.floorCpu.toFixed(0).padStart(9),
      `${r.cpuRatio.toFixed(2)}x`.padStart(10),
      `<=${c.target}x`.padStart(8),
    )
  }
}

// ---- diagnose --all at 100 / 400 / 1000 namespaces, on a node that looks like a real one ----
// Each namespace qdhcp-<random uuid> gets what a Neutron DHCP agent leaves there: a veth pair created
// inside it (tap…/p…), the DHCP port address and 169.254.169.254/16 on the tap end, a real dnsmasq
// bound to the tap address (pid file STATE/dhcp/NET/pid, --dhcp-optsfile STATE/dhcp/NET/opts) and a
// real haproxy with Neutron's config shape listening on 169.254.169.254:80 (STATE/ns-metadata-proxy/
// NET.conf, pid file STATE/external/pids/NET.pid.haproxy), forwarding to STATE/metadata_proxy, where a
// small UNIX-socket listener stands in for the metadata agent. Nothing is added to the root namespace
// and no packet is sent. Every process is started by the bench and stopped by its PID; every namespace
// is removed by name (only the ones made here) at the end, on an error, on SIGINT and on SIGTERM.
// --routers: every network also gets what a (legacy) L3 agent leaves for its router: a namespace
// qrouter-<random uuid> whose qr- device (a veth made inside it) holds the network's gateway, the
// agent's nat PREROUTING redirect of 169.254.169.254:80 to 9697 (iptables inside that namespace only),
// and a real haproxy keyed by the router listening on 0.0.0.0:9697 (STATE/ns-metadata-proxy/ROUTER.conf,
// pid file STATE/external/pids/ROUTER.pid.haproxy); then both `diagnose --all` (the DHCP chain, its
// dhcp_agent.ini) and `diagnose --all --config-file l3_agent.ini` (the router chain over every
// qrouter namespace) are timed on that node, with cpu ms per network and the ratio 400/100.
// Options: --sizes 100,400,1000   --hold (set up the largest size, print the command, wait for SIGINT)
// --compare OTHER/bin/run.js (times another build in the same run
// and checks that its `diagnose --all --json` findings equal ours at every size)
async function scale() {
  const {mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, chmodSync, existsSync: exists} = await import('node:fs')
  const {spawn} = await import('node:child_process')
  const {randomUUID} = await import('node:crypto')
  const {tmpdir} = await import('node:os')
  const arg = (name) => (process.argv.indexOf(name) > 0 ? process.argv[process.argv.indexOf(name) + 1] : undefined)
  const sizes = (arg('--sizes') ?? '100,400,1000').split(',').map(Number)
  const compare = arg('--compare')
  const state = mkdtempSync(`${tmpdir()}/qm-bench-`)
  chmodSync(state, 0o755) // dnsmasq and haproxy drop to nobody and still read their files below
  const config = `${state}/dhcp_agent.ini`
  const socketPath = `${state}/metadata_proxy`
  writeFileSync(config, '[DEFAULT]\ninterface_driver = openvswitch\nenable_isolated_metadata = True\n')
  const routers = process.argv.includes('--routers')
  const l3Config = `${state}/l3_agent.ini`
  writeFileSync(l3Config, `[DEFAULT]\ninterface_driver = openvswitch\nstate_path = ${state}\nmetadata_proxy_socket = ${socketPath}\nmetadata_port = 9697\n`)
  writeFileSync(
    `${state}/metadata_agent.ini`,
    `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nmetadata_proxy_shared_secret = bench\nmetadata_proxy_socket = ${socketPath}\n`,
  )
  for (const d of ['dhcp', 'external/pids', 'ns-metadata-proxy']) mkdirSync(`${state}/${d}`, {recursive: true})
  const made = [] // namespace names, in the order made
  const procs = new Map() // pid -> ChildProcess, every daemon this bench started

  const ipRun = (args, input) =>
    new Promise((resolve, reject) => {
      const c = spawn('ip', args, {stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe']})
      let err = ''
      c.stderr.on('data', (d) => (err += d))
      if (input) c.stdin.end(input)
      c.on('error', reject)
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ip ${args.join(' ')}: ${err.trim()}`))))
    })
  const daemon = (argv) => {
    const c = spawn(argv[0], argv.slice(1), {detached: true, stdio: 'ignore'})
    if (!c.pid) throw new Error(`cannot start ${argv.join(' ')}`)
    procs.set(c.pid, c)
    c.on('exit', () => procs.delete(c.pid))
    return c.pid
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
  const waitFor = async (what, test) => {
    for (let i = 0; i < 500; i++) {
      if (test()) return
      await sleep(10)
    }
    throw new Error(`bench: ${what} not ready after 5 s`)
  }
  const readOr = (p) => {
    try {
      return readFileSync(p, 'utf8')
    } catch {
      return ''
    }
  }

  // the metadata agent's socket: a listener that accepts and closes, in a process of its own
  daemon([process.execPath, '-e', `require('net').createServer((s) => s.destroy()).listen(${JSON.stringify(socketPath)})`])
  await waitFor('metadata_proxy socket', () => exists(socketPath))

  let cleaned = false
  const cleanupSync = () => {
    if (cleaned) return
    cleaned = true
    for (const pid of procs.keys()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns])
    rmSync(state, {force: true, recursive: true})
  }
  const cleanup = async () => {
    if (cleaned) return
    for (const [pid, c] of procs) if (c.exitCode === null && c.signalCode === null) process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 300 && procs.size > 0; i++) await sleep(10)
    cleanupSync()
  }
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanupSync()
      process.exit(130)
    })
  }
  process.on('exit', cleanupSync)

  const addOne = async (i) => {
    const id = randomUUID()
    const ns = `qdhcp-${id}`
    const tap = `tap${id.slice(0, 11)}`
    const net = `172.17.${Math.floor(i / 250)}`
    const ip = `${net}.${(i % 250) + 2}`
    made.push(ns) // recorded before it exists, so a failure half-way still removes it
    await ipRun(['netns', 'add', ns])
    const batch = [
      'link set lo up',
      `link add ${tap} type veth peer name p${id.slice(0, 11)}`,
      `link set ${tap} up`,
      `link set p${id.slice(0, 11)} up`,
      `addr add ${ip}/24 dev ${tap}`,
      `addr add 169.254.169.254/16 dev ${tap}`,
    ]
    await ipRun(['-n', ns, '-batch', '-'], batch.join('\n') + '\n')
    const dir = `${state}/dhcp/${id}`
    mkdirSync(dir)
    writeFileSync(
      `${dir}/opts`,
      `tag:tag0,option:classless-static-route,169.254.169.254/32,${ip},0.0.0.0/0,${net}.1\ntag:tag0,249,169.254.169.254/32,${ip},0.0.0.0/0,${net}.1\ntag:tag0,option:router,${net}.1\n`,
    )
    writeFileSync(
      `${dir}/host`,
      `fa:16:3e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')},host-${ip.replaceAll('.', '-')}.openstacklocal,${net}.100\n`,
    )
    writeFileSync(`${dir}/addn_hosts`, '')
    writeFileSync(`${dir}/leases`, '')
    for (const f of ['opts', 'host', 'addn_hosts', 'leases']) chmodSync(`${dir}/${f}`, 0o644)
    // Zed's dnsmasq argv (the agent's), bound to the tap address; -k so the bench holds its PID
    daemon([
      'ip',
      'netns',
      'exec',
      ns,
      'dnsmasq',
      '--keep-in-foreground',
      '--no-hosts',
      '--no-resolv',
      `--pid-file=${dir}/pid`,
      `--dhcp-hostsfile=${dir}/host`,
      `--addn-hosts=${dir}/addn_hosts`,
      `--dhcp-optsfile=${dir}/opts`,
      `--dhcp-leasefile=${dir}/leases`,
      '--dhcp-match=set:ipxe,175',
      '--bind-interfaces',
      `--interface=${tap}`,
      '--except-interface=lo',
      `--dhcp-range=set:tag0,${net}.0,static,255.255.255.0,86400s`,
      '--dhcp-lease-max=256',
      '--conf-file=/dev/null',
      '--domain=openstacklocal',
    ])
    const conf = `${state}/ns-metadata-proxy/${id}.conf`
    const pidFile = `${state}/external/pids/${id}.pid.haproxy`
    writeFileSync(
      conf,
      [
        'global',
        '    log         /dev/log local0 info',
        `    log-tag     haproxy-metadata-proxy-${id}`,
        '    user        nobody',
        '    group       nogroup',
        '    maxconn     1024',
        `    pidfile     ${pidFile}`,
        '    daemon',
        '',
        'defaults',
        '    log global',
        '    mode http',
        '    option httplog',
        '    option dontlognull',
        '    option http-server-close',
        '    option forwardfor',
        '    retries                 3',
        '    timeout http-request    30s',
        '    timeout connect         30s',
        '    timeout client          32s',
        '    timeout server          32s',
        '    timeout http-keep-alive 30s',
        '',
        'listen listener',
        '    bind 169.254.169.254:80',
        `    server metadata ${socketPath}`,
        '    http-request del-header X-Neutron-Router-ID',
        `    http-request set-header X-Neutron-Network-ID ${id}`,
        '',
      ].join('\n'),
    )
    // -db: stays in the foreground (the bench holds its PID); the pid file holds that PID, as the agent's does
    const hp = daemon(['ip', 'netns', 'exec', ns, 'haproxy', '-db', '-f', conf])
    writeFileSync(pidFile, `${hp}\n`)
    await waitFor(`dnsmasq in ${ns}`, () => /^\d+\s*$/.test(readOr(`${dir}/pid`)))
    // listening on 169.254.169.254:80 (A9FEA9FE little-endian, port 0050, state 0A)
    await waitFor(`haproxy in ${ns}`, () => readOr(`/proc/${hp}/net/tcp`).includes('FEA9FEA9:0050 00000000:0000 0A'))
    if (routers) await addRouter(net)
  }
  // the router of a network (--routers): qrouter-<uuid>, its qr- device with the gateway, the redirect, haproxy on 9697
  const addRouter = async (net) => {
    const rid = randomUUID()
    const rns = `qrouter-${rid}`
    const qr = `qr-${rid.slice(0, 11)}`
    made.push(rns)
    await ipRun(['netns', 'add', rns])
    await ipRun(
      ['-n', rns, '-batch', '-'],
      [
        'link set lo up',
        `link add ${qr} type veth peer name q${rid.slice(0, 11)}`,
        `link set ${qr} up`,
        `link set q${rid.slice(0, 11)} up`,
        `addr add ${net}.1/24 dev ${qr}`,
      ].join('\n') + '\n',
    )
    const rules = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':neutron-l3-agent-PREROUTING - [0:0]',
      '-A PREROUTING -j neutron-l3-agent-PREROUTING',
      '-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697',
      'COMMIT',
      '',
    ].join('\n')
    const r = spawnSync('ip', ['netns', 'exec', rns, 'iptables-restore'], {input: rules})
    if (r.status !== 0) throw new Error(`bench: iptables-restore in ${rns}: ${r.stderr}`)
    const conf = `${state}/ns-metadata-proxy/${rid}.conf`
    const pidFile = `${state}/external/pids/${rid}.pid.haproxy`
    writeFileSync(
      conf,
      [
        'global',
        '    user        nobody',
        '    group       nogroup',
        '    maxconn     1024',
        `    pidfile     ${pidFile}`,
        '',
        'defaults',
        '    mode http',
        '    timeout connect         30s',
        '    timeout client          32s',
        '    timeout server          32s',
        '',
        'listen listener',
        '    bind 0.0.0.0:9697',
        `    server metadata ${socketPath}`,
        '    http-request del-header X-Neutron-Network-ID',
        `    http-request set-header X-Neutron-Router-ID ${rid}`,
        '',
      ].join('\n'),
    )
    const hp = daemon(['ip', 'netns', 'exec', rns, 'haproxy', '-db', '-f', conf])
    writeFileSync(pidFile, `${hp}\n`)
    // listening on 0.0.0.0:9697 (port 25E1, state 0A)
    await waitFor(`haproxy in ${rns}`, () => readOr(`/proc/${hp}/net/tcp`).includes('00000000:25E1 00000000:0000 0A'))
  }
  const grow = async (n) => {
    let next = made.filter((x) => x.startsWith('qdhcp-')).length
    const worker = async () => {
      while (next < n) await addOne(next++)
    }
    await Promise.all(Array.from({length: 8}, worker))
  }
  const capture = (b) => {
    const r = spawnSync(process.execPath, [b, 'diagnose', '--all', '--json', '--config-file', config, '--state-path', state], {
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: '1'},
      maxBuffer: 1 << 30,
    })
    return JSON.parse(r.stdout)
  }
  // the addresses' command is shown as it ran: one ip for all namespaces (before) or nsenter per namespace
  const sameCommand = (s) => s.replace(/nsenter --net=\/run\/netns\/qdhcp-[0-9a-f-]+ ip -j addr show|ip -all netns exec ip -j addr show/g, 'ADDR-COMMAND')
  const byNet = (doc) => new Map(doc.networks.map((n) => [n.network, sameCommand(JSON.stringify(n))]))

  try {
    const ovnNet = arg('--ovn')
    if (ovnNet) {
      // one network each: the DHCP agent's chain on a qdhcp namespace set up here, the OVN chain on a
      // network of a running ML2/OVN chassis (scripts/harness/ovn/ovn-up.sh plus a VM: npx tsx test/ovn/cli.ts)
      await grow(1)
      const dhcpNet = made[0].slice('qdhcp-'.length)
      const dhcp = [process.execPath, bin, 'diagnose', dhcpNet, '--json', '--config-file', config, '--state-path', state]
      const ovn = [process.execPath, bin, 'diagnose', ovnNet, '--json']
      const floor = [process.execPath, '-e', '']
      time(dhcp)
      time(ovn)
      const [a, b, f] = [[], [], []]
      for (let i = 0; i < RUNS; i++) {
        a.push(timeCpu(dhcp))
        b.push(timeCpu(ovn))
        f.push(time(floor))
      }
      const wall = (xs) => median(xs.map((x) => x.ms))
      const cpu = (xs) => median(xs.map((x) => x.cpu))
      console.log(`\ndiagnose NET, one network (${RUNS} runs each, alternated, median)`)
      console.log(`dhcp-agent chain (qdhcp namespace, dnsmasq, haproxy): ${wall(a).toFixed(0)} ms wall, ${cpu(a).toFixed(0)} ms cpu`)
      console.log(`ovn chain (ovs-vsctl, ovn-sbctl, ovn-nbctl, ovnmeta, haproxy): ${wall(b).toFixed(0)} ms wall, ${cpu(b).toFixed(0)} ms cpu`)
      console.log(`node -e '': ${median(f).toFixed(0)} ms`)
      console.log(`ovn / dhcp-agent: wall ${(wall(b) / wall(a)).toFixed(2)}x, cpu ${(cpu(b) / cpu(a)).toFixed(2)}x (target <= 2x)`)
      return
    }
    const list = `${state}/namespaces`
    const manual = `while read -r ns; do ip netns exec "$ns" ip a; ip netns exec "$ns" netstat -anp; cat "${state}/dhcp/\${ns#qdhcp-}/opts"; done < ${list} >/dev/null 2>&1`
    const floor = [process.execPath, '-e', '']
    const runs = Math.max(3, Math.floor(RUNS / 5))
    console.log(`\ndiagnose --all on a node with dnsmasq + haproxy in every namespace (${runs} runs each, alternated, median wall)`)
    console.log('manual = per namespace: ip netns exec ip a, ip netns exec netstat -anp, cat opts (bash loop)')
    console.log('ms: wall time of the whole command; cpu: user+sys of it and its children (steadier on a shared machine)')
    const head = [
      'namespaces',
      'diagnose ms',
      'ms/ns',
      'cpu ms/ns',
      ...(compare ? ['compare ms/ns', 'cpu ms/ns'] : []),
      'manual ms',
      'ms/ns',
      'cpu ms/ns',
      'diag/manual',
      'cpu d/m',
      "node -e ''",
      'healthy',
    ]
    console.log(head.map((h, i) => (i ? h.padStart(14) : h.padEnd(10))).join(''))
    if (process.argv.includes('--hold')) {
      // set up the largest size and keep it until SIGINT/SIGTERM (to profile against a realistic node)
      await grow(Math.max(...sizes))
      console.log(`holding ${made.length} namespaces, ${procs.size} processes; Ctrl-C (or kill -INT ${process.pid}) removes them`)
      console.log(`${process.execPath} ${bin} diagnose --all --json --config-file ${config} --state-path ${state}`)
      await new Promise(() => {})
    }
    const perNs = []
    const perNsL3 = []
    for (const n of sizes) {
      const t0 = Date.now()
      await grow(n)
      const setupS = ((Date.now() - t0) / 1000).toFixed(0)
      writeFileSync(
        list,
        made
          .filter((x) => x.startsWith('qdhcp-'))
          .slice(0, n)
          .join('\n') + '\n',
      )
      const diag = [process.execPath, bin, 'diagnose', '--all', '--json', '--config-file', config, '--state-path', state]
      const other = compare && [process.execPath, compare, 'diagnose', '--all', '--json', '--config-file', config, '--state-path', state]
      const loop = ['bash', '-c', manual]
      const ours = capture(bin)
      let same = ''
      if (compare) {
        const [a, b] = [byNet(ours), byNet(capture(compare))]
        const differ = [...a.keys()].filter((k) => a.get(k) !== b.get(k))
        same =
          a.size === b.size && differ.length === 0
            ? ' findings equal (the addresses command aside)'
            : ` FINDINGS DIFFER in ${differ.length} of ${a.size} (first: ${differ[0]})`
        time(other)
      }
      time(diag)
      const [a, c, b, f] = [[], [], [], []]
      const manualRuns = n >= 400 ? 1 : runs // the manual loop is quadratic (netstat -p reads every process's fds): 6+ minutes a run at 1000
      for (let i = 0; i < runs; i++) {
        a.push(timeCpu(diag))
        if (other) c.push(timeCpu(other))
        if (i < manualRuns) b.push(timeCpu(loop))
        f.push(time(floor))
      }
      const wall = (xs) => median(xs.map((x) => x.ms))
      const cpu = (xs) => median(xs.map((x) => x.cpu))
      const [d, m, fl] = [wall(a), wall(b), median(f)]
      perNs.push([n, d / n, cpu(a) / n])
      const healthy = `${ours.networks.filter((x) => x.healthy).length}/${ours.networks.length}`
      const cols = [
        d.toFixed(0),
        (d / n).toFixed(2),
        (cpu(a) / n).toFixed(2),
        ...(compare ? [(wall(c) / n).toFixed(2), (cpu(c) / n).toFixed(2)] : []),
        m.toFixed(0),
        (m / n).toFixed(2),
        (cpu(b) / n).toFixed(2),
        `${(d / m).toFixed(3)}x`,
        `${(cpu(a) / cpu(b)).toFixed(3)}x`,
        fl.toFixed(0),
        healthy,
      ]
      console.log(
        String(n).padEnd(10) +
          cols.map((x) => x.padStart(14)).join('') +
          `   (set-up ${setupS} s, ${procs.size} processes, manual ${manualRuns} run${manualRuns > 1 ? 's' : ''})${same}`,
      )
      if (routers) {
        // the router chain on the same node: every qrouter namespace, each network's router
        const l3 = [process.execPath, bin, 'diagnose', '--all', '--json', '--config-file', l3Config, '--state-path', state]
        const doc = JSON.parse(spawnSync(l3[0], l3.slice(1), {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, maxBuffer: 1 << 30}).stdout)
        time(l3)
        const xs = []
        for (let i = 0; i < runs; i++) xs.push(timeCpu(l3))
        const [lw, lc] = [median(xs.map((x) => x.ms)), median(xs.map((x) => x.cpu))]
        perNsL3.push([n, lw / n, lc / n])
        console.log(
          `${String(n).padEnd(10)}router chain: diagnose --all --config-file l3_agent.ini ${lw.toFixed(0)} ms wall, ${(lw / n).toFixed(2)} ms/network, ${(lc / n).toFixed(2)} cpu ms/network, healthy ${doc.networks.filter((x) => x.healthy).length}/${doc.networks.length} (${made.length} namespaces: ${n} qdhcp + ${n} qrouter)`,
        )
      }
    }
    if (perNs.length > 1) {
      const [n0, p0, c0] = perNs[0]
      const [n1, p1, c1] = perNs.at(-1)
      console.log(`per namespace at ${n1} / at ${n0}: wall ${(p1 / p0).toFixed(2)}x, cpu ${(c1 / c0).toFixed(2)}x (target <= 1.1x)`)
    }
    if (perNsL3.length > 1) {
      const [n0, p0, c0] = perNsL3[0]
      const [n1, p1, c1] = perNsL3.at(-1)
      console.log(`router chain, per network at ${n1} / at ${n0}: wall ${(p1 / p0).toFixed(2)}x, cpu ${(c1 / c0).toFixed(2)}x (target <= 1.1x)`)
    }
  } finally {
    await cleanup()
  }
}

// ---- subnet create vs curl (the same two requests) vs the openstack CLI, against real servers ----
// Every run makes a new /24 on one bench network (no DHCP, so the agent does not add work), which is
// deleted at the end with its subnets. Credentials: the OS_* of the environment, else the harness's.
async function api() {
  const env = {
    OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
    OS_PASSWORD: 'qmadmin',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_USERNAME: 'admin',
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OS_'))),
  }
  const authBody = JSON.stringify({
    auth: {
      identity: {methods: ['password'], password: {user: {domain: {name: env.OS_USER_DOMAIN_NAME}, name: env.OS_USERNAME, password: env.OS_PASSWORD}}},
      scope: {project: {domain: {name: env.OS_PROJECT_DOMAIN_NAME}, name: env.OS_PROJECT_NAME}},
    },
  })
  const tokenOf = async () => {
    const r = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {body: authBody, headers: {'Content-Type': 'application/json'}, method: 'POST'})
    if (r.status !== 201) throw new Error(`bench: Keystone answered ${r.status}: is scripts/harness/openstack/up.sh running?`)
    const doc = await r.json()
    const ep = doc.token.catalog
      .find((c) => c.type === 'network')
      .endpoints.find((e) => e.interface === 'public')
      .url.replace(/\/$/, '')
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
      const c = hasOsc
        ? timeEnv([
            'openstack',
            'subnet',
            'create',
            '--gateway',
            'none',
            '--no-dhcp',
            '--network',
            net.id,
            '--subnet-range',
            next(),
            '-f',
            'value',
            '-c',
            'id',
            `b${i + 1}`,
          ])
        : NaN
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
  console.log(
    'openstack subnet create'.padEnd(34),
    hasOsc ? o.toFixed(0).padStart(7) : '  (python3-openstackclient not installed)',
    hasOsc ? `  ratio ${(m / o).toFixed(2)}x (target <=0.55x)` : '',
  )
}

// ---- diagnose --sosreport: the real fixtures, and one sosreport of N networks built from them ----
// The big one repeats the healthy fixture's files for N random network ids (the namespace list, each
// namespace's ip address show and netstat, STATE/dhcp/NET/*, the haproxy config and pid file, two ps
// lines each with pids of their own), in a temp dir removed at the end: what the reader costs per
// network when a node serves many.
async function sosreport() {
  const {cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} = require('node:fs')
  const {tmpdir} = require('node:os')
  const {join} = require('node:path')
  const fx = `${root}test/fixtures/sosreport`
  const NET = '43c92583-885a-40f5-962a-0e0539782df0'
  console.log(`node ${process.version}, ${RUNS} paired runs each, medians`)
  for (const [name, argv] of [
    ['diagnose --sosreport healthy', ['diagnose', '--sosreport', `${fx}/healthy`]],
    ['diagnose NET --sosreport x2 (fleet)', ['diagnose', NET, '--sosreport', `${fx}/healthy`, '--sosreport', `${fx}/haproxy-dead`]],
  ]) {
    const r = paired([process.execPath, bin, ...argv])
    console.log(name.padEnd(40), `${r.ms.toFixed(1)} ms`.padStart(10), `node -e '' ${r.floor.toFixed(1)} ms`.padStart(22), `${r.ratio.toFixed(2)}x`.padStart(8))
  }
  const at = process.argv.indexOf('--networks')
  const count = at > 0 ? Number(process.argv[at + 1]) : 1000
  const dir = mkdtempSync(join(tmpdir(), 'qm-bench-sos-'))
  try {
    const big = join(dir, 'sosreport-big')
    const src = `${fx}/healthy`
    cpSync(src, big, {recursive: true, verbatimSymlinks: true})
    const net = join(big, 'sos_commands/networking')
    const state = join(big, 'var/lib/neutron')
    const ps = readFileSync(join(src, 'sos_commands/process/ps_auxwww'), 'utf8').split('\n')
    const psOf = (pid) => ps.find((l) => new RegExp(`^\\S+\\s+${pid}\\s`).test(l))
    const [dnsmasqLine, haproxyLine] = [psOf(88), psOf(92)]
    const names = []
    const psLines = []
    for (let i = 0; i < count; i++) {
      const id = crypto.randomUUID()
      const [dp, hp] = [10_000 + 2 * i, 10_001 + 2 * i]
      const sub = (text) => text.replaceAll(NET, id).replaceAll(' 88/dnsmasq', ` ${dp}/dnsmasq`).replaceAll(' 92/haproxy', ` ${hp}/haproxy`)
      names.push(`qdhcp-${id}`)
      for (const f of readdirSync(net).filter((f) => f.includes(NET))) writeFileSync(join(net, f.replace(NET, id)), sub(readFileSync(join(net, f), 'utf8')))
      mkdirSync(join(state, 'dhcp', id))
      for (const f of readdirSync(join(state, 'dhcp', NET)))
        writeFileSync(join(state, 'dhcp', id, f), f === 'pid' ? `${dp}\n` : sub(readFileSync(join(state, 'dhcp', NET, f), 'utf8')))
      writeFileSync(join(state, 'ns-metadata-proxy', `${id}.conf`), sub(readFileSync(join(state, 'ns-metadata-proxy', `${NET}.conf`), 'utf8')))
      writeFileSync(join(state, 'external/pids', `${id}.pid.haproxy`), `${hp}\n`)
      psLines.push(
        dnsmasqLine.replace(/^(\S+\s+)88(\s)/, `$1${dp}$2`).replaceAll(NET, id),
        haproxyLine.replace(/^(\S+\s+)92(\s)/, `$1${hp}$2`).replaceAll(NET, id),
      )
    }
    writeFileSync(join(net, 'ip_netns'), readFileSync(join(net, 'ip_netns'), 'utf8') + names.join('\n') + '\n')
    writeFileSync(join(big, 'sos_commands/process/ps_auxwww'), ps.join('\n') + psLines.join('\n') + '\n')
    const argv = [process.execPath, bin, 'diagnose', '--sosreport', big, '--json']
    const check = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', maxBuffer: 1 << 30})
    const doc = JSON.parse(check.stdout)
    if (check.status !== 0 || doc.networks.length !== count + 1)
      throw new Error(`bench: the big sosreport did not judge ${count + 1} healthy networks (exit ${check.status}): ${check.stderr}`)
    const runs = Math.max(3, Math.min(RUNS, 7))
    const walls = []
    const cpus = []
    for (let i = 0; i < runs; i++) {
      const r = timeCpu(argv)
      walls.push(r.ms)
      cpus.push(r.cpu)
    }
    console.log(
      `diagnose --sosreport of ${count + 1} networks, --json: ${median(walls).toFixed(0)} ms wall, ${median(cpus).toFixed(0)} ms cpu (median of ${runs}; every network healthy)`,
    )
  } finally {
    rmSync(dir, {force: true, recursive: true})
  }
}
