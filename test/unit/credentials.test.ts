// Credentials resolution (flags > OS_* > clouds.yaml), clouds.yaml/secure.yaml loading, the catalog
// endpoint choice and the error bodies of both API generations.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadCloud} from '../../src/openstack/clouds.js'
import {hasCredentials, parseTimeout, resolveCredentials} from '../../src/openstack/credentials.js'
import {applicationCredential, networkBase, pickEndpoint} from '../../src/openstack/keystone.js'
import {apiError} from '../../src/openstack/neutron.js'
import {errorText} from '../../src/openstack/neutron-errors.js'
import {redact} from '../../src/output.js'
import {shownArgv} from '../../src/fleet/ssh.js'

const ENV = {OS_AUTH_URL: 'http://env:5000/v3', OS_PASSWORD: 'envpw', OS_PROJECT_NAME: 'envproj', OS_USERNAME: 'envuser'}
const CLOUD = {
  entry: {auth: {auth_url: 'http://cloud:5000/v3', password: 'cloudpw', project_name: 'cloudproj', username: 'clouduser'}, region_name: 'R2'},
  name: 'prod',
}

describe('credentials', () => {
  it('a flag beats the environment, which beats clouds.yaml', () => {
    const c = resolveCredentials({'os-username': 'flaguser'}, ENV, CLOUD)
    expect([c.username, c.password, c.projectName, c.authUrl, c.regionName]).toEqual(['flaguser', 'envpw', 'envproj', 'http://env:5000/v3', 'R2'])
    const fromCloud = resolveCredentials({}, {}, CLOUD)
    expect([fromCloud.username, fromCloud.authUrl, fromCloud.cloud]).toEqual(['clouduser', 'http://cloud:5000/v3', 'prod'])
  })

  it('OS_TENANT_NAME is the Grizzly name of the project; OS_URL of the endpoint', () => {
    const c = resolveCredentials({}, {OS_AUTH_URL: 'http://k:5000/v2.0', OS_PASSWORD: 'p', OS_TENANT_NAME: 'demo', OS_USERNAME: 'u'})
    expect(c.projectName).toBe('demo')
    expect(resolveCredentials({}, {OS_TOKEN: 't', OS_URL: 'http://q:9696'})).toMatchObject({authType: 'token', endpoint: 'http://q:9696'})
  })

  it('noauth needs an endpoint; password auth names what is missing (exit 2)', () => {
    expect(() => resolveCredentials({'os-auth-type': 'none'}, {})).toThrow(/--os-endpoint/)
    expect(() => resolveCredentials({}, {OS_AUTH_URL: 'http://k/v3'})).toThrow(/missing OS_USERNAME, OS_PASSWORD/)
    expect(hasCredentials({}, {})).toBe(false)
    expect(hasCredentials({}, {OS_CLOUD: 'x'})).toBe(true)
  })

  it('an auth type outside the supported ones is exit 2 naming where it came from, never read as password', () => {
    expect(() => resolveCredentials({'os-auth-type': 'bogus'}, {})).toThrow(
      '--os-auth-type: unsupported auth type "bogus"; supported: password, v3password, v2password, token, v3token, v2token, v3applicationcredential, none, noauth',
    )
    expect(() => resolveCredentials({}, {...ENV, OS_AUTH_TYPE: 'v3oidcpassword'})).toThrow(/^OS_AUTH_TYPE: unsupported auth type "v3oidcpassword"/)
    expect(() => resolveCredentials({}, {}, {entry: {...CLOUD.entry, auth_type: 'v3oidcpassword'}, name: 'prod'})).toThrow(
      /^auth_type of cloud prod in clouds.yaml: unsupported/,
    )
    expect(resolveCredentials({'os-auth-type': 'v3password'}, ENV).authType).toBe('password')
    expect(resolveCredentials({'os-auth-type': 'v3token'}, {OS_ENDPOINT: 'http://q:9696', OS_TOKEN: 't'}).authType).toBe('token')
    expect(resolveCredentials({'os-auth-type': 'noauth'}, {OS_ENDPOINT: 'http://q:9696'}).authType).toBe('none')
  })

  it('clouds.yaml verify: false means insecure; secure.yaml is merged over the cloud', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-clouds-'))
    try {
      writeFileSync(
        join(dir, 'clouds.yaml'),
        'clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: admin\n      project_name: admin\n    region_name: RegionOne\n    verify: false\n',
      )
      writeFileSync(join(dir, 'secure.yaml'), 'clouds:\n  lab:\n    auth:\n      password: s3cret\n')
      const cloud = await loadCloud('lab', {}, dir)
      const c = resolveCredentials({}, {}, cloud)
      expect(c).toMatchObject({authUrl: 'http://127.0.0.1:5000/v3', insecure: true, password: 's3cret', regionName: 'RegionOne', username: 'admin'})
      await expect(loadCloud('nope', {}, dir)).rejects.toThrow(/has no cloud named "nope" \(it has: lab\)/)
    } finally {
      rmSync(dir, {force: true, recursive: true})
    }
  })
})

describe('application credentials', () => {
  const AC = {OS_APPLICATION_CREDENTIAL_SECRET: 's3cret', OS_AUTH_TYPE: 'v3applicationcredential', OS_AUTH_URL: 'http://k:5000/v3'}
  it('by id: {id, secret}; by name: {name, secret, user} with the user id, or its name and domain', () => {
    const byId = resolveCredentials({}, {...AC, OS_APPLICATION_CREDENTIAL_ID: 'ac1'})
    expect(byId.authType).toBe('application-credential')
    expect(applicationCredential(byId)).toEqual({id: 'ac1', secret: 's3cret'})
    const byName = resolveCredentials({'os-user-domain-name': 'Ops'}, {...AC, OS_APPLICATION_CREDENTIAL_NAME: 'n', OS_USERNAME: 'u'})
    expect(applicationCredential(byName)).toEqual({name: 'n', secret: 's3cret', user: {domain: {name: 'Ops'}, name: 'u'}})
    const byUserId = resolveCredentials({}, {...AC, OS_APPLICATION_CREDENTIAL_NAME: 'n', OS_USER_ID: 'uid'})
    expect(applicationCredential(byUserId)).toEqual({name: 'n', secret: 's3cret', user: {id: 'uid'}})
    const cloud = resolveCredentials(
      {},
      {},
      {
        entry: {auth: {application_credential_id: 'c1', application_credential_secret: 'cs', auth_url: 'http://c/v3'}, auth_type: 'v3applicationcredential'},
        name: 'ci',
      },
    )
    expect(applicationCredential(cloud)).toEqual({id: 'c1', secret: 'cs'})
  })

  it('the secret is hidden as the password is: a logged command line, an ssh argv', () => {
    expect(redact(['--os-application-credential-secret', 'ac-s', '--os-application-credential-secret=ac-s2', '--os-password', 'pw'])).toEqual([
      '--os-application-credential-secret',
      '***',
      '--os-application-credential-secret=***',
      '--os-password',
      '***',
    ])
    expect(shownArgv(['--', 'h', 'quantum-meta', '--os-application-credential-secret', 'ac-s'])).toEqual([
      '--',
      'h',
      'quantum-meta',
      '--os-application-credential-secret',
      '***',
    ])
    expect(shownArgv(['--', 'h', 'OS_APPLICATION_CREDENTIAL_SECRET=ac-s', 'quantum-meta'])).toContain('OS_APPLICATION_CREDENTIAL_SECRET=***')
  })

  it('names what is missing (exit 2); never falls back to a password', () => {
    expect(() => resolveCredentials({}, AC)).toThrow(
      /missing OS_APPLICATION_CREDENTIAL_ID \(or OS_APPLICATION_CREDENTIAL_NAME\)$|missing OS_APPLICATION_CREDENTIAL_ID/,
    )
    expect(() => resolveCredentials({}, {...AC, OS_APPLICATION_CREDENTIAL_NAME: 'n'})).toThrow(/missing OS_USERNAME or OS_USER_ID/)
    expect(() => resolveCredentials({}, {...AC, OS_APPLICATION_CREDENTIAL_ID: 'a', OS_APPLICATION_CREDENTIAL_SECRET: ''})).toThrow(
      /missing OS_APPLICATION_CREDENTIAL_SECRET/,
    )
    expect(resolveCredentials({}, {...AC, OS_APPLICATION_CREDENTIAL_ID: 'a', OS_PASSWORD: 'p', OS_USERNAME: 'u'}).authType).toBe('application-credential')
  })
})

describe('API timeout', () => {
  it('--os-timeout beats OS_TIMEOUT, which beats api_timeout in clouds.yaml; unset is the default', () => {
    const cloud = {entry: {...CLOUD.entry, api_timeout: 45}, name: 'prod'}
    expect(resolveCredentials({'os-timeout': '5'}, {...ENV, OS_TIMEOUT: '7'}, cloud).timeoutS).toBe(5)
    expect(resolveCredentials({}, {...ENV, OS_TIMEOUT: '7'}, cloud).timeoutS).toBe(7)
    expect(resolveCredentials({}, {}, cloud).timeoutS).toBe(45)
    expect(resolveCredentials({}, ENV).timeoutS).toBeUndefined()
  })

  it('whole seconds 1..3600, else exit 2 naming the setting', () => {
    expect(parseTimeout('1', 'x')).toBe(1)
    expect(parseTimeout('3600', 'x')).toBe(3600)
    for (const bad of ['0', 'abc', '-1', '1.5', '3601', '', '1e3', '0x10'])
      expect(() => parseTimeout(bad, '--os-timeout'), bad).toThrow(/^--os-timeout must be whole seconds from 1 to 3600/)
    expect(() => resolveCredentials({}, {...ENV, OS_TIMEOUT: 'abc'})).toThrow(/^OS_TIMEOUT must be/)
    expect(() => resolveCredentials({}, {}, {entry: {...CLOUD.entry, api_timeout: 0}, name: 'prod'})).toThrow(
      /^api_timeout of cloud prod in clouds.yaml must be/,
    )
    try {
      parseTimeout('0', 'OS_TIMEOUT')
    } catch (error) {
      expect((error as {exit: number}).exit).toBe(2)
    }
  })
})

describe('catalog and errors', () => {
  it('appends /v2.0 exactly once', () => {
    expect(networkBase('http://127.0.0.1:9696')).toBe('http://127.0.0.1:9696/v2.0')
    expect(networkBase('http://127.0.0.1:9696/')).toBe('http://127.0.0.1:9696/v2.0')
    expect(networkBase('http://q:9696/v2.0/')).toBe('http://q:9696/v2.0')
  })

  it('picks the network endpoint by interface and region (v3 and v2.0 catalogs)', () => {
    const v3 = [
      {endpoints: [{interface: 'public', region_id: 'RegionOne', url: 'http://k:5000/v3/'}], type: 'identity'},
      {
        endpoints: [
          {interface: 'public', region_id: 'RegionOne', url: 'http://pub:9696'},
          {interface: 'internal', region_id: 'RegionOne', url: 'http://int:9696'},
          {interface: 'public', region_id: 'RegionTwo', url: 'http://pub2:9696'},
        ],
        type: 'network',
      },
    ]
    expect(pickEndpoint(v3, 'v3', {interface: 'public'})).toBe('http://pub:9696/v2.0')
    expect(pickEndpoint(v3, 'v3', {interface: 'internal', regionName: 'RegionOne'})).toBe('http://int:9696/v2.0')
    expect(pickEndpoint(v3, 'v3', {interface: 'public', regionName: 'RegionTwo'})).toBe('http://pub2:9696/v2.0')
    expect(() => pickEndpoint(v3, 'v3', {interface: 'admin'})).toThrow(/no admin network endpoint/)
    const v2 = [{endpoints: [{adminURL: 'http://adm:9696/', publicURL: 'http://pub:9696/', region: 'RegionOne'}], type: 'network'}]
    expect(pickEndpoint(v2, 'v2.0', {interface: 'admin'})).toBe('http://adm:9696/v2.0')
  })

  it('reads both error bodies and maps statuses to exit codes', () => {
    expect(errorText('{"QuantumError": "Network abc could not be found"}')).toBe('Network abc could not be found')
    expect(errorText('{"NeutronError": {"type": "NetworkNotFound", "message": "Network x could not be found.", "detail": ""}}')).toBe(
      'NetworkNotFound: Network x could not be found.',
    )
    expect(apiError({status: 401, text: '{"error": {"message": "The request you have made requires authentication."}}'}, 'GET /networks')).toMatchObject({
      exit: 3,
    })
    expect(apiError({status: 404, text: '{}'}, 'x')).toMatchObject({exit: 2})
    expect(
      apiError({status: 409, text: '{"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: [\'subnet\'].", "detail": ""}}'}, 'x')
        .exit,
    ).toBe(1)
    expect(apiError({status: 503, text: '<html><body>Service Unavailable</body></html>'}, 'x').message).toBe('x: HTTP 503: Service Unavailable')
  })
})
