/**
 * The whole metadata chain ending at the REAL Nova metadata API (issue 20, item 6): Debian 12's
 * nova-api-metadata (nova 2:26.2.2, Zed) replaces fake-nova on 127.0.0.1:8775 for this file
 * (test/openstack/nova.ts; scripts/harness/openstack/nova-up.sh), and fake-nova is back in afterAll
 * (nova-down.sh; up.sh also puts it back by itself once this process is gone).
 *
 *   VM namespace qmos-vm-nova-* (isolated network 172.17.17.0/24, DHCP option 121)
 *   -> haproxy in qdhcp-<net> -> the metadata agent's unix socket -> neutron-metadata-agent
 *   -> nova-api-metadata (uwsgi) -> MariaDB nova_api + cell1 `nova`, neutron-server through Keystone
 *
 * The VM's port has device_id = an instance that nova-instance.py wrote with Nova's own objects in
 * the port's project. Every request is sent from INSIDE the VM's namespace. Each case is set on one
 * side or both (only what changed restarts: Nova by its pid record through nova-up.sh, the agent
 * through up.sh), then the VM's status and the lines the metadata agent and Nova log for it.
 *
 * Where the expectations come from: ../shared/lab/README.md, section "Real Nova metadata API
 * (optional)", its case table (the same Debian packages on the shared lab: neutron 21.0.0, nova
 * 26.2.2; verbatim runs in ../shared/lab/out/scenario-nova.md), and
 * ../shared/reference/containers-nova.md sections 3 and 4 (what each side logs, by release). In short:
 * the VM gets the agent's webob page, not Nova's; Nova's 403 WARNING carries HMAC-SHA256(agent's
 * secret, instance id) then HMAC-SHA256(Nova's secret, instance id); Zed's DHCP-side agent asks
 * again after a 404, so Nova logs each 404 twice; every connection failure is a 500 from Zed's agent
 * (503 from 24.0.1 on) told apart only by the agent's `Unexpected error.` exception; with
 * service_metadata_proxy off and enable_proxy_headers_parsing on, Nova finds the VM by its
 * X-Forwarded-For address and answers 200.
 *
 * Needs root and a running harness (scripts/harness/openstack/up.sh) with Nova's packages
 * (up.sh --install); skipped otherwise, and with QM_SKIP_OPENSTACK_NOVA=1.
 */
import {createHmac, randomBytes} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {cliAsync} from '../helpers/cli.js'
import {Created, DHCP_AGENT_HOST, DHCP_AGENT_INI, HARNESS_RUN, METADATA_AGENT_INI, NEUTRON_STATE_PATH, UP_SCRIPT, openstackEnv, ready} from './env.js'
import {
  type AgentCase,
  METADATA_AGENT_LOG,
  METADATA_SECRET,
  NOVA_CERT,
  NOVA_CONF,
  NOVA_LOG,
  NOVA_REAL,
  type NovaCase,
  type NovaVm,
  agentCase,
  logGains,
  logMark,
  makeNovaVm,
  novaDown,
  novaStop,
  novaUp,
  pointPortAt,
  vmGet,
  vmGetUntil,
} from './nova.js'

const isRoot = process.getuid?.() === 0
/** QM_SKIP_OPENSTACK_NOVA=1 leaves this file out */
const optedOut = process.env.QM_SKIP_OPENSTACK_NOVA === '1'
let notReady = ''
const up = isRoot && !optedOut && (await ready((why) => (notReady = why)))
if (optedOut) console.warn('real Nova test skipped: QM_SKIP_OPENSTACK_NOVA=1')
else if (!isRoot) console.warn('real Nova test skipped: it needs root')
else if (!up) console.warn(`real Nova test skipped: the harness is not running (${notReady}); start it with ${UP_SCRIPT}`)

const LONG = 600_000
const MD_PATH = '/latest/meta-data/'
const hmac = (secret: string, id: string) => createHmac('sha256', secret).update(id).digest('hex')
/** the agent's access line for the VM's request (eventlet.wsgi.server) */
const access = (status: number) => new RegExp(`"GET ${MD_PATH.replaceAll('/', '\\/')} HTTP/1\\.1" status: ${status} `)
/** uwsgi's request line in Nova's log */
const uwsgiLine = (status: number) => new RegExp(`GET ${MD_PATH.replaceAll('/', '\\/')} => generated \\d+ bytes in \\d+ msecs \\(HTTP/1\\.1 ${status}\\)`)
const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length

describe.skipIf(!up)('the metadata chain to the real Nova metadata API (nova 26.2.2 behind neutron 21.0.0)', () => {
  const suffix = randomBytes(3).toString('hex')
  const made = new Created()
  let vm: NovaVm
  const t0 = Date.now()
  // the case both sides run now, so a case restarts only the side it changes
  let nowNova = ''
  let nowAgent = ''

  async function setCase(nova: NovaCase, agent: AgentCase): Promise<string> {
    const took: string[] = []
    const n = JSON.stringify(nova)
    const a = JSON.stringify(agent)
    if (n !== nowNova) {
      nowNova = ''
      took.push(`nova-up.sh ${n} ${await novaUp(nova)} ms`)
      nowNova = n
    }
    if (a !== nowAgent) {
      nowAgent = ''
      took.push(`nova-up.sh --agent ${a} ${await agentCase(agent)} ms`)
      nowAgent = a
    }
    return took.join('; ')
  }

  /**
   * quantum-meta through the built binary, as an operator runs it on this node: `diagnose NET --probe-as
   * <the VM's address>` (the agent's socket asked as the VM, Nova asked the agent's way), with the harness's
   * paths; Nova's config given unless `auto` (then found from the running nova-api-metadata's environment)
   */
  async function tool(opts: {auto?: boolean} = {}) {
    const args = ['diagnose', vm.network.id, '--json', '--probe-as', vm.ip, '--backend', 'dhcp-agent', '--config-file', DHCP_AGENT_INI]
    args.push('--state-path', NEUTRON_STATE_PATH, '--agent-host', DHCP_AGENT_HOST, ...(opts.auto ? [] : ['--nova-config', NOVA_CONF]))
    const r = await cliAsync(args, {env: openstackEnv()})
    const findings: {id: string; status: string; summary: string; evidence: string[]; fix?: Record<string, string>}[] = r.json?.findings ?? []
    const f = (id: string) => {
      const got = findings.find((x) => x.id === id)
      if (!got) throw new Error(`no finding ${id}: exit ${r.status}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`)
      return got
    }
    // never a secret in what it prints: the harness's, nor the cases' own
    for (const secret of [METADATA_SECRET, 'qm-nova-side-secret', 'qm-agent-side-secret']) expect(r.stdout + r.stderr).not.toContain(secret)
    return {f, r}
  }

  /** the VM's request with both logs' new text */
  async function ask(want: number, agentRe: RegExp, opts: {timeoutMs?: number; novaRe?: RegExp} = {}) {
    const agentMark = logMark(METADATA_AGENT_LOG)
    const novaMark = logMark(NOVA_LOG)
    const answer = opts.timeoutMs ? await vmGetUntil(vm.vmNamespace, want, opts.timeoutMs, MD_PATH) : await vmGet(vm.vmNamespace, MD_PATH)
    const agent = await logGains(agentMark, agentRe)
    const nova = opts.novaRe ? await logGains(novaMark, opts.novaRe) : novaMark.text()
    return {agent, answer, nova}
  }

  beforeAll(async () => {
    const took = await setCase({}, {})
    vm = await makeNovaVm(made, suffix, '172.17.17.0/24')
    console.info(`real Nova up (${took}); VM ${vm.vmNamespace} ${vm.ip} instance ${vm.instanceId} project ${vm.project} after ${Date.now() - t0} ms`)
  }, LONG)

  afterAll(async () => {
    await vm?.remove().catch((error) => console.warn(`VM removal: ${error}`))
    const errors = await made.cleanup()
    if (errors.length) console.warn(`cleanup: ${errors.join('\n')}`)
    // fake-nova back on 8775, the agent's healthy config back (the last test did, unless it failed)
    if (existsSync(NOVA_REAL) || existsSync(`${HARNESS_RUN}/nova-api-metadata.pid`)) await novaDown().catch((error) => console.warn(`nova-down.sh: ${error}`))
    console.info(`nova-chain: the whole file took ${Date.now() - t0} ms`)
  }, LONG)

  it('healthy: 200, Nova answers with the instance it has for the port (uuid, project), both logs say 200', async () => {
    const {agent, answer, nova} = await ask(200, access(200), {novaRe: uwsgiLine(200), timeoutMs: 60_000})
    expect(answer.status, answer.body).toBe(200)
    expect(answer.body.split('\n')).toEqual(expect.arrayContaining(['instance-id', 'local-ipv4', 'hostname']))
    expect(agent).toMatch(access(200))
    expect(nova).toMatch(uwsgiLine(200))
    // Nova's own document for the instance nova-instance.py made: not a stand-in's
    const doc = await vmGet(vm.vmNamespace, '/openstack/latest/meta_data.json')
    expect(doc.status).toBe(200)
    expect(JSON.parse(doc.body)).toMatchObject({meta: {'quantum-meta': 'harness'}, name: vm.vmNamespace, project_id: vm.project, uuid: vm.instanceId})
    expect((await vmGet(vm.vmNamespace, '/latest/meta-data/local-ipv4')).body).toBe(vm.ip)
    // the tool agrees, and finds Nova's config by itself from the running nova-api-metadata
    const {f, r} = await tool({auto: true})
    expect(f('nova.answer').summary).toBe(
      `asked as ${vm.ip}, the metadata agent found the port, signed its instance id and Nova answered 200: the chain works to Nova for this instance`,
    )
    expect(f('nova.reach')).toMatchObject({status: 'pass', summary: "Nova's metadata API answers at http://127.0.0.1:8775/ the way the agent asks"})
    expect(f('nova.config')).toMatchObject({
      status: 'pass',
      summary: "Nova's [neutron] service_metadata_proxy is on and its shared secret equals the metadata agent's",
    })
    expect(f('nova.config').evidence[0]).toMatch(/OS_NOVA_CONFIG_DIR/)
    expect(r.status, r.stdout.slice(0, 3000)).toBe(0)
  })

  it("404 when the port's device_id is an instance of another project: Nova's tenant WARNING, twice", async () => {
    await pointPortAt(vm.portId, vm.otherInstanceId)
    try {
      const tenant = new RegExp(
        `WARNING nova\\.api\\.metadata\\.handler .*Tenant_id ${vm.project} does not match tenant_id of instance ${vm.otherInstanceId}\\.`,
      )
      const twice = new RegExp(`${tenant.source}[\\s\\S]*${tenant.source}`)
      const {agent, answer, nova} = await ask(404, access(404), {novaRe: twice, timeoutMs: 60_000})
      expect(answer.status, answer.body).toBe(404)
      expect(answer.body).toContain('The resource could not be found.')
      expect(agent).toMatch(access(404))
      expect(agent).toContain(`The instance: ${vm.otherInstanceId} is not present anymore, skipping cache...`)
      // the agent signed the other instance's id with the port's project; Nova logs it for each of the agent's two tries
      expect(count(nova, tenant), nova).toBe(2)
      const {f, r} = await tool()
      expect(r.status).toBe(1)
      expect(f('nova.answer').summary).toMatch(new RegExp(`^asked as ${vm.ip.replaceAll('.', '\\.')}: 404 from Nova for instance ${vm.otherInstanceId}: `))
      expect(f('nova.answer').fix).toMatchObject({command: `openstack server show ${vm.otherInstanceId} -c id -c project_id -c status`})
      expect(f('nova.config').status).toBe('pass')
    } finally {
      await pointPortAt(vm.portId, vm.instanceId)
    }
    expect((await vmGetUntil(vm.vmNamespace, 200, 60_000, MD_PATH)).status).toBe(200)
  })

  it("403 when Nova's secret differs: the agent's Forbidden WARNING, Nova's WARNING with both HMACs", async () => {
    const novaSecret = 'qm-nova-side-secret'
    await setCase({secret: novaSecret}, {})
    const sig = new RegExp(
      `WARNING nova\\.api\\.metadata\\.handler \\[[^\\]]*\\] X-Instance-ID-Signature: ([0-9a-f]{64}) does not match the expected value: ([0-9a-f]{64}) for id: ${vm.instanceId}\\. Request From: ${vm.ip.replaceAll('.', '\\.')}`,
    )
    const {agent, answer, nova} = await ask(403, access(403), {novaRe: sig})
    expect(answer.status, answer.body).toBe(403)
    expect(answer.body).toContain('Access was denied to this resource.')
    expect(agent).toContain(
      'WARNING neutron.agent.metadata.agent [-] The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.',
    )
    expect(agent).toMatch(access(403))
    const m = nova.match(sig)
    expect(m, nova).not.toBeNull()
    // first the agent's signature, then the one Nova expects
    expect([m![1], m![2]]).toEqual([hmac(METADATA_SECRET, vm.instanceId), hmac(novaSecret, vm.instanceId)])
    const {f, r} = await tool()
    expect(r.status).toBe(1)
    expect(f('nova.answer').summary).toBe(
      `asked as ${vm.ip}: 403, Nova rejects the agent's signature: metadata_proxy_shared_secret in [DEFAULT] of ${METADATA_AGENT_INI} and [neutron] metadata_proxy_shared_secret in ${NOVA_CONF} differ`,
    )
    expect(f('nova.config')).toMatchObject({fix: {command: expect.stringContaining(`${METADATA_AGENT_INI} ${NOVA_CONF}`)}, status: 'fail'})
  })

  it('404 with [neutron] service_metadata_proxy = False: Nova ignores the headers and finds no instance at 127.0.0.1', async () => {
    await setCase({serviceMetadataProxy: 'False'}, {})
    const failed = /ERROR nova\.api\.metadata\.handler .*Failed to get metadata for IP 127\.0\.0\.1/
    const {agent, answer, nova} = await ask(404, access(404), {novaRe: failed})
    expect(answer.status, answer.body).toBe(404)
    expect(agent).toMatch(access(404))
    expect(agent).toContain(`The instance: ${vm.instanceId} is not present anymore, skipping cache...`)
    // the record's context is [-] or [None req-...] (whether the thread had a request context yet)
    expect(nova).toMatch(
      /WARNING nova\.api\.metadata\.handler \[[^\]]*\] X-Instance-ID present in request headers\. The 'service_metadata_proxy' option must be enabled to process this header\./,
    )
    expect(nova).toMatch(failed)
    expect(nova).toMatch(/FixedIpNotFoundForAddress: Fixed IP not found for address 127\.0\.0\.1/)
    const {f, r} = await tool()
    expect(r.status).toBe(1)
    expect(f('nova.answer')).toMatchObject({fix: {file: NOVA_CONF, section: 'neutron', set: 'service_metadata_proxy = true'}, status: 'fail'})
    expect(f('nova.answer').summary).toMatch(/404, Nova's \[neutron\] service_metadata_proxy is off/)
    expect(f('nova.config').status).toBe('fail')
  })

  it('200 with service_metadata_proxy = False and enable_proxy_headers_parsing = True: Nova finds the VM by its IP', async () => {
    await setCase({proxyHeaders: 'True', serviceMetadataProxy: 'False'}, {})
    const found = new RegExp(`INFO nova\\.api\\.metadata\\.base .*Fixed IP ${vm.ip.replaceAll('.', '\\.')} translates to instance UUID ${vm.instanceId}`)
    const {agent, answer, nova} = await ask(200, access(200), {novaRe: found})
    expect(answer.status, answer.body).toBe(200)
    expect(agent).toMatch(access(200))
    expect(nova).toContain("X-Instance-ID present in request headers. The 'service_metadata_proxy' option must be enabled to process this header.")
    expect(nova).toMatch(found)
    const {f} = await tool()
    expect(f('nova.answer').status).toBe('pass')
    expect(f('nova.config').status).toBe('warn')
    expect(f('nova.config').summary).toMatch(/finds the instance by X-Forwarded-For/)
  })

  it("403 when the agent's secret differs: the same two lines, the HMACs the other way round", async () => {
    const agentSecret = 'qm-agent-side-secret'
    await setCase({}, {secret: agentSecret})
    const sig = new RegExp(`X-Instance-ID-Signature: ([0-9a-f]{64}) does not match the expected value: ([0-9a-f]{64}) for id: ${vm.instanceId}\\.`)
    const {agent, answer, nova} = await ask(403, access(403), {novaRe: sig})
    expect(answer.status, answer.body).toBe(403)
    expect(agent).toContain('The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.')
    const m = nova.match(sig)
    expect(m, nova).not.toBeNull()
    expect([m![1], m![2]]).toEqual([hmac(agentSecret, vm.instanceId), hmac(METADATA_SECRET, vm.instanceId)])
    const {f} = await tool()
    expect(f('nova.answer').summary).toMatch(/: 403, Nova rejects the agent's signature/)
    expect(f('nova.config').summary).toMatch(/differs from Nova's \[neutron\] metadata_proxy_shared_secret/)
  })

  /** a 500 whose only trace is the agent's `Unexpected error.` with this exception; Nova logs no request */
  async function unreachable(exception: RegExp) {
    const {agent, answer, nova} = await ask(500, access(500))
    expect(answer.status, answer.body).toBe(500)
    expect(answer.body).toContain('An unknown error has occurred. Please try your request again.')
    expect(agent).toMatch(access(500))
    const line = agent.split('\n').find((l) => l.includes('ERROR neutron.agent.metadata.agent [-] Unexpected error.'))
    expect(line, agent).toBeDefined()
    expect(line).toMatch(exception)
    expect(nova).not.toMatch(/GET \/latest\/meta-data\//)
    return line!
  }

  it("500 when the agent's nova_metadata_port is wrong (8779): ECONNREFUSED naming port=8779", async () => {
    await setCase({}, {port: 8779})
    await unreachable(/ConnectionError: HTTPConnectionPool\(host='127\.0\.0\.1', port=8779\).*NewConnectionError.*(ECONNREFUSED|Connection refused)/)
    const {f} = await tool()
    expect(f('nova.answer').summary).toBe(`asked as ${vm.ip}: 500, the agent cannot reach Nova`)
    expect(f('nova.reach').summary).toMatch(/^nothing listens at 127\.0\.0\.1:8779 \(connection refused\)/)
  })

  it('500 when the agent speaks https to a plain-http Nova: an SSLError', async () => {
    await setCase({}, {protocol: 'https'})
    await unreachable(/SSLError: HTTPSConnectionPool\(host='127\.0\.0\.1', port=8775\)/)
    const {f} = await tool()
    expect(f('nova.reach')).toMatchObject({fix: {file: METADATA_AGENT_INI, section: 'DEFAULT', set: 'nova_metadata_protocol = http'}, status: 'fail'})
  })

  it("500 when both speak https but the agent does not trust Nova's self-signed certificate", async () => {
    await setCase({tls: true}, {protocol: 'https'})
    await unreachable(/SSLError: .*CERTIFICATE_VERIFY_FAILED/)
    const {f} = await tool()
    expect(f('nova.reach').summary).toMatch(/certificate at 127\.0\.0\.1:8775 is not trusted by the agent \(\w+; auth_ca_cert is not set\)/)
    expect(f('nova.reach').fix).toMatchObject({command: 'openssl s_client -connect 127.0.0.1:8775 -showcerts </dev/null'})
  })

  it("200 with auth_ca_cert = Nova's certificate", async () => {
    await setCase({tls: true}, {caCert: NOVA_CERT, protocol: 'https'})
    const {agent, answer, nova} = await ask(200, access(200), {novaRe: uwsgiLine(200)})
    expect(answer.status, answer.body).toBe(200)
    expect(agent).toMatch(access(200))
    expect(nova).toMatch(uwsgiLine(200))
    const {f} = await tool()
    expect(f('nova.reach').status).toBe('pass')
    expect(f('nova.answer').status).toBe('pass')
  })

  it('500 when the agent speaks http to an https Nova: the connection is aborted', async () => {
    await setCase({tls: true}, {})
    await unreachable(/ConnectionError: .*(Connection aborted|RemoteDisconnected)/)
    const {f} = await tool()
    expect(f('nova.reach')).toMatchObject({fix: {file: METADATA_AGENT_INI, section: 'DEFAULT', set: 'nova_metadata_protocol = https'}, status: 'fail'})
  })

  it('500 with Nova stopped: ECONNREFUSED naming port=8775', async () => {
    await setCase({}, {})
    expect((await vmGetUntil(vm.vmNamespace, 200, 30_000, MD_PATH)).status).toBe(200)
    await novaStop()
    nowNova = 'stopped'
    await unreachable(/ConnectionError: HTTPConnectionPool\(host='127\.0\.0\.1', port=8775\).*NewConnectionError.*(ECONNREFUSED|Connection refused)/)
    const {f, r} = await tool()
    expect(r.status).toBe(1)
    expect(f('nova.reach').summary).toMatch(/^nothing listens at 127\.0\.0\.1:8775 \(connection refused\)/)
    expect(f('nova.answer').summary).toBe(`asked as ${vm.ip}: 500, the agent cannot reach Nova`)
  })

  it('nova-down.sh: fake-nova back on 8775 (it answers the device_id as instance-id), the agent healthy again', async () => {
    // (Nova stays stopped from the case before; the agent's side broken too, for nova-down.sh to mend)
    await agentCase({port: 8779})
    await novaDown()
    expect(existsSync(NOVA_REAL)).toBe(false)
    expect(existsSync(`${HARNESS_RUN}/nova-api-metadata.pid`)).toBe(false)
    const [pid] = readFileSync(`${HARNESS_RUN}/fake-nova.pid`, 'utf8').trim().split(' ')
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('fake-nova.py')
    const ini = readFileSync(METADATA_AGENT_INI, 'utf8')
    expect(ini).toMatch(/^nova_metadata_port = 8775$/m)
    expect(ini).toMatch(/^nova_metadata_protocol = http$/m)
    expect(ini).not.toMatch(/^auth_ca_cert/m)
    // Nova would answer its EC2 id (i-0000000N); fake-nova answers the port's device_id
    const id = await vmGetUntil(vm.vmNamespace, 200, 60_000, '/latest/meta-data/instance-id')
    expect(id.status, id.body).toBe(200)
    expect(id.body).toBe(vm.instanceId)
  })
})
