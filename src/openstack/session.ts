/** From flags + environment (+ clouds.yaml) to an authenticated Neutron client. */
import {loadCloud} from './clouds.js'
import {usageError} from '../errors.js'
import {type Credentials, type OsFlags, resolveCredentials} from './credentials.js'
import {authenticate} from './keystone.js'
import {NeutronClient} from './neutron.js'

export async function connect(flags: OsFlags, env: NodeJS.ProcessEnv = process.env): Promise<NeutronClient> {
  return (await connectWith(flags, env)).neutron
}

/** connect(), with the credentials it resolved (their interface and region pick other services from the catalog). */
export async function connectWith(flags: OsFlags, env: NodeJS.ProcessEnv = process.env): Promise<{neutron: NeutronClient; creds: Credentials}> {
  const cloudName = flags['os-cloud'] ?? (env.OS_CLOUD || undefined)
  const cloud = cloudName ? await loadCloud(cloudName, env) : undefined
  const creds = resolveCredentials({...flags, insecure: flags.insecure || undefined}, env, cloud)
  const session = await authenticate(creds)
  return {creds, neutron: new NeutronClient(session, creds)}
}

/** Neutron's limit on a network name: a longer argument is no name, and is not sent. */
const MAX_NAME = 255

/**
 * The id of the one network named `name` (diagnose NAME, collect NAME), asked of the API with the
 * name URL-encoded in the query (never a path, never a shell); none or several: exit 2. Says which
 * id it took on stderr unless `quiet` (--json).
 */
export async function networkIdByName(name: string, flags: OsFlags, quiet: boolean, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (name.length > MAX_NAME) throw usageError('bad-net-id', `a network name is at most ${MAX_NAME} characters, got ${name.length}`)
  const neutron = await connect(flags, env)
  const {id} = await neutron.findNetwork(name, true)
  if (!quiet) process.stderr.write(`network ${name} is ${id}\n`)
  return id
}
