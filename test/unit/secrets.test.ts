// What collect keeps of the files and processes it reads: every line, secret values replaced.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {keepOnlyKeys, quotableLine, redactCmdline, redactHaproxyConfig, redactIniSecrets, redactUrlUserinfo} from '../../src/config/secrets.js'
import {parseIni} from '../../src/config/oslo-ini.js'

describe('redactIniSecrets', () => {
  it('replaces secret, password and token values and nothing else, keeping layout and line endings', () => {
    const text = '[DEFAULT]\r\nmetadata_proxy_shared_secret = s3cr3t\r\nadmin_password=pw\r\nauth_token: tok \r\nnova_metadata_host = 10.0.0.5\r\n'
    expect(redactIniSecrets(text)).toBe(
      '[DEFAULT]\r\nmetadata_proxy_shared_secret = <redacted>\r\nadmin_password=<redacted>\r\nauth_token: <redacted> \r\nnova_metadata_host = 10.0.0.5\r\n',
    )
  })

  it('an empty secret stays empty (also a quoted empty one): whether one is set is the point of the check', () => {
    expect(redactIniSecrets('[DEFAULT]\nmetadata_proxy_shared_secret =\n')).toBe('[DEFAULT]\nmetadata_proxy_shared_secret =\n')
    expect(redactIniSecrets('[DEFAULT]\nmetadata_proxy_shared_secret = ""\n')).toBe('[DEFAULT]\nmetadata_proxy_shared_secret = ""\n')
    expect(redactIniSecrets('[ovs]\n#ssl_key_file = <None>\n')).toBe('[ovs]\n#ssl_key_file = <None>\n')
  })

  it('continuation lines of a secret, commented-out secrets, odd key names, every section', () => {
    const text = [
      '[DEFAULT]',
      'metadata_proxy_shared_secret = first',
      '  SECOND-LINE',
      '\tTHIRD-LINE',
      '#metadata_proxy_shared_secret = OLD1',
      '# admin_password = OLD2',
      ';; auth_token: OLD3',
      '#   continued-comment-secret',
      'My Secret Key = ODD1',
      'rabbit.PASSWD = ODD2',
      'MemcacheSecretKey: ODD3',
      'ssl_key_file = /etc/neutron/KEYPATH.pem',
      'enable_isolated_metadata = True',
      '[keystone_authtoken]',
      'password = KSPW',
      'nova_client_priv_key = /etc/PRIV',
      '[oslo_messaging_rabbit]',
      'rabbit_password = "QUOTED"',
      'credentials = CRED',
      '',
    ].join('\n')
    const out = redactIniSecrets(text)
    for (const s of ['first', 'SECOND-LINE', 'THIRD-LINE', 'OLD1', 'OLD2', 'OLD3', 'ODD1', 'ODD2', 'ODD3', 'KEYPATH', 'KSPW', 'PRIV', 'QUOTED', 'CRED']) {
      expect(out, s).not.toContain(s)
    }
    expect(out.split('\n')).toHaveLength(text.split('\n').length)
    expect(out).toContain('  <redacted>\n\t<redacted>\n#metadata_proxy_shared_secret = <redacted>\n# admin_password = <redacted>\n')
    expect(out).toContain('enable_isolated_metadata = True\n[keystone_authtoken]\n')
  })

  it('the password of any URL with userinfo, in any key, multi-host included; a user name alone stays', () => {
    const text =
      '[DEFAULT]\ntransport_url = rabbit://neutron:RABBITPW@10.0.0.5:5672/\n[database]\nconnection = mysql+pymysql://neutron:DBPW@db/neutron?charset=utf8\n' +
      'x = rabbit://a:MH1@h1:5672,b:MH2@h2:5672/vhost\ny = http://only-user@host/\nz = https://u:P@SS@WORD@host:1/p\n'
    const out = redactIniSecrets(text)
    for (const s of ['RABBITPW', 'DBPW', 'MH1', 'MH2', 'SS', 'WORD']) expect(out, s).not.toContain(s)
    expect(out).toContain('transport_url = rabbit://neutron:<redacted>@10.0.0.5:5672/')
    expect(out).toContain('connection = mysql+pymysql://neutron:<redacted>@db/neutron?charset=utf8')
    expect(out).toContain('y = http://only-user@host/')
  })

  it('keeps every value a check reads', () => {
    const text =
      '[DEFAULT]\nenable_isolated_metadata = True\nforce_metadata = yes\nenable_metadata_network = False\nroot_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf\n' +
      'state_path = /var/lib/neutron\nmetadata_proxy_socket = /var/lib/neutron/metadata_proxy\nnova_metadata_host = 10.0.0.5\nnova_metadata_ip = 10.0.0.6\nnova_metadata_port = 8775\n'
    expect(redactIniSecrets(text)).toBe(text)
  })

  it('a line oslo.config cannot read goes whole when it names a secret (a parse error quotes it)', () => {
    expect(redactIniSecrets('[DEFAULT]\nadmin_password LOOSE\nplain junk\n')).toBe('[DEFAULT]\n<redacted>\nplain junk\n')
    expect(quotableLine('metadata_proxy_shared_secret LOOSE')).toBe('<redacted>')
    expect(quotableLine('x = http://u:PW@h')).toBe('<redacted>')
    expect(quotableLine('plain junk')).toBe('plain junk')
  })

  it('property: same lines, same parse structure, idempotent, and a planted secret never survives', () => {
    const key = fc.constantFrom('password', 'admin_password', 'metadata_proxy_shared_secret', 'auth_token', 'Key', 'x_credential', 'passwd', 'My Secret')
    const noise = fc.constantFrom('', ' ', '\t', '"', '=', ':', '#', '[x]', 'a', 'http://', '@', 'é', '\r')
    const text = fc
      .array(
        fc.oneof(
          fc.tuple(key, fc.constantFrom(' = ', '=', ': ', ':'), fc.constantFrom('MARKER', '"MARKER"', 'a MARKER b')).map(([k, s, v]) => `${k}${s}${v}`),
          fc.tuple(fc.constantFrom('#', '# ', ';'), key).map(([c, k]) => `${c}${k} = MARKER`),
          fc.constantFrom('  MARKER'),
          fc.constantFrom('url = amqp://u:MARKER@h/', 'enable_isolated_metadata = True', '[DEFAULT]', '[database]', '', 'k = v'),
          fc.array(noise, {maxLength: 6}).map((a) => a.join('')),
        ),
        {maxLength: 20},
      )
      .map((ls) => ['[DEFAULT]', ...ls].join('\n'))
    fc.assert(
      fc.property(text, (t) => {
        const out = redactIniSecrets(t)
        expect(out.split('\n')).toHaveLength(t.split('\n').length)
        expect(redactIniSecrets(out)).toBe(out)
        let before
        try {
          before = parseIni(t)
        } catch {
          // an unreadable file stays unreadable, at the same line
          expect(() => parseIni(out)).toThrow()
          return
        }
        const after = parseIni(out)
        expect(after.assignments.map((a) => [a.section, a.key, a.line, a.endLine])).toEqual(
          before.assignments.map((a) => [a.section, a.key, a.line, a.endLine]),
        )
        // a MARKER is left only where it is not a secret's: a plain continuation of a non-secret key
        for (const [i, line] of out.split('\n').entries()) {
          if (!line.includes('MARKER')) continue
          const a = before.assignments.find((x) => x.line < i && i <= x.endLine)
          expect(a !== undefined && !/pass|pwd|secret|token|key|cred/i.test(a.key), `line ${i}: ${line}`).toBe(true)
        }
      }),
      {numRuns: 500},
    )
  })

  it('linear time: 1 MB lines of spaces, of URL starts, of "=" and of "@" take well under a second each', () => {
    const mb = 1 << 20
    for (const line of [
      `a = ${' '.repeat(mb)}x`,
      `password = ${' '.repeat(mb)}`,
      '://'.repeat(mb / 3),
      `x://${'a:'.repeat(mb / 2)}`,
      '@'.repeat(mb),
      `#${'='.repeat(mb)}`,
      ` ${'a'.repeat(mb)}`,
    ]) {
      const t0 = performance.now()
      redactIniSecrets(`[DEFAULT]\n${line}\n`)
      redactHaproxyConfig(line)
      redactCmdline(line)
      keepOnlyKeys(`[DEFAULT]\n${line}\n`, ['force_metadata'])
      expect(performance.now() - t0).toBeLessThan(1000)
    }
  })
})

describe('redactUrlUserinfo', () => {
  it('every URL in a text; a URL right after another ends the first one', () => {
    expect(redactUrlUserinfo('a http://u:A@h b x://y://v:B@h')).toBe('a http://u:<redacted>@h b x://y://v:<redacted>@h')
    expect(redactUrlUserinfo('no url here: a@b:c')).toBe('no url here: a@b:c')
  })
})

describe('redactHaproxyConfig', () => {
  it('everything after a secret or auth keyword, commented lines included; what the checks parse stays', () => {
    const conf = [
      'global',
      '    user        neutron',
      '    pidfile     /var/lib/neutron/external/pids/x.pid.haproxy',
      'userlist L',
      '    user admin insecure-password HAPW1',
      'listen listener',
      '    bind 169.254.169.254:80',
      '    server metadata /var/lib/neutron/metadata_proxy',
      '    http-request set-header X-Neutron-Network-ID 01cce415-8e2b-4096-92b5-7acc67163d79',
      '    http-request set-header X-Auth-Token HAPW2',
      '    stats auth admin:HAPW3',
      '#   stats auth admin:HAPW4',
      '    server other http://u:HAPW5@10.0.0.1:80',
    ].join('\n')
    const out = redactHaproxyConfig(conf)
    for (const s of ['HAPW1', 'HAPW2', 'HAPW3', 'HAPW4', 'HAPW5']) expect(out, s).not.toContain(s)
    expect(out).toContain('    user admin insecure-password <redacted>\n')
    expect(out).toContain(
      '    server metadata /var/lib/neutron/metadata_proxy\n    http-request set-header X-Neutron-Network-ID 01cce415-8e2b-4096-92b5-7acc67163d79\n',
    )
    expect(out).toContain('    user        neutron\n')
  })
})

describe('redactCmdline', () => {
  it('secret flags and name=value, URL passwords; the argument count and the config files stay', () => {
    const cmd = [
      '/usr/bin/python3',
      '/usr/bin/neutron-dhcp-agent',
      '--config-file',
      '/etc/neutron/neutron.conf',
      '--os-password',
      'CM1',
      '--token=CM2',
      'secret=CM3',
      '--transport-url=rabbit://u:CM4@h/',
      '--config-file=/etc/neutron/dhcp_agent.ini',
      '',
    ].join('\0')
    const out = redactCmdline(cmd)
    for (const s of ['CM1', 'CM2', 'CM3', 'CM4']) expect(out, s).not.toContain(s)
    expect(out.split('\0')).toHaveLength(cmd.split('\0').length)
    expect(out).toContain('--config-file\0/etc/neutron/neutron.conf\0')
    expect(out).toContain('--config-file=/etc/neutron/dhcp_agent.ini')
    // the setproctitle form: one title with spaces
    expect(redactCmdline('neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent --password CM5 --config-file /x)')).toBe(
      'neutron-dhcp-agent (/usr/bin/python3 /usr/bin/neutron-dhcp-agent --password <redacted> --config-file /x)',
    )
  })
})

describe('keepOnlyKeys (what collect keeps of the other files the DHCP agent reads)', () => {
  it('keeps headers and the named switches (with their continuation lines, as oslo reads them) on their own line numbers, blanks the rest', () => {
    const conf =
      '[DEFAULT]\ntransport_url = rabbit://neutron:s3cr3t@10.0.0.5:5672/\nforce_metadata = True\n  continued\n[database]\nconnection = mysql+pymysql://neutron:pw@db/neutron\n'
    const kept = keepOnlyKeys(conf, ['force_metadata', 'enable_isolated_metadata'])
    expect(kept).toBe('[DEFAULT]\n\nforce_metadata = True\n  continued\n[database]\n\n')
    expect(kept.split('\n')).toHaveLength(conf.split('\n').length)
  })
})
