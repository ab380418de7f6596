/**
 * The harness cannot harm a node (issue 19, item 4): scripts/harness/openstack/up.sh refuses to
 * start, exit 3 with one line on stderr and before it changes anything, on a machine that runs a
 * Neutron process it did not start or holds a Neutron config it did not make; Debian's packages'
 * own files, as `apt-get install` left them, are not a reason to refuse.
 *
 * The machine's real /etc/neutron is never touched: the config check is pointed at a made-up tree
 * with QM_OPENSTACK_PROBE_ETC (it stands for /etc/neutron: each of its files is compared with what
 * the packages installed at the same place), and the "directory someone else made" case runs in a
 * private mount namespace with an empty tmpfs over /etc/qm-openstack. "Changes nothing" is checked
 * by checksums of the made-up tree and of the harness's own files, the pid records, the IPv6 sysctl
 * up.sh would set, the namespaces, and the processes, before and after.
 *
 * Needs root and Debian's neutron packages installed (up.sh installs them); skipped otherwise.
 */
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {HARNESS_ETC, HARNESS_LOG, HARNESS_RUN, UP_SCRIPT} from './env.js'

const isRoot = process.getuid?.() === 0
/** Debian's template of neutron.conf: what neutron-common's postinst copies to /etc/neutron/neutron.conf */
const NEUTRON_CONF_TEMPLATE = '/usr/share/neutron-common/neutron.conf'
const installed = existsSync(NEUTRON_CONF_TEMPLATE) && existsSync('/var/lib/dpkg/info/neutron-common.list')
if (!isRoot) console.warn('refusal test skipped: it needs root')
else if (!installed) console.warn(`refusal test skipped: Debian's neutron packages are not installed (${UP_SCRIPT} --install-only)`)

interface Up {
  status: number | null
  stderr: string
  stdout: string
}
/** the stand-in agent processes this file started: a refusal naming only others is another job's */
const standIns = new Set<number>()
const otherJobsAgents = (r: Up) =>
  r.status === 3 &&
  /Neutron process\(es\) this harness did not start/.test(r.stderr) &&
  ![...r.stderr.matchAll(/(\d+) (?:neutron|quantum)-\S+/g)].some((m) => standIns.has(Number(m[1])))
/**
 * up.sh ARGS. On a machine shared with other test runs, their stand-in Neutron agents (python
 * processes named neutron-*-agent) come and go: a refusal that names only those is asked again,
 * for up to 2 minutes, so that each case sees only what it set up.
 */
function upSh(args: string[], env: NodeJS.ProcessEnv = {}, wrap: string[] = []): Up {
  const argv = [...wrap, UP_SCRIPT, ...args]
  const t0 = Date.now()
  for (;;) {
    const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', env: {...process.env, ...env}, timeout: 120_000})
    const up = {status: r.status, stderr: r.stderr, stdout: r.stdout}
    if (!otherJobsAgents(up) || Date.now() - t0 > 120_000) return up
    console.warn(`another job's agent stand-in runs (${up.stderr.trim()}): asking again in 5 s`)
    spawnSync('sleep', ['5'])
  }
}

const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex')

/**
 * What Debian's neutron packages install under /etc/neutron, rebuilt into `dest` from dpkg's own
 * records rather than copied from this machine's /etc/neutron (which may have been edited, by an
 * operator or by an older version of this harness): every conffile dpkg lists under /etc/neutron
 * whose file still has the package's md5sum, and every template the packages keep under
 * /usr/share/neutron-* (postinst copies them to the same place under /etc/neutron: neutron.conf,
 * dhcp_agent.ini, plugins/ml2/ml2_conf.ini, ...). A conffile edited here is left out.
 */
function pristineNeutronEtc(dest: string): string[] {
  const made: string[] = []
  const put = (rel: string, from: string) => {
    mkdirSync(join(dest, rel, '..'), {recursive: true})
    cpSync(from, join(dest, rel))
    made.push(rel)
  }
  const status = readFileSync('/var/lib/dpkg/status', 'utf8')
  for (const m of status.matchAll(/^ \/etc\/neutron\/(\S+) ([0-9a-f]{32})(?: \S+)?$/gm)) {
    const file = `/etc/neutron/${m[1]}`
    if (statSync(file, {throwIfNoEntry: false})?.isFile() && md5(file) === m[2]) put(m[1], file)
  }
  const lists = readdirSync('/var/lib/dpkg/info').filter((f) => /^neutron-[^/]+\.list$/.test(f))
  for (const list of lists) {
    for (const line of readFileSync(join('/var/lib/dpkg/info', list), 'utf8').split('\n')) {
      const t = /^\/usr\/share\/neutron-[^/]+\/(.+\.(?:ini|conf))$/.exec(line)
      if (t && statSync(line, {throwIfNoEntry: false})?.isFile() && !made.includes(t[1])) put(t[1], line)
    }
  }
  return made.sort()
}

/** path -> sha256 of every file under dir (sorted), with modes: what "changes nothing" compares */
function treeSums(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (!existsSync(dir)) return out
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = statSync(p, {throwIfNoEntry: false})
      if (!st) continue
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) out[p] = `${st.mode.toString(8)} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`
      else if (st.isSocket()) out[p] = `socket ${st.mode.toString(8)}`
    }
  }
  walk(dir)
  return out
}

/** everything up.sh could have touched first, as one comparable object */
function machineState(tree: string) {
  const procs = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && p !== String(process.pid))
    .map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ')
      } catch {
        return ''
      }
    })
    .filter((c) => c.includes('qm-openstack'))
    .sort()
  return {
    etc: treeSums(HARNESS_ETC),
    ipv6Default: readFileSync('/proc/sys/net/ipv6/conf/default/disable_ipv6', 'utf8'),
    // the daemons' own logs grow while the harness runs; up.sh's first write there is timings.log
    timings: existsSync(`${HARNESS_LOG}/timings.log`) ? readFileSync(`${HARNESS_LOG}/timings.log`, 'utf8') : null,
    netns: existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [],
    procs,
    run: treeSums(HARNESS_RUN),
    tree: treeSums(tree),
  }
}

/**
 * nothing up.sh would write changed, and no process naming a harness path started: a daemon the
 * script had started would still run (a short-lived helper of the running harness's agents may
 * come and go: only new processes count, not ones that went)
 */
function expectUnchanged(before: ReturnType<typeof machineState>, after: ReturnType<typeof machineState>) {
  expect(after.procs.filter((p) => !before.procs.includes(p))).toEqual([])
  expect({...after, procs: []}).toEqual({...before, procs: []})
}

describe.skipIf(!isRoot || !installed)('up.sh refuses a machine with a Neutron it did not make, and changes nothing', () => {
  let dir = ''
  let tree = ''
  let quantum = ''
  const children: ReturnType<typeof spawn>[] = []

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'qm-refuse-'))
    // what Debian's packages install under /etc/neutron (on CI: the harness's own `apt-get
    // install`), rebuilt from dpkg's records: this machine's own /etc/neutron may be edited
    tree = join(dir, 'etc-neutron')
    const files = pristineNeutronEtc(tree)
    console.info(`made-up /etc/neutron: ${files.join(', ')}`)
    expect(files).toContain('neutron.conf')
    quantum = join(dir, 'etc-quantum')
  })
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL')
    rmSync(dir, {force: true, recursive: true})
  })

  it("the packages' own files, untouched, are no reason to refuse: --check exits 0", () => {
    const r = upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum})
    expect(r.stderr).toMatch(/^up\.sh --check: no foreign Neutron process, no foreign file under .*: the harness may start\n$/)
    expect(r.status).toBe(0)
  })

  it('an edited neutron.conf: up.sh exits 3 with one line naming it, before it touches anything', () => {
    appendFileSync(join(tree, 'neutron.conf'), '\n[DEFAULT]\ndebug = True\n')
    const env = {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum}
    const before = machineState(tree)
    const r = upSh([], env)
    const after = machineState(tree)
    console.info(`up.sh: exit ${r.status}: ${r.stderr}`)
    expect(r.status).toBe(3)
    expect(r.stderr.split('\n')).toEqual([
      expect.stringMatching(/^up\.sh: refusing to start: 1 Neutron config file\(s\) that no package installed as they are: /),
      '',
    ])
    expect(r.stderr).toContain(`${tree}/neutron.conf`)
    expect(r.stdout).toBe('')
    expectUnchanged(before, after)
    // --check says the same
    expect(upSh(['--check'], env).status).toBe(3)
  })

  it('a file no package has (a drop-in) and anything under /etc/quantum: refused too', () => {
    cpSync(NEUTRON_CONF_TEMPLATE, join(tree, 'neutron.conf'))
    expect(upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum}).status).toBe(0)
    mkdirSync(join(tree, 'neutron.conf.d'))
    writeFileSync(join(tree, 'neutron.conf.d', '50-site.conf'), '[DEFAULT]\nhost = node-7\n')
    const r = upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum})
    expect(r.status).toBe(3)
    expect(r.stderr).toContain(`${tree}/neutron.conf.d/50-site.conf`)
    rmSync(join(tree, 'neutron.conf.d'), {recursive: true})
    mkdirSync(quantum)
    writeFileSync(join(quantum, 'dhcp_agent.ini'), '[DEFAULT]\n')
    const q = upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum})
    expect(q.status).toBe(3)
    expect(q.stderr).toContain(`${quantum}/dhcp_agent.ini`)
    rmSync(quantum, {recursive: true})
  })

  it("what an older version of this harness left in /etc/neutron is refused, with the command that puts Debian's files back", () => {
    cpSync(join(tree, 'dhcp_agent.ini'), join(tree, 'dhcp_agent.ini.debian-orig'))
    appendFileSync(join(tree, 'dhcp_agent.ini'), 'enable_isolated_metadata = True\n')
    const r = upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum})
    expect(r.status).toBe(3)
    expect(r.stderr.split('\n')).toHaveLength(2)
    expect(r.stderr).toMatch(/an older quantum-meta harness wrote these; put Debian's files back with: for f in /)
    // that command, run on the made-up tree, makes it pass
    const fix = /put Debian's files back with: (.*)\)$/m.exec(r.stderr)![1]
    const sh = spawnSync('bash', ['-c', fix], {encoding: 'utf8'})
    expect(sh.status, sh.stderr).toBe(0)
    expect(upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum}).status).toBe(0)
  })

  it('a Neutron agent it did not start is running: exit 3 naming its pid; one reading our config dir is ours', async () => {
    const env = {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum}
    // a stand-in: /proc shows `neutron-l3-agent -c ... --config-file /etc/neutron/l3_agent.ini`
    const foreign = spawn('/usr/bin/python3', ['-c', 'import time; time.sleep(120)', '--config-file', '/etc/neutron/l3_agent.ini'], {
      argv0: 'neutron-l3-agent',
      stdio: 'ignore',
    })
    children.push(foreign)
    standIns.add(foreign.pid!)
    await new Promise((r) => setTimeout(r, 300))
    const before = machineState(tree)
    const r = upSh([], env)
    const after = machineState(tree)
    foreign.kill('SIGKILL')
    expect(r.status).toBe(3)
    expect(r.stderr.split('\n')).toEqual([
      expect.stringMatching(/^up\.sh: refusing to start: \d+ Neutron process\(es\) this harness did not start run here: /),
      '',
    ])
    expect(r.stderr).toContain(`${foreign.pid} neutron-l3-agent /etc/neutron/l3_agent.ini`)
    // the stand-in itself is in the process list of both readings; nothing else came or went
    expectUnchanged(before, after)
    await new Promise((res) => setTimeout(res, 300))
    const ours = spawn(
      '/usr/bin/python3',
      ['-c', 'import time; time.sleep(120)', '--config-file', `${HARNESS_ETC}/neutron.conf`, '--config-file', `${HARNESS_ETC}/l3_agent.ini`],
      {
        argv0: 'neutron-l3-agent',
        stdio: 'ignore',
      },
    )
    children.push(ours)
    standIns.add(ours.pid!)
    await new Promise((res) => setTimeout(res, 300))
    const r2 = upSh(['--check'], env)
    ours.kill('SIGKILL')
    expect(r2.stderr).not.toContain(String(ours.pid))
    expect(r2.status).toBe(0)
  })

  it.skipIf(!existsSync(HARNESS_ETC))('its own config directory without its marker (someone else made it): refused', () => {
    // a private mount namespace with an empty tmpfs over /etc/qm-openstack: the real one is not touched
    const r = upSh(['--check'], {QM_OPENSTACK_PROBE_ETC: tree, QM_OPENSTACK_PROBE_QUANTUM: quantum}, [
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount -t tmpfs qm-refuse ${HARNESS_ETC} && exec "$@"`,
      'sh',
    ])
    expect(r.status).toBe(3)
    expect(r.stderr).toBe(
      `up.sh: refusing to start: ${HARNESS_ETC} exists but was not made by this harness (no ${HARNESS_ETC}/.made-by-quantum-meta-harness)\n`,
    )
  })
})
