#!/usr/bin/env node
// The build's last step (`npm run build`, after the oclif manifest): dist/quantum-meta, a Node single
// executable application (https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html),
// and dist/quantum-meta.sha256. Nothing is downloaded: the executable is a copy of the node that runs
// this build (process.execPath), with the blob injected by postject (devDependency).
//
// 1. One CommonJS script with everything (cli.js): src/sea/main.ts, every command and hook of this
//    package and of @oclif/plugin-help and @oclif/plugin-autocomplete (each evaluated on first use), their
//    package.json and oclif.manifest.json as data, and src/sea/loader.ts in place of oclif's module-loader
//    (inside a single executable require() loads Node's builtins only, and import() is not available to
//    a script compiled with a code cache). Written to a temp dir, not shipped.
// 2. Its V8 code cache (cli.cache), taken after this node ran it for `--help` and `enable --check`, so
//    the cache holds the functions start-up runs. SEA's own useCodeCache covers only what V8 compiles
//    eagerly (the top level, not the bundle's module functions): docs/development.md has the figures.
// 3. `node --experimental-sea-config` makes the blob: a small main script (STUB) that compiles cli.js
//    with cli.cache, both carried as the blob's assets; no experimental warning on every run.
// 4. Copy the node binary, inject the blob (the NODE_SEA_FUSE sentinel), write its sha256.
// 5. Run it once (`--version`): a binary that builds and cannot start fails the build, not a node.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const require = createRequire(join(ROOT, 'package.json'))
const OUT = join(ROOT, 'dist', 'quantum-meta')
// the roots oclif is told (never read: src/sea/loader.ts keys the bundled modules by them)
const VIRTUAL = '/quantum-meta'

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'))

/** One plugin as src/sea/main.ts's SeaPlugin, written as JS source: modules are require() calls. */
function plugin(dir, root, source) {
  const pjson = readJson(join(dir, 'package.json'))
  const manifest = readJson(join(dir, 'oclif.manifest.json'))
  const targets = [
    ...Object.values(manifest.commands).map((c) => c.relativePath.join('/')),
    ...Object.values(pjson.oclif?.hooks ?? {})
      .flat()
      .map((h) => (typeof h === 'string' ? h : h.target)),
  ]
  const modules = [...new Set(targets.map((t) => t.replace(/^\.\//, '').replace(/\.(c|m)?js$/, '')))].map(
    (key) => `${JSON.stringify(key)}: () => require(${JSON.stringify(source(key))})`,
  )
  for (const k of ['scripts', 'devDependencies', 'files']) delete pjson[k]
  // JSON.parse of a string: V8 reads a large JSON text faster than the same object literal
  const data = (v) => `JSON.parse(${JSON.stringify(JSON.stringify(v))})`
  return `{root: ${JSON.stringify(root)}, pjson: ${data(pjson)}, manifest: ${data(manifest)}, modules: {${modules.join(', ')}}}`
}

// package.json's oclif.plugins, each bundled below (a plugin added there must be added here)
const PLUGINS = ['@oclif/plugin-help', '@oclif/plugin-autocomplete']
const declared = readJson(join(ROOT, 'package.json')).oclif.plugins
if ([...declared].sort().join() !== [...PLUGINS].sort().join()) {
  throw new Error(`sea: package.json oclif.plugins is ${declared}, scripts/sea.mjs bundles ${PLUGINS}`)
}
const pluginDir = (name) => join(ROOT, 'node_modules', name)
const plugins = [
  // this package: dist/commands/enable.js was bundled from src/commands/enable.ts
  plugin(ROOT, VIRTUAL, (key) => join(ROOT, key.replace(/^dist\//, 'src/') + '.ts')),
  ...PLUGINS.map((name) => plugin(pluginDir(name), `${VIRTUAL}/node_modules/${name}`, (key) => join(pluginDir(name), `${key}.js`))),
]

// The executable's main script: the CLI bundle and its V8 code cache are assets of the blob; the script
// compiles the one with the other (vm.Script cachedData) and runs it with the SEA's require (builtins).
const STUB = `const {getAsset} = require('node:sea')
const {Script} = require('node:vm')
const script = new Script(Buffer.from(getAsset('cli.js')).toString('latin1'), {cachedData: Buffer.from(getAsset('cli.cache')), filename: 'quantum-meta.js'})
const cli = {exports: {}}
script.runInThisContext()(cli.exports, require, cli)
cli.exports()
`
// The build's run that fills the code cache: the same script, from files, in this node; `--help` and
// `enable --check` compile what start-up runs; the cache is taken when the process ends.
const TRAIN = `const {readFileSync, writeFileSync} = require('node:fs')
const {Script} = require('node:vm')
const [source, cache, config] = process.argv.slice(2)
const script = new Script(readFileSync(source, 'latin1'), {filename: 'quantum-meta.js'})
const cli = {exports: {}}
script.runInThisContext()(cli.exports, require, cli)
process.on('exit', () => writeFileSync(cache, script.createCachedData()))
process.argv = [process.argv[0], process.argv[0], '--help']
cli.exports().then(() => {
  process.argv = [process.argv[0], process.argv[0], 'enable', '--check', '--config-file', config]
  return cli.exports()
})
`

const tmp = mkdtempSync(join(tmpdir(), 'qm-sea-'))
try {
  const bundle = join(tmp, 'bundle.cjs')
  const loader = join(ROOT, 'src', 'sea', 'loader.ts')
  await build({
    bundle: true,
    // oclif loads these only to run TypeScript sources in development (bin/dev.js)
    external: ['typescript', 'ts-node'],
    format: 'cjs',
    logLevel: 'warning',
    outfile: bundle,
    platform: 'node',
    plugins: [
      {
        name: 'sea-module-loader',
        setup(b) {
          // import('node:https') stays an import() in a CommonJS bundle, which a script compiled with a
          // code cache cannot run: a builtin imported that way is bundled as a module wrapping require()
          b.onResolve({filter: /^node:/}, (a) => (a.kind === 'dynamic-import' ? {namespace: 'sea-builtin', path: a.path} : undefined))
          b.onLoad({filter: /.*/, namespace: 'sea-builtin'}, (a) => ({contents: `module.exports = require(${JSON.stringify(a.path)})`, loader: 'js'}))
          b.onResolve({filter: /(^|\/)module-loader$/}, (a) => (/@oclif[\\/]core[\\/]lib/.test(a.importer) ? {path: loader} : undefined))
          // oclif (its index.js) checks the node running it against its package.json's engines, read by
          // require() from next to its own file: here the node is the executable itself, and that
          // require() of a file would print the SEA's builtins-only warning on every run
          b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]index\.js$/}, (a) => {
            const text = readFileSync(a.path, 'utf8')
            const check = 'function checkNodeVersion() {'
            if (!text.includes(check)) throw new Error(`sea: ${a.path} has no ${check}: see scripts/sea.mjs`)
            return {contents: text.replace(check, `${check}\n    return;`), loader: 'js'}
          })
        },
      },
    ],
    stdin: {
      contents: `module.exports = () => require(${JSON.stringify(join(ROOT, 'src', 'sea', 'main.ts'))}).main([${plugins.join(',\n')}])\n`,
      loader: 'js',
      resolveDir: ROOT,
      sourcefile: 'sea-entry.js',
    },
    target: 'node20',
  })
  const cli = join(tmp, 'cli.js')
  const text = readFileSync(bundle, 'utf8')
  // stored as latin1, which the executable reads back as a one-byte string, several times faster to make
  // than one decoded from UTF-8 (esbuild escapes all but a few characters of regular expressions)
  if (/[^\x00-\xff]/.test(text)) throw new Error('sea: the bundle has characters beyond latin1')
  writeFileSync(cli, Buffer.from(`(function (exports, require, module) {${text}\n})`, 'latin1'))
  const cache = join(tmp, 'cli.cache')
  writeFileSync(join(tmp, 'train.cjs'), TRAIN)
  const trained = spawnSync(process.execPath, [join(tmp, 'train.cjs'), cli, cache, join(ROOT, 'examples', 'dhcp_agent.ini')], {encoding: 'utf8'})
  // enable --check of the example finds isolated metadata off: exit 1, and one FAIL line
  if (trained.status !== 1 || !trained.stdout.includes('FAIL:') || !existsSync(cache)) {
    throw new Error(`sea: the code cache's run exited ${trained.status}: ${trained.stdout}${trained.stderr}`)
  }

  const blob = join(tmp, 'sea.blob')
  writeFileSync(join(tmp, 'main.cjs'), STUB)
  writeFileSync(
    join(tmp, 'sea-config.json'),
    JSON.stringify({
      assets: {'cli.cache': cache, 'cli.js': cli},
      disableExperimentalSEAWarning: true,
      main: join(tmp, 'main.cjs'),
      output: blob,
      useCodeCache: true,
    }),
  )
  const made = spawnSync(process.execPath, ['--experimental-sea-config', join(tmp, 'sea-config.json')], {encoding: 'utf8'})
  if (made.status !== 0) throw new Error(`sea: node --experimental-sea-config failed: ${made.stderr}`)

  rmSync(OUT, {force: true})
  copyFileSync(process.execPath, OUT)
  chmodSync(OUT, 0o755)
  const {inject} = require('postject')
  // postject's ELF library warns once per note section it cannot name in node's binary (harmless; the
  // blob goes into a note of its own): those lines are dropped, anything else it says is shown
  const warn = console.warn
  console.warn = (...args) => {
    if (!/^warning: Can't find string offset for section name/.test(String(args[0]))) warn(...args)
  }
  try {
    await inject(OUT, 'NODE_SEA_BLOB', readFileSync(blob), {sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'})
  } finally {
    console.warn = warn
  }
} finally {
  if (process.env.QM_SEA_KEEP) console.log(tmp)
  else rmSync(tmp, {force: true, recursive: true})
}

const sum = createHash('sha256').update(readFileSync(OUT)).digest('hex')
writeFileSync(`${OUT}.sha256`, `${sum}  quantum-meta\n`)

const smoke = spawnSync(OUT, ['--version'], {encoding: 'utf8'})
if (smoke.status !== 0 || !smoke.stdout.startsWith('quantum-meta/')) {
  throw new Error(`sea: dist/quantum-meta --version exited ${smoke.status}: ${smoke.stdout}${smoke.stderr}`)
}
