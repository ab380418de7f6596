/**
 * globalSetup of the `cli` project (test/cli/): its tests spawn the built binary (bin/run.js loads
 * dist/), so a dist/ older than its sources would test old code. `npm run build` runs first when dist/
 * or oclif.manifest.json (the build's last step writes it) is missing, or when a source of the build
 * (src/, package.json, package-lock.json, tsconfig.json, scripts/build.mjs, man.mjs, sea.mjs) is newer than that
 * manifest. When dist/ is fresh this is one walk of src/: milliseconds.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const STAMP = join(ROOT, 'oclif.manifest.json')
const INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/man.mjs', 'scripts/sea.mjs']

/** the newest file under dir (recursively), or undefined for an empty or missing dir */
function newest(dir: string): {path: string; mtimeMs: number} | undefined {
  let best: {path: string; mtimeMs: number} | undefined
  for (const e of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    if (!e.isFile()) continue
    const path = join(e.parentPath, e.name)
    const {mtimeMs} = statSync(path)
    if (!best || mtimeMs > best.mtimeMs) best = {mtimeMs, path}
  }
  return best
}

/**
 * A manifest `oclif manifest` wrote under NODE_ENV=test or development: its commands point at
 * src/commands/*.ts, which the built binary cannot load (ERR_UNKNOWN_FILE_EXTENSION without a TS
 * loader; with one, the commands run from src/ and not from dist/).
 */
function developmentManifest(stamp: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(stamp, 'utf8')) as {commands?: Record<string, {relativePath?: string[]}>}
    return Object.values(manifest.commands ?? {}).some((c) => c.relativePath?.[0] !== 'dist')
  } catch {
    return true
  }
}

/** why dist/ must be built again, or undefined when it is up to date */
export function staleBecause(root = ROOT): string | undefined {
  const stamp = join(root, 'oclif.manifest.json')
  if (!existsSync(join(root, 'dist', 'run.js')) || !existsSync(stamp)) return 'dist/ is not built'
  // the build's step after the manifest: the man page (scripts/man.mjs)
  if (!existsSync(join(root, 'quantum-meta.1'))) return 'quantum-meta.1 is not built'
  // and the last, the single executable (scripts/sea.mjs)
  if (!existsSync(join(root, 'dist', 'quantum-meta.sha256'))) return 'dist/quantum-meta is not built'
  if (developmentManifest(stamp)) return 'oclif.manifest.json names src/*.ts (written under NODE_ENV=test)'
  const built = statSync(stamp).mtimeMs
  const src = newest(join(root, 'src'))
  if (src && src.mtimeMs > built) return `${src.path.slice(root.length)} is newer than dist/`
  for (const f of INPUTS) {
    const p = join(root, f)
    if (existsSync(p) && statSync(p).mtimeMs > built) return `${f} is newer than dist/`
  }
  return undefined
}

export default function setup(): void {
  const why = staleBecause()
  if (!why) return
  console.log(`cli tests: ${why}: npm run build`)
  // vitest sets NODE_ENV=test, under which `oclif manifest` (the build's last step) writes a development
  // manifest naming src/commands/*.ts: build with the environment of a shell, without NODE_ENV
  const {NODE_ENV: _, ...env} = process.env
  const r = spawnSync('npm', ['run', 'build'], {cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit']})
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal}): the cli tests need a built dist/`)
  if (!existsSync(STAMP)) throw new Error('npm run build wrote no oclif.manifest.json')
  if (developmentManifest(STAMP)) throw new Error('npm run build wrote an oclif.manifest.json naming src/*.ts, not dist/')
}
