/**
 * globalSetup of the `cli` project (test/cli/): its tests spawn the built binary (bin/run.js loads
 * dist/), so a dist/ older than its sources would test old code. `npm run build` runs first when dist/
 * or oclif.manifest.json (the build's last step writes it) is missing, or when a source of the build
 * (src/, package.json, package-lock.json, tsconfig.json, scripts/build.mjs) is newer than that
 * manifest. When dist/ is fresh this is one walk of src/: milliseconds.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const STAMP = join(ROOT, 'oclif.manifest.json')
const INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs']

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

/** why dist/ must be built again, or undefined when it is up to date */
export function staleBecause(root = ROOT): string | undefined {
  const stamp = join(root, 'oclif.manifest.json')
  if (!existsSync(join(root, 'dist', 'run.js')) || !existsSync(stamp)) return 'dist/ is not built'
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
  const r = spawnSync('npm', ['run', 'build'], {cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit']})
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal}): the cli tests need a built dist/`)
  if (!existsSync(STAMP)) throw new Error('npm run build wrote no oclif.manifest.json')
}
