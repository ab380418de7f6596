/**
 * Remake the sosreport fixtures of test/fixtures/sosreport/ from real parts (issue 11, section 3):
 * the fleet rig (test/fleet/rig.ts) brings up two neutron network nodes ("hosts": private mount,
 * uts and pid namespaces with their own /etc/neutron, /var/lib/neutron and /run/netns) serving the
 * same network with real dnsmasq and haproxy in qdhcp-<net>; haproxy is killed inside the second
 * host; then Debian's `sos report` runs INSIDE each host (nsenter into its namespaces), so sos sees
 * that host's neutron files, namespaces and processes and nothing of the machine's own neutron.
 *
 * The whole sos output stays in OUTDIR/raw/<host>/ (for a look); the files `quantum-meta diagnose
 * --sosreport` reads, plus the ones that tell the version and host, are copied verbatim to
 * OUTDIR/<fixture>/ (healthy: net1, haproxy-dead: net2). SOURCES.md is written by hand from what
 * this prints.
 *
 * usage (root; apt-get install -y sosreport):
 *   QM_FLEET_BASE_PORT=2240 npx tsx scripts/capture-sosreport.ts OUTDIR
 */
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'

import {fleetUp} from '../test/fleet/rig.js'

const out = resolve(process.argv[2] ?? '')
if (!process.argv[2]) {
  process.stderr.write('usage: capture-sosreport.ts OUTDIR\n')
  process.exit(2)
}
mkdirSync(join(out, 'raw'), {recursive: true})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** What the reader reads (src/fleet/sosreport.ts), and what tells the sos version and the host. */
function keep(rel: string): boolean {
  if (['version.txt', 'hostname', 'sos_reports/manifest.json', 'sos_logs/openstack_neutron-plugin-errors.txt'].includes(rel)) return true
  if (rel.startsWith('etc/neutron/') || rel.startsWith('var/lib/neutron/')) return true
  if (rel === 'sos_commands/networking/ip_netns') return true
  // sos 4.0-4.4 flat, and newer sos's namespaces/NS/ (ip -d address show)
  if (
    /^sos_commands\/networking\/(namespaces\/qdhcp-[^/]+\/)?ip_netns_exec_qdhcp-[^/]+_(ip_address_show|ip_-d_address_show|ss_-peaonmi|netstat_-W_-neopa|netstat_-neopa)$/.test(
      rel,
    )
  )
    return true
  if (rel === 'sos_commands/networking/ss_-peaonmi' || rel === 'sos_commands/networking/netstat_-W_-neopa') return true
  if (rel === 'sos_commands/process/ps_auxwww' || rel === 'sos_commands/host/hostname') return true
  return false
}

function walk(dir: string, root = dir): string[] {
  const found: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = lstatSync(p)
    if (st.isDirectory()) found.push(...walk(p, root))
    else found.push(relative(root, p))
  }
  return found
}

const fleet = await fleetUp({count: 2})
try {
  const [healthy, broken] = fleet.hosts
  // the broken host: its haproxy killed (the DHCP agent stand-in does not respawn it), pid file left behind
  const pid = fleet.inHost(broken, ['cat', broken.node.proxyPidFile]).stdout.trim()
  if (!/^\d+$/.test(pid)) throw new Error(`no haproxy pid in ${broken.name}:${broken.node.proxyPidFile}`)
  const k = fleet.inHost(broken, ['kill', pid])
  if (k.status !== 0) throw new Error(`kill ${pid} in ${broken.name}: ${k.stderr}`)
  for (let i = 0; i < 100 && fleet.inHost(broken, ['kill', '-0', pid]).status === 0; i++) await sleep(50)
  process.stdout.write(`killed haproxy pid ${pid} inside ${broken.name}\n`)

  for (const [host, name] of [
    [healthy, 'healthy'],
    [broken, 'haproxy-dead'],
  ] as const) {
    const tmp = join(out, 'raw', host.name)
    mkdirSync(tmp, {recursive: true})
    const argv = [
      'sos',
      'report',
      '--batch',
      '--build',
      '--tmp-dir',
      tmp,
      '-o',
      'networking,openstack_neutron,process,host',
      '-k',
      'networking.ethtool_namespaces=off',
    ]
    const t0 = Date.now()
    const r = spawnSync('nsenter', ['-t', String(host.pid), '-m', '-u', '-p', '--', ...argv], {encoding: 'utf8', timeout: 600_000})
    process.stdout.write(`${host.name}: ${argv.join(' ')} -> exit ${r.status} in ${Date.now() - t0} ms\n${r.stdout.slice(-1500)}${r.stderr.slice(-1500)}\n`)
    if (r.status !== 0) throw new Error(`sos report in ${host.name} failed`)
    const built = readdirSync(tmp).find((d) => d.startsWith('sosreport-') && lstatSync(join(tmp, d)).isDirectory())
    if (!built) throw new Error(`no sosreport-* directory in ${tmp}`)
    const src = join(tmp, built)
    const dest = join(out, name)
    for (const rel of walk(src).filter(keep)) {
      const st = lstatSync(join(src, rel))
      if (!st.isFile() && !st.isSymbolicLink()) {
        process.stdout.write(`  skipped ${rel}: not a regular file\n`)
        continue
      }
      mkdirSync(join(dest, rel, '..'), {recursive: true})
      // verbatim, symlinks as symlinks (sos's hostname and ip_addr at the top are links into sos_commands)
      cpSync(join(src, rel), join(dest, rel), {dereference: false, preserveTimestamps: true, verbatimSymlinks: true})
    }
    process.stdout.write(
      `  ${name}: ${src} -> ${dest}; version.txt: ${existsSync(join(src, 'version.txt')) ? readFileSync(join(src, 'version.txt'), 'utf8').trim().split('\n')[0] : '(none)'}\n`,
    )
  }
  process.stdout.write(`network ${fleet.netId}\n`)
} finally {
  await fleet.down()
}
