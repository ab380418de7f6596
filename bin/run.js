#!/usr/bin/env node
// Start-up is most of a short run (`--help`, `enable --check`): Node 20 has no module compile cache
// (module.enableCompileCache is 22.1+), so @oclif/core, bundled into dist/oclif.js and shared by every
// command, is compiled here through vm.Script with the V8 code cache scripts/build.mjs made for this
// very build (dist/oclif.js.cache, named by the build id on the file's first line). A cache V8
// rejects (another Node version) or a missing one only costs the compile it would have saved.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const file = fileURLToPath(new URL('../dist/oclif.js', import.meta.url))
const cacheFile = `${file}.cache`
const require = createRequire(file)

function loadOclif() {
  const source = readFileSync(file, 'utf8')
  const id = /^\/\/ qm-build (\S+)/.exec(source)?.[1]
  let cached
  try {
    const blob = readFileSync(cacheFile)
    const nl = blob.indexOf(10)
    if (id && blob.subarray(0, nl).toString() === id) cached = blob.subarray(nl + 1)
  } catch {}
  const options = {cachedData: cached, filename: file}
  // dynamic import() from the compiled code (oclif loads ES-module plugins with it)
  if (vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) options.importModuleDynamically = vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
  const script = new vm.Script(Module.wrap(source), options)
  const mod = new Module(file)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(dirname(file))
  script.runInThisContext().call(mod.exports, mod.exports, require, mod, file, dirname(file))
  mod.loaded = true
  Module._cache[file] = mod // the commands' require('../oclif.js') gets this same instance
  if (process.env.QM_WRITE_CODE_CACHE && id) {
    // scripts/build.mjs: keep what this run compiled, on top of what the cache held
    process.on('exit', () => writeFileSync(cacheFile, Buffer.concat([Buffer.from(`${id}\n`), script.createCachedData()])))
  }
  return mod.exports
}

// load the shared @oclif/core first (with its code cache); dist/run.js and the commands require this instance
if (existsSync(file) && typeof Module.wrap === 'function' && Module._cache) loadOclif()
// src/run.ts: oclif's execute, keeping the --json contract on paths no command's catch() sees
await require('./run.js').execute({dir: import.meta.url})
