// The single executable's stand-in for @oclif/core's module-loader (scripts/sea.mjs puts it in place of
// lib/module-loader.js in that bundle only). oclif loads every command, hook and plugin class by file
// path, with require() or import(); inside a Node single executable there are no files and require()
// knows only Node's builtins. Here every such path is a key into the table the SEA entry registers:
// the path relative to its plugin's root, without its extension (`dist/commands/enable`,
// `lib/commands/help`), mapped to a function that evaluates the bundled module on first use.

/** A plugin's root (a virtual path, see src/sea/main.ts) and its modules by relative path. */
export interface SeaModules {
  [root: string]: {[relative: string]: () => unknown}
}

let table: SeaModules = {}

/** Register the bundle's modules (once, before oclif loads anything). */
export function register(modules: SeaModules): void {
  table = modules
}

function find(modulePath: string): {filePath: string; module: unknown} {
  const path = modulePath.replace(/\\/g, '/')
  for (const [root, modules] of Object.entries(table)) {
    if (!path.startsWith(`${root}/`)) continue
    const key = path
      .slice(root.length + 1)
      .replace(/^\.\//, '')
      .replace(/\.(c|m)?js$/, '')
    const get = modules[key]
    if (get) return {filePath: path, module: get()}
  }
  // oclif's own message shape for a module it cannot load (ModuleLoadError)
  const error = new Error(`require failed to load ${modulePath}: not in this executable`) as Error & {code: string}
  error.code = 'MODULE_NOT_FOUND'
  throw error
}

export async function load(_config: unknown, modulePath: string): Promise<unknown> {
  return find(modulePath).module
}

export async function loadWithData(_config: unknown, modulePath: string): Promise<{filePath: string; isESM: boolean; module: unknown}> {
  return {...find(modulePath), isESM: false}
}

export async function loadWithDataFromManifest(
  cached: {id: string; relativePath?: string[]},
  root: string,
): Promise<{filePath: string; isESM: boolean; module: unknown}> {
  if (!cached.relativePath) throw new Error(`Cached command ${cached.id} does not have a relative path`)
  return {...find(`${root}/${cached.relativePath.join('/')}`), isESM: false}
}

export function isPathModule(): boolean {
  return false
}
