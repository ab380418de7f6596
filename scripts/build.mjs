#!/usr/bin/env node
// Build: bundle each command and hook, and the entry bin/run.js loads, with esbuild (tsc type-checks
// first, in `npm run build`). @oclif/core and the other dependencies are bundled too: Node 20 pays 1-4 ms
// for every module file it resolves and loads, and @oclif/core alone is ~100 CommonJS files.
//
// Start-up (the part of every run that is not the command's own work): @oclif/core goes into one file,
// dist/oclif.js, that every command shares, each subpath evaluated on first use; dist/ is CommonJS
// (dist/package.json). Measured with `npm run bench -- --no-scale --runs 21`, same machine, same run
// of minutes: --help 1.94-1.99x / enable --check 2.03-2.05x `node -e ''`, against 1.97-2.06x /
// 2.19-2.29x for ES-module bundles with split chunks. A V8 code cache for dist/oclif.js through vm.Script (1.6-1.7x) was tried
// and dropped: on Node 20 a function restored from the cache loses its dynamic-import callback (oclif's
// `help` command failed with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and the callback prints an
// ExperimentalWarning whenever it is used.
import {build} from 'esbuild'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

const walk = (dir, ext = '.ts') =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : []))

// the subpaths of @oclif/core the sources import; each is evaluated on first use (a getter)
const OCLIF = ['', '/args', '/command', '/errors', '/execute', '/flags', '/flush', '/handle', '/run']
const common = {
  bundle: true,
  // oclif loads these only to run TypeScript sources in development (bin/dev.js); typescript is 9 MB
  external: ['typescript', 'ts-node'],
  format: 'cjs',
  platform: 'node',
  target: 'node20',
}

rmSync('dist', {force: true, recursive: true})
mkdirSync('dist')
writeFileSync('dist/package.json', '{"type": "commonjs"}\n')

await build({
  ...common,
  outfile: 'dist/oclif.js',
  stdin: {
    contents: OCLIF.map((s) => `Object.defineProperty(exports, ${JSON.stringify(s || '.')}, {enumerable: true, get: () => require('@oclif/core${s}')})`).join(
      '\n',
    ),
    resolveDir: '.',
    sourcefile: 'oclif-vendor.js',
  },
})

// every command and hook, and src/run.ts (the --json-aware execute bin/run.js calls): its own code
// bundled, @oclif/core taken from dist/oclif.js
for (const entry of [...walk('src/commands'), ...walk('src/hooks'), 'src/run.ts']) {
  const outfile = join('dist', relative('src', entry)).replace(/\.ts$/, '.js')
  const vendor = `./${relative(dirname(outfile), 'dist/oclif.js')}`.replace(/^\.\/\.\.\//, '../')
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    plugins: [
      {
        name: 'shared-oclif',
        setup(b) {
          b.onResolve({filter: /^@oclif\/core(\/.*)?$/}, (a) => ({namespace: 'shared-oclif', path: a.path}))
          b.onResolve({filter: /oclif\.js$/, namespace: 'shared-oclif'}, (a) => ({external: true, path: a.path}))
          b.onLoad({filter: /.*/, namespace: 'shared-oclif'}, (a) => {
            const sub = a.path.slice('@oclif/core'.length) || '.'
            if (!OCLIF.includes(sub === '.' ? '' : sub)) throw new Error(`build: add ${a.path} to OCLIF in scripts/build.mjs`)
            return {contents: `module.exports = require(${JSON.stringify(vendor)})[${JSON.stringify(sub)}]`, loader: 'js'}
          })
        },
      },
    ],
  })
}

// A bundle can build and still fail to load (a name declared twice, a require that slipped
// through): load every file once so that shows here and not on an operator's node.
const {createRequire} = await import('node:module')
const req = createRequire(import.meta.url)
for (const f of walk('dist', '.js')) req(`../${f}`)
