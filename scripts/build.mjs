#!/usr/bin/env node
// Build: type-check with tsc, then bundle each command and hook, and the entry (src/run.ts) that
// bin/run.js loads, with esbuild. @oclif/core and the other dependencies are bundled too: Node 20
// pays 1-4 ms for every module file it resolves and loads, and @oclif/core alone is ~100 CommonJS
// files (45 ms to import from node_modules, 25 ms as part of a chunk). Code shared between commands
// goes into chunks, so a command loads only what it uses.
import {build} from 'esbuild'
import {readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const walk = (dir, ext = '.ts') =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  )

// Bundled CommonJS code (oclif) still calls require() for Node's built-ins and
// reads __filename; an ES module has neither, so every output file defines them for itself.
const BANNER = [
  "import {createRequire as __qmCreateRequire} from 'node:module';",
  "import {fileURLToPath as __qmFileURLToPath} from 'node:url';",
  'const require = __qmCreateRequire(import.meta.url);',
  'const __filename = __qmFileURLToPath(import.meta.url);',
  "const __dirname = __qmFileURLToPath(new URL('.', import.meta.url));",
].join(' ')

rmSync('dist', {force: true, recursive: true})
await build({
  banner: {js: BANNER},
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryNames: '[dir]/[name]',
  entryPoints: [...walk('src/commands'), ...walk('src/hooks'), 'src/run.ts'],
  // oclif loads these only to run TypeScript sources in development (bin/dev.js); typescript is 9 MB
  external: ['typescript', 'ts-node'],
  format: 'esm',
  outbase: 'src',
  outdir: 'dist',
  platform: 'node',
  splitting: true,
  target: 'node20',
})

// A bundle can build and still fail to load (a name declared twice, a require that slipped
// through): import every file once so that shows here and not on an operator's node.
for (const f of walk('dist', '.js')) await import(new URL(`../${f}`, import.meta.url))
