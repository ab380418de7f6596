#!/usr/bin/env bash
# Set up from a fresh clone and run the main job on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@oclif/core ] || npm ci --no-audit --no-fund
[ -f oclif.manifest.json ] || npm run build
node bin/run.js diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot examples/grizzly-seed.snapshot.json
