// What collect keeps of metadata_agent.ini: every line, secret values replaced.
import {describe, expect, it} from 'vitest'

import {redactIniSecrets} from '../../src/config/secrets.js'

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
