// What collect keeps of metadata_agent.ini: every line, secret values replaced.
import {describe, expect, it} from 'vitest'

import {keepOnlyKeys, redactIniSecrets} from '../../src/config/secrets.js'

describe('redactIniSecrets', () => {
  it('replaces secret, password and token values and nothing else, keeping layout and line endings', () => {
    const text = '[DEFAULT]\r\nmetadata_proxy_shared_secret = s3cr3t\r\n# metadata_proxy_shared_secret = commented\r\nadmin_password=pw\r\nauth_token: tok \r\nnova_metadata_host = 10.0.0.5\r\n'
    expect(redactIniSecrets(text)).toBe(
      '[DEFAULT]\r\nmetadata_proxy_shared_secret = <redacted>\r\n# metadata_proxy_shared_secret = commented\r\nadmin_password=<redacted>\r\nauth_token: <redacted> \r\nnova_metadata_host = 10.0.0.5\r\n',
    )
  })

  it('an empty secret stays empty: whether one is set is the point of the check', () => {
    expect(redactIniSecrets('[DEFAULT]\nmetadata_proxy_shared_secret =\n')).toBe('[DEFAULT]\nmetadata_proxy_shared_secret =\n')
  })
})

describe('keepOnlyKeys (what collect keeps of the other files the DHCP agent reads)', () => {
  it('keeps headers and the named switches on their own line numbers, blanks the rest (transport_url and its password included)', () => {
    const conf = '[DEFAULT]\ntransport_url = rabbit://neutron:s3cr3t@10.0.0.5:5672/\nforce_metadata = True\n  continued\n[database]\nconnection = mysql+pymysql://neutron:pw@db/neutron\n'
    const kept = keepOnlyKeys(conf, ['force_metadata', 'enable_isolated_metadata'])
    expect(kept).toBe('[DEFAULT]\n\nforce_metadata = True\n\n[database]\n\n')
    expect(kept.split('\n')).toHaveLength(conf.split('\n').length)
  })
})
