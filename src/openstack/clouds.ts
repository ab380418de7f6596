/**
 * clouds.yaml and secure.yaml, searched as openstacksdk does: OS_CLIENT_CONFIG_FILE first, then
 * ./, ~/.config/openstack/, /etc/openstack/. The first clouds.yaml found wins; secure.yaml (same
 * places, OS_CLIENT_SECURE_FILE first) is merged over the chosen cloud.
 */
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {cannotError, usageError} from '../errors.js'
import {debug} from '../output.js'
import {readUserFile, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'
import type {CloudEntry} from './credentials.js'

function candidates(file: string, envVar: string | undefined, cwd: string): string[] {
  return [...(envVar ? [envVar] : []), join(cwd, file), join(homedir(), '.config', 'openstack', file), join('/etc/openstack', file)]
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = {...base}
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Record<string, unknown>, v) : v
  return out
}

async function load(path: string): Promise<Record<string, unknown>> {
  // yaml is CommonJS: bundled into its own chunk (scripts/build.mjs) it arrives as a default export only
  const mod = (await import('yaml')) as typeof import('yaml') & {default?: typeof import('yaml')}
  const parse = mod.parse ?? mod.default!.parse
  // regular files only (OS_CLIENT_CONFIG_FILE may name a FIFO: exit 2, not a hang), at most a few MiB
  const text = await readUserFile(path, {maxBytes: TEXT_FILE_MAX_BYTES, unreadableCode: 'clouds-yaml-unreadable'})
  let doc: unknown
  try {
    doc = parse(text)
  } catch (error) {
    throw usageError('clouds-yaml-invalid', `${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  return isObject(doc) && isObject(doc.clouds) ? (doc.clouds as Record<string, unknown>) : {}
}

export async function loadCloud(name: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<{name: string; entry: CloudEntry}> {
  const file = candidates('clouds.yaml', env.OS_CLIENT_CONFIG_FILE, cwd).find((p) => existsSync(p))
  if (!file) throw cannotError('no-clouds-yaml', `--os-cloud ${name}: no clouds.yaml in ./, ~/.config/openstack/ or /etc/openstack/`)
  debug(`read ${file}`)
  const clouds = await load(file)
  const entry = clouds[name]
  if (!isObject(entry))
    throw usageError('unknown-cloud', `${file} has no cloud named ${JSON.stringify(name)} (it has: ${Object.keys(clouds).join(', ') || 'none'})`)
  if (entry.profile !== undefined) debug(`cloud ${name} names profile ${String(entry.profile)}: vendor profiles are not looked up`)
  let merged = entry
  const secure = candidates('secure.yaml', env.OS_CLIENT_SECURE_FILE, cwd).find((p) => existsSync(p))
  if (secure) {
    debug(`read ${secure}`)
    const s = (await load(secure))[name]
    if (isObject(s)) merged = merge(entry, s)
  }
  return {entry: merged as CloudEntry, name}
}
