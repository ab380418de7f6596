#!/usr/bin/env node
// dist/ is CommonJS (scripts/build.mjs): dist/run.js is oclif's execute keeping the --json contract on
// paths no command's catch() sees (src/run.ts); @oclif/core is the one shared dist/oclif.js.
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
await require('../dist/run.js').execute({dir: import.meta.url})
