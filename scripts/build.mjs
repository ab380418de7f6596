#!/usr/bin/env node
// Build: type-check with tsc, then bundle each command and hook with esbuild (dependencies stay in
// node_modules; code shared between commands goes into chunks). Node 20 pays 1-4 ms per ES module it
// loads, so one file per command instead of a dozen keeps start-up near oclif's own floor.
import {build} from 'esbuild'
import {readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const walk = (dir) =>
  readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))

rmSync('dist', {force: true, recursive: true})
await build({
  bundle: true,
  chunkNames: 'chunks/[name]-[hash]',
  entryNames: '[dir]/[name]',
  entryPoints: [...walk('src/commands'), ...walk('src/hooks')],
  format: 'esm',
  outbase: 'src',
  outdir: 'dist',
  packages: 'external',
  platform: 'node',
  splitting: true,
  target: 'node20',
})
