// The entry of dist/quantum-meta, the single executable (scripts/sea.mjs bundles it with every command,
// hook and plugin class into one CommonJS script, the main script of a Node single executable
// application). There are no files to discover commands from: each plugin (this package,
// @oclif/plugin-help, @oclif/plugin-autocomplete) comes with its package.json and oclif.manifest.json as
// data, and its modules through src/sea/loader.ts, which the bundle puts in place of oclif's
// module-loader. oclif's plugins are loaded from those in memory and handed to the same execute() that
// bin/run.js calls, so the executable answers as `node bin/run.js` does.
import {type Interfaces, Plugin, settings} from '@oclif/core'

import {execute} from '../run.js'
import {register} from './loader.js'

export interface SeaPlugin {
  /** a virtual path, never read: the key of the plugin's modules (src/sea/loader.ts) */
  root: string
  pjson: Interfaces.PJSON
  manifest: Interfaces.Manifest
  /** the plugin's modules by path relative to its root, without extension (`dist/commands/enable`) */
  modules: {[relative: string]: () => unknown}
}

/**
 * `node -e SCRIPT [-- ARG]`, for the one place the CLI runs Node itself (src/node/probe.ts's GET from
 * inside a namespace runs process.execPath, which is this executable here): the script runs with Node's
 * builtins and process.argv [execPath, ...ARG], as under `node -e`.
 */
async function nodeEval(argv: string[]): Promise<boolean> {
  if (argv[2] !== '-e' || argv[3] === undefined) return false
  const rest = argv.slice(4)
  process.argv = [argv[0], ...(rest[0] === '--' ? rest.slice(1) : rest)]
  const {createRequire} = await import('node:module')
  new Function('require', argv[3])(createRequire(process.execPath))
  return true
}

async function loadPlugins(plugins: SeaPlugin[]): Promise<Map<string, Interfaces.Plugin>> {
  const loaded = new Map<string, Interfaces.Plugin>()
  for (const p of plugins) {
    // isRoot with a pjson: oclif takes the root as given instead of searching the disk for package.json
    const plugin = new Plugin({isRoot: true, pjson: p.pjson, root: p.root})
    // the manifest `oclif manifest` wrote at build time, in place of reading oclif.manifest.json
    Object.assign(plugin, {
      _manifest: async () => {
        plugin.commandIDs = Object.keys(p.manifest.commands)
        plugin.hasManifest = true
        return p.manifest
      },
    })
    await plugin.load()
    loaded.set(plugin.name, plugin)
  }
  return loaded
}

export async function main(plugins: SeaPlugin[]): Promise<unknown> {
  if (await nodeEval(process.argv)) return undefined
  // no TypeScript sources to look for: oclif's hook and command paths are taken as they are
  settings.enableAutoTranspile = false
  register(Object.fromEntries(plugins.map((p) => [p.root, p.modules])))
  const [own] = plugins
  const load = {pjson: own.pjson, plugins: await loadPlugins(plugins), root: own.root}
  return execute({dir: own.root, sea: {commandIds: Object.keys(own.manifest.commands), load}})
}
