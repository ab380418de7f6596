// The classifier of the metadata chain's log lines, on the verbatim lines of a real Zed agent, this
// machine's harness agents and the lab's real Nova 26.2.2 (test/fixtures/metadata-log/SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {redactLogText} from '../../../src/config/secrets.js'
import {classifyLog, cleanLogText, LOG_LINE_MAX_CHARS, lineTime, parseLogArgs} from '../../../src/parse/metadata-log.js'

const fx = (f: string) => readFileSync(new URL(`../../fixtures/metadata-log/${f}`, import.meta.url), 'utf8')
const tsv = (f: string) =>
  fx(f)
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t') as [string, string, string])

describe('classifyLog: a real Zed metadata agent (real-neutron-zed.md)', () => {
  const hits = classifyLog(cleanLogText(fx('zed-agent.log')).text)

  it('finds the 403 WARNING, the ECONNREFUSED ERROR (not its traceback lines) and every access line, each with its line and time', () => {
    expect(hits.map((h) => [h.line, h.case, h.status ?? h.reason ?? h.side])).toEqual([
      [1, 'access', 200],
      [2, 'access', 200],
      [3, 'secret-mismatch', 'agent'],
      [4, 'access', 403],
      [5, 'nova-unreachable', 'refused'],
      [9, 'access', 500],
      [10, 'access', 404],
    ])
    expect(hits[2]).toMatchObject({at: '2026-11-22T17:43:33.036', level: 'WARNING'})
    expect(hits[4]).toMatchObject({host: '127.0.0.1', level: 'ERROR', port: 8775, scheme: 'http'})
  })
})

describe('classifyLog: the harness agents (pid after the time)', () => {
  it('reads DHCP agent access lines of 200 and 404', () => {
    const hits = classifyLog(fx('harness-agent.log'))
    expect(hits.every((h) => h.case === 'access')).toBe(true)
    expect(hits.map((h) => h.status)).toEqual([200, 404, 200, 200, 404, 200, 200])
    expect(hits[0].at).toMatch(/^2026-12-07T\d\d:\d\d:\d\d\.\d{3}$/)
  })

  it("reads the OVN agent's real 'No port found' ERROR with its network and IP", () => {
    const hit = classifyLog(fx('harness-ovn-agent.log')).find((h) => h.case === 'no-port')
    expect(hit).toMatchObject({at: '2026-12-07T09:29:26.317', ip: '169.254.169.254', level: 'ERROR', network: '8ea227e5-c3e4-403d-a3bc-2208c0807bf5'})
  })
})

describe('classifyLog: the harness agent in front of a real Nova 26.2.2, broken case by case (whole log excerpts)', () => {
  const count = (f: string) => {
    const c: Record<string, number> = {}
    for (const h of classifyLog(cleanLogText(fx(f)).text)) {
      const k = [h.case, h.reason, h.case === 'access' ? h.status : undefined].filter((x) => x !== undefined).join(':')
      c[k] = (c[k] ?? 0) + 1
    }
    return c
  }

  it("the agent's log: each case once per request, no traceback line counted", () => {
    expect(count('harness-nova-cases-agent.log')).toEqual({
      'access:200': 2,
      'access:403': 2,
      'access:404': 2,
      'access:500': 2,
      'instance-gone': 2,
      'nova-unreachable:certificate': 1,
      'nova-unreachable:refused': 1,
      'nova-unreachable:tls-to-plain': 1,
      'secret-mismatch': 2,
    })
  })

  it("Nova's log: the project mismatch twice (the agent retries), the signature and proxy-off WARNINGs, uwsgi's answers", () => {
    expect(count('harness-nova-api-metadata.log')).toEqual({
      'access:200': 14,
      'access:403': 2,
      'access:404': 4,
      'project-mismatch': 2,
      'proxy-off': 3,
      'secret-mismatch': 2,
    })
    const clean = cleanLogText(fx('harness-nova-api-metadata.log')).text
    expect(clean).not.toContain('\x1b')
    expect(classifyLog(clean).find((h) => h.case === 'project-mismatch')).toMatchObject({
      at: '2026-12-07T19:33:59.207',
      instance: 'fbb1f244-1980-4773-bb67-a29fe89d9a0f',
      tenant: '29d146f8c2f54d86b3283a5117e622a7',
    })
  })
})

describe("classifyLog: each case of the lab's table (agent and Nova 26.2.2), as logged", () => {
  // the README quotes each line after its `date time pid` prefix; Nova's uwsgi lines end in oslo's colour reset
  const logged = (log: string, line: string, i: number) =>
    `2026-11-30 10:00:${String(i).padStart(2, '0')}.123 4242 ${line}${log.startsWith('nova') ? '\x1b[00m' : ''}`

  it.each(tsv('lab-lines.tsv').map(([c, log, line], i) => [c, log, line, i] as const))('%s in the %s log', (want, log, line, i) => {
    const [kind, detail] = want.split(':')
    const text = cleanLogText(logged(log, line, i)).text
    expect(text).not.toContain('\x1b')
    const hits = classifyLog(text)
    expect(hits).toHaveLength(1)
    expect(hits[0]).toMatchObject({at: `2026-11-30T10:00:${String(i).padStart(2, '0')}.123`, case: kind, line: 1})
    if (kind === 'access') expect(hits[0].status).toBe(Number(detail))
    if (kind === 'nova-unreachable') expect(hits[0].reason).toBe(detail)
  })

  it('takes the ids and the project a line names', () => {
    const lines = tsv('lab-lines.tsv')
    const one = (c: string) => classifyLog(lines.find(([k]) => k === c)![2])[0]
    expect(one('project-mismatch')).toMatchObject({instance: '22222222-3333-4444-8555-666666666602', tenant: 'labproject'})
    expect(one('instance-gone')).toMatchObject({instance: '22222222-3333-4444-8555-666666666601'})
    const nova403 = classifyLog(lines.find(([k, log]) => k === 'secret-mismatch' && log === 'nova')![2])[0]
    expect(nova403).toMatchObject({instance: '22222222-3333-4444-8555-666666666601', side: 'nova'})
  })
})

describe('classifyLog: the later releases, from their source (containers-nova.md 3.4, 3.5)', () => {
  it.each(tsv('code-lines.tsv'))('%s (%s)', (want, _log, line) => {
    const [kind, detail] = want.split(':')
    const hits = classifyLog(line)
    expect(hits.map((h) => h.case)).toEqual([kind])
    if (kind === 'nova-unreachable') expect(hits[0].reason).toBe(detail)
    if (kind === 'nova-bad-answer') expect(hits[0].status).toBe(Number(detail))
  })

  it('journald short-iso lines read the same, with the journal time', () => {
    const line =
      '2026-12-07T19:24:01+0000 node1 neutron-metadata-agent[812]: 2026-12-07 19:24:01.100 812 WARNING neutron.agent.metadata.agent [-] The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.'
    expect(classifyLog(line)[0]).toMatchObject({at: '2026-12-07T19:24:01+0000', case: 'secret-mismatch'})
  })
})

describe('hostile and odd lines', () => {
  it('a garbage or impossible timestamp gives no time, the line is still classified', () => {
    expect(lineTime('2026-13-45 99:99:99.000 WARNING x')).toBeUndefined()
    expect(lineTime('not a date')).toBeUndefined()
    const hits = classifyLog('9999-99-99 25:61:00.000 1 INFO eventlet.wsgi.server [-] 1.2.3.4,<local> "GET / HTTP/1.1" status: 200  len: 1 time: 0.1')
    expect(hits[0]).toMatchObject({case: 'access', status: 200})
    expect(hits[0].at).toBeUndefined()
  })

  it('a 10 MB line is clipped, saying how much was cut; control characters and colour codes go', () => {
    const clean = cleanLogText(`${'x'.repeat(10 * 1024 * 1024)}\nok\x07\x1b[31m red\x1b[0m\r\n`)
    const [first, second] = clean.text.split('\n')
    expect(first.length).toBeLessThan(LOG_LINE_MAX_CHARS + 40)
    expect(first).toMatch(/… \[\d+ more characters\]$/)
    expect(second).toBe('ok red')
  })

  it('NUL-filled (a sparse file) or undecodable content is binary, not kept', () => {
    expect(cleanLogText('\0'.repeat(4096)).binary).toBe(true)
    expect(cleanLogText('\ufffd'.repeat(100) + 'a').binary).toBe(true)
    expect(cleanLogText('one line\n').binary).toBe(false)
  })
})

describe('parseLogArgs', () => {
  it('reads --log-file and --log-dir in both forms, from a NUL-separated cmdline and an oslo title', () => {
    expect(
      parseLogArgs(
        '/usr/bin/python3\0/usr/bin/neutron-metadata-agent\0--config-file=/etc/neutron/neutron.conf\0--log-file=/var/log/neutron/neutron-metadata-agent.log\0',
      ),
    ).toEqual({
      logFile: '/var/log/neutron/neutron-metadata-agent.log',
    })
    expect(parseLogArgs('neutron-metadata-agent (/usr/bin/python3 /usr/bin/neutron-metadata-agent --log-dir /var/log/x --log-file a.log)')).toEqual({
      logDir: '/var/log/x',
      logFile: 'a.log',
    })
    expect(parseLogArgs('neutron-metadata-agent --config-file /etc/neutron/neutron.conf')).toEqual({})
  })
})

describe('redactLogText', () => {
  it('keeps the words of the 403 line, shortens the HMACs, hides secret values and URL passwords', () => {
    const hmac = '7a2ae3f9' + 'ab'.repeat(26) + '9d74'
    const out = redactLogText(
      [
        `WARNING nova.api.metadata.handler [-] X-Instance-ID-Signature: ${hmac} does not match the expected value: ${hmac} for id: 22222222-3333-4444-8555-666666666601.`,
        'WARNING neutron.agent.metadata.agent [-] The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.',
        "DEBUG x [-] connection = mysql+pymysql://nova:labnovadb@127.0.0.1/nova_api password=hunter2 {'admin_password': 'S3cr3t', 'X-Auth-Token': 'gAAAAtoken'} Authorization: Bearer abc.def",
      ].join('\n'),
    )
    expect(out).toContain(
      'X-Instance-ID-Signature: 7a2ae3f9…9d74 does not match the expected value: 7a2ae3f9…9d74 for id: 22222222-3333-4444-8555-666666666601.',
    )
    expect(out).toContain('This response usually occurs when shared secrets do not match.')
    for (const secret of ['labnovadb', 'hunter2', 'S3cr3t', 'gAAAAtoken', 'abc.def', hmac]) expect(out).not.toContain(secret)
    expect(redactLogText(out)).toBe(out)
  })
})
