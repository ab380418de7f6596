#!/usr/bin/env node
// Build: bundle each command and hook, and the entry bin/run.js loads, with esbuild (tsc type-checks
// first, in `npm run build`). @oclif/core and the other dependencies are bundled too: Node 20 pays 1-4 ms
// for every module file it resolves and loads, and @oclif/core alone is ~100 CommonJS files.
//
// Start-up (the part of every run that is not the command's own work): @oclif/core goes into one file,
// dist/oclif.js, that every command shares, and bin/run.js compiles it with a V8 code cache made here
// (dist/oclif.js.cache): Node 20 has no module.enableCompileCache (22.1+), but vm.Script takes cached
// data. That is why dist/ is CommonJS (dist/package.json): a code cache needs a vm.Script, not an ES
// module. Measured with `npm run bench -- --no-scale`: see README "Performance".
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

const walk = (dir, ext = '.ts') =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  )

// the subpaths of @oclif/core the sources import; each is evaluated on first use (a getter)
const OCLIF = ['', '/args', '/command', '/errors', '/execute', '/flags', '/flush', '/handle', '/run']
const BUILD_ID = randomUUID()
const common = {
  bundle: true,
  // oclif loads these only to run TypeScript sources in development (bin/dev.js); typescript is 9 MB
  external: ['typescript', 'ts-node'],
  format: 'cjs',
  platform: 'node',
  target: 'node20',
}

if (process.argv.includes('--code-cache-only')) {
  codeCache()
  process.exit(0)
}

rmSync('dist', {force: true, recursive: true})
mkdirSync('dist')
writeFileSync('dist/package.json', '{"type": "commonjs"}\n')

await build({
  ...common,
  // the first line names the build: bin/run.js uses only the code cache made for this very file
  banner: {js: `// qm-build ${BUILD_ID}`},
  outfile: 'dist/oclif.js',
  stdin: {
    contents: OCLIF.map((s) => `Object.defineProperty(exports, ${JSON.stringify(s || '.')}, {enumerable: true, get: () => require('@oclif/core${s}')})`).join('\n'),
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

// The code cache for dist/oclif.js, made by running the commands whose start-up matters most once
// each (bin/run.js adds what each run compiled): `node scripts/build.mjs --code-cache-only`, which
// `npm run build` runs after `oclif manifest`.
function codeCache() {
  const env = {...process.env, NO_COLOR: '1', QM_WRITE_CODE_CACHE: '1'}
  for (const args of [['--help'], ['enable', '--check', '--config-file', 'examples/dhcp_agent.ini'], ['diagnose', '--help']]) {
    try {
      execFileSync(process.execPath, ['bin/run.js', ...args], {env, stdio: 'ignore'})
    } catch {} // enable --check exits 1 when the example has it off
  }
}
