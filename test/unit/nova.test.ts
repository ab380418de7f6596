// Past the metadata agent: the two configs' settings (src/config/nova.ts) and the three checks
// (src/chains/common/nova.ts) on the real Zed node's evidence with Nova's side added. What each answer
// means is the real Zed agent's and Nova 26.2.2's (../shared/lab/README.md, "Cases"); the 503 body is
// the 24.0.1+ agent's (../shared/reference/containers-nova.md 3.4).
import {describe, expect, it} from 'vitest'

import {agentNovaSettings, agentSecret, novaSecret, novaSide, sameSecret} from '../../src/config/nova.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {AsInstanceRecord, NetworkEvidence, NovaEvidence} from '../../src/evidence/evidence.js'
import {ZED_NET, zed} from '../helpers/zed-evidence.js'

const AGENT_INI = '/etc/neutron/metadata_agent.ini'
const NOVA_CONF = '/etc/nova/nova.conf'
const SECRET = 'labsecret-do-not-print'

const agentIni = (extra = '') => `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = 8775\nmetadata_proxy_shared_secret = ${SECRET}\n${extra}`
const settings = (extra = '') => agentNovaSettings([{content: agentIni(extra), path: AGENT_INI}], 'neutron')!

function withNova(nova: NovaEvidence, more: Partial<NetworkEvidence> = {}): NetworkEvidence {
  return {...zed(), nova, ...more}
}
const asked = (status: number | undefined, more: Partial<AsInstanceRecord> = {}): AsInstanceRecord => ({
  from: '--probe-as',
  headers: {'X-Forwarded-For': '198.51.100.7', 'X-Neutron-Network-ID': ZED_NET},
  ip: '198.51.100.7',
  method: 'GET',
  path: '/openstack',
  socket: '/var/lib/neutron/metadata_proxy',
  status,
  ...more,
})
const judge = (ev: NetworkEvidence, id: string, probe = true) => {
  const f = diagnoseEvidence(ev, {probe}).findings.find((x) => x.id === id)
  if (!f) throw new Error(`no finding ${id}`)
  return f
}
const everything = (ev: NetworkEvidence) => JSON.stringify(diagnoseEvidence(ev, {probe: true}))

describe("the agent's settings for Nova", () => {
  it('Neutron reads nova_metadata_host, port, protocol and TLS options; the secret only as set or not', () => {
    const s = settings('nova_metadata_protocol = HTTPS\nauth_ca_cert = /etc/ssl/nova-ca.pem\nnova_metadata_insecure = false\n')
    expect(s).toMatchObject({caCert: '/etc/ssl/nova-ca.pem', host: '127.0.0.1', insecure: false, port: '8775', protocol: 'https', secretSet: true})
    expect(JSON.stringify(s)).not.toContain(SECRET)
    expect(s.lines).toContain(`${AGENT_INI}:4: metadata_proxy_shared_secret = <redacted>`)
  })

  it('Grizzly (quantum) reads nova_metadata_ip and no protocol; a later file overrides an earlier one', () => {
    const s = agentNovaSettings(
      [
        {content: '[DEFAULT]\nnova_metadata_ip = 192.0.2.10\n', path: '/etc/quantum/quantum.conf'},
        {
          content: '[DEFAULT]\nnova_metadata_ip = 203.0.113.5\nnova_metadata_host = ignored\nnova_metadata_protocol = https\n',
          path: '/etc/quantum/metadata_agent.ini',
        },
      ],
      'quantum',
    )
    expect(s).toMatchObject({host: '203.0.113.5', protocol: 'http', secretSet: false})
  })

  it('an empty or quoted-empty secret is not set; the secrets compare by value, quotes as oslo.config strips them', () => {
    expect(settings().secretSet).toBe(true)
    expect(agentNovaSettings([{content: '[DEFAULT]\nmetadata_proxy_shared_secret = ""\n', path: AGENT_INI}], 'neutron')!.secretSet).toBe(false)
    const agent = agentSecret([{content: `[DEFAULT]\nmetadata_proxy_shared_secret = "${SECRET}"\n`, path: AGENT_INI}])
    const nova = novaSecret({content: `[neutron]\nservice_metadata_proxy = true\nmetadata_proxy_shared_secret = ${SECRET}\n`, path: NOVA_CONF})
    expect(sameSecret(agent, nova)).toBe(true)
    expect(sameSecret(agent, `${SECRET}x`)).toBe(false)
  })
})

describe("Nova's side", () => {
  it('[neutron] names (Kilo on), the proxy-headers option, and the names a fix writes', () => {
    const s = novaSide(
      {
        content: '[neutron]\nservice_metadata_proxy = False\nmetadata_proxy_shared_secret = x\n[oslo_middleware]\nenable_proxy_headers_parsing = True\n',
        path: NOVA_CONF,
      },
      'neutron',
    )
    expect(s).toMatchObject({proxy: false, proxyHeaders: true, proxyOption: {key: 'service_metadata_proxy', section: 'neutron'}, secretSet: true})
    expect(s.secretAt).toBe(`${NOVA_CONF}:3: [neutron] metadata_proxy_shared_secret = <redacted>`)
  })

  it("Grizzly's [DEFAULT] service_quantum_metadata_proxy and quantum_metadata_proxy_shared_secret", () => {
    const s = novaSide({content: '[DEFAULT]\nservice_quantum_metadata_proxy = True\nquantum_metadata_proxy_shared_secret = x\n', path: NOVA_CONF}, 'quantum')
    expect(s).toMatchObject({proxy: true, secretOption: {key: 'quantum_metadata_proxy_shared_secret', section: 'DEFAULT'}, secretSet: true})
    expect(novaSecret({content: '[DEFAULT]\nquantum_metadata_proxy_shared_secret = abc\n', path: NOVA_CONF})).toBe('abc')
  })

  it('nothing set: the switch is off (upstream default), written as [neutron] for Neutron and [DEFAULT] quantum names for Quantum', () => {
    const none = novaSide({content: '[DEFAULT]\n', path: NOVA_CONF}, 'neutron')
    expect(none.proxy).toBeUndefined()
    expect(none.proxyOption).toEqual({key: 'service_metadata_proxy', section: 'neutron'})
    expect(novaSide({content: '[DEFAULT]\n', path: NOVA_CONF}, 'quantum')).toMatchObject({
      proxyOption: {key: 'service_quantum_metadata_proxy', section: 'DEFAULT'},
    })
  })
})

const novaConf = (body: string) => ({content: body, path: NOVA_CONF, state: 'present' as const})

describe('nova.config', () => {
  it('not on this node and not given: skipped as not asked, the network can still be healthy', () => {
    const f = judge(withNova({agent: settings()}), 'nova.config')
    expect(f).toMatchObject({skipped: 'not-asked', status: 'skip'})
  })

  it('secrets differ: fails naming both files and options, printing neither value', () => {
    const ev = withNova({
      agent: settings(),
      config: novaConf('[neutron]\nservice_metadata_proxy = true\nmetadata_proxy_shared_secret = <redacted>\n'),
      secrets: 'differ',
    })
    const f = judge(ev, 'nova.config')
    expect(f.status).toBe('fail')
    expect(f.summary).toContain(
      `(${AGENT_INI}) differs from Nova's [neutron] metadata_proxy_shared_secret (${NOVA_CONF}): Nova rejects every signature, instances get 403`,
    )
    expect(f.fix).toMatchObject({command: `grep -nE '^[[:space:]]*((quantum|neutron)_)?metadata_proxy_shared_secret' ${AGENT_INI} ${NOVA_CONF}`})
    expect(everything(ev)).not.toContain(SECRET)
  })

  it('the switch off: 404 for every instance, the fix the config line; with proxy headers on a warning (Nova goes by the address)', () => {
    const off = judge(withNova({agent: settings(), config: novaConf('[neutron]\nservice_metadata_proxy = false\n'), secrets: 'equal'}), 'nova.config')
    expect(off).toMatchObject({fix: {file: NOVA_CONF, section: 'neutron', set: 'service_metadata_proxy = true'}, status: 'fail'})
    expect(off.summary).toMatch(/instances get 404$/)
    const trap = judge(
      withNova({
        agent: settings(),
        config: novaConf('[neutron]\nservice_metadata_proxy = false\n[oslo_middleware]\nenable_proxy_headers_parsing = true\n'),
        secrets: 'equal',
      }),
      'nova.config',
    )
    expect(trap.status).toBe('warn')
    expect(trap.summary).toMatch(/finds the instance by X-Forwarded-For/)
  })

  it('on, secrets equal: passes; both empty: warns', () => {
    expect(
      judge(
        withNova({
          agent: settings(),
          config: novaConf('[neutron]\nservice_metadata_proxy = true\nmetadata_proxy_shared_secret = <redacted>\n'),
          secrets: 'equal',
        }),
        'nova.config',
      ).status,
    ).toBe('pass')
    const empty = judge(withNova({agent: settings(), config: novaConf('[neutron]\nservice_metadata_proxy = true\n'), secrets: 'equal'}), 'nova.config')
    expect(empty.status).toBe('warn')
  })
})

describe('nova.reach', () => {
  const reach = (r: NovaEvidence['reach'], extra = '') => judge(withNova({agent: settings(extra), reach: r}), 'nova.reach')
  const base = {from: 'here', url: 'http://127.0.0.1:8775/'}

  it('not asked without --probe; 200 passes', () => {
    expect(judge(withNova({agent: settings(), reach: {...base, status: 200}}), 'nova.reach', false)).toMatchObject({skipped: 'not-asked'})
    expect(reach({...base, status: 200}).status).toBe('pass')
  })

  it('refused: nothing listens, the fix asks Nova where the agent does', () => {
    const f = reach({...base, error: 'ECONNREFUSED'})
    expect(f.summary).toMatch(/^nothing listens at 127\.0\.0\.1:8775 \(connection refused\).*instances get 500 \(503 from Neutron 24\.0\.1 on\)$/)
    expect(f.fix).toMatchObject({command: 'curl -sS -m 5 http://127.0.0.1:8775/'})
  })

  it('https asked of a plain server, plain asked of a TLS one: the protocol line to write', () => {
    const tls = reach({...base, error: 'EPROTO', otherScheme: 'http 200', url: 'https://127.0.0.1:8775/'}, 'nova_metadata_protocol = https\n')
    expect(tls.fix).toMatchObject({file: AGENT_INI, section: 'DEFAULT', set: 'nova_metadata_protocol = http'})
    const plain = reach({...base, error: 'closed', otherScheme: 'tls'})
    expect(plain.fix).toMatchObject({file: AGENT_INI, section: 'DEFAULT', set: 'nova_metadata_protocol = https'})
  })

  it("an untrusted certificate names auth_ca_cert; the compute API's 401 is not Nova's metadata", () => {
    const cert = reach({...base, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', url: 'https://127.0.0.1:8775/'}, 'nova_metadata_protocol = https\n')
    expect(cert.summary).toMatch(/not trusted by the agent \(DEPTH_ZERO_SELF_SIGNED_CERT; auth_ca_cert is not set\)/)
    expect(reach({...base, status: 401}).summary).toMatch(/answered 401 to GET \//)
  })
})

describe('nova.answer', () => {
  const ports = (list: object[]) => ({
    api: {host: 'h', hostFrom: 'x', records: [{body: JSON.stringify({ports: list}), method: 'GET', path: `/ports?network_id=${ZED_NET}`, status: 200}]},
  })

  it('200: the chain works to Nova for the instance', () => {
    expect(judge(withNova({agent: settings(), asInstance: asked(200, {bytes: 55})}), 'nova.answer')).toMatchObject({status: 'pass'})
  })

  it('403: the secret, both files named, no value printed', () => {
    const ev = withNova({agent: settings(), asInstance: asked(403, {errorBody: '<h1>403 Forbidden</h1>\n Access was denied to this resource.'})})
    const f = judge(ev, 'nova.answer')
    expect(f.summary).toBe(
      `asked as 198.51.100.7: 403, Nova rejects the agent's signature: metadata_proxy_shared_secret in [DEFAULT] of ${AGENT_INI} and [neutron] metadata_proxy_shared_secret in nova.conf of Nova's metadata API differ`,
    )
    expect(f.evidence).toContain(`the agent's page: "403 Forbidden Access was denied to this resource."`)
    expect(everything(ev)).not.toContain(SECRET)
  })

  it('404 with no port holding the address: said from the API answer', () => {
    const ev = withNova(
      {agent: settings(), asInstance: asked(404)},
      ports([{device_owner: 'compute:nova', fixed_ips: [{ip_address: '198.51.100.9', subnet_id: 's'}], id: 'p1'}]),
    )
    expect(judge(ev, 'nova.answer').summary).toBe(
      `asked as 198.51.100.7: 404, no port of network ${ZED_NET} has 198.51.100.7 (the API's ports), so the agent finds no instance and asks Nova nothing`,
    )
  })

  it("404 with Nova's switch off in its config: the config line", () => {
    const ev = withNova({agent: settings(), asInstance: asked(404), config: novaConf('[neutron]\nservice_metadata_proxy = False\n')})
    expect(judge(ev, 'nova.answer')).toMatchObject({fix: {file: NOVA_CONF, set: 'service_metadata_proxy = true'}, status: 'fail'})
  })

  it('404 otherwise: the instance of the port, and the project to check', () => {
    const ev = withNova(
      {agent: settings(), asInstance: asked(404)},
      ports([{device_id: 'inst-1', device_owner: 'compute:nova', fixed_ips: [{ip_address: '198.51.100.7', subnet_id: 's'}], id: 'p1', project_id: 'projA'}]),
    )
    const f = judge(ev, 'nova.answer')
    expect(f.summary).toMatch(/^asked as 198\.51\.100\.7: 404 from Nova for instance inst-1: /)
    expect(f.fix).toMatchObject({command: 'openstack server show inst-1 -c id -c project_id -c status'})
  })

  it("500 (Zed) with Nova refused: the agent cannot reach Nova; 503 with the 24.0.1 agent's page: the same", () => {
    const refused = withNova({agent: settings(), asInstance: asked(500), reach: {error: 'ECONNREFUSED', from: 'here', url: 'http://127.0.0.1:8775/'}})
    expect(judge(refused, 'nova.answer').summary).toBe('asked as 198.51.100.7: 500, the agent cannot reach Nova')
    const page = 'The remote metadata server is temporarily unavailable. Please try again later.'
    const r503 = withNova({
      agent: settings(),
      asInstance: asked(503, {errorBody: page}),
      reach: {error: 'timeout', from: 'here', url: 'http://127.0.0.1:8775/'},
    })
    expect(judge(r503, 'nova.answer').summary).toBe('asked as 198.51.100.7: 503, the agent cannot reach Nova')
  })

  it('500 while Nova answers GET /: Nova failed on this instance', () => {
    const ev = withNova({agent: settings(), asInstance: asked(500), reach: {from: 'here', status: 200, url: 'http://127.0.0.1:8775/'}})
    expect(judge(ev, 'nova.answer').summary).toMatch(/Nova answers GET \/, so Nova failed on this instance/)
  })

  it('no answer in time: the black hole, and 504 for instances', () => {
    const f = judge(withNova({agent: settings(), asInstance: asked(undefined, {error: 'timeout', timeoutMs: 10_000})}), 'nova.answer')
    expect(f.summary).toMatch(/no answer within 10 s: the agent waits on Nova.*504 from the proxy after about 32 s$/)
  })

  it('--probe on a network with no instance: not asked, never unjudged', () => {
    const f = judge(
      withNova({agent: settings(), asInstanceSkipped: 'no instance port of the network in the API answer or the leases (give --probe-as IP)'}),
      'nova.answer',
    )
    expect(f).toMatchObject({skipped: 'not-asked', status: 'skip'})
  })
})
