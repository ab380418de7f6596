#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with Node 20 (run as root: the integration
# suite builds network namespaces). Installs what the tests need, then builds and runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

npm ci --no-audit --no-fund
npm run build
npx tsc -p test --noEmit

# vitest prints the pass/fail counts; allowOnly is false in vitest.config.ts, so a stray .only fails.
npx vitest run --passWithNoTests "$@"
