/** From flags + environment (+ clouds.yaml) to an authenticated Neutron client. */
import {loadCloud} from './clouds.js'
import {type OsFlags, resolveCredentials} from './credentials.js'
import {authenticate} from './keystone.js'
import {NeutronClient} from './neutron.js'

export async function connect(flags: OsFlags, env: NodeJS.ProcessEnv = process.env): Promise<NeutronClient> {
  const cloudName = flags['os-cloud'] ?? (env.OS_CLOUD || undefined)
  const cloud = cloudName ? await loadCloud(cloudName, env) : undefined
  const creds = resolveCredentials({...flags, insecure: flags.insecure || undefined}, env, cloud)
  const session = await authenticate(creds)
  return new NeutronClient(session, creds)
}
