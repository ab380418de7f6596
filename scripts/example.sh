#!/usr/bin/env bash
# Set up from a fresh clone and run the main job on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@oclif/core ] || npm ci --no-audit --no-fund
[ -f oclif.manifest.json ] || npm run build
# The example is the seed transcript of a real Grizzly node: every link it shows passes, and what it
# did not record (metadata_agent.ini, the metadata agent's socket) is "not judged", exit 3. It has no API to ask, so --no-api. Any other exit code is a failure of this script.
rc=0
node bin/run.js diagnose 01cce415-8e2b-4096-92b5-7acc67163d79 --snapshot examples/grizzly-seed.snapshot.json --no-api || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "example: exit 3, as expected: the transcript does not show every link (see 'not judged' above)"
  exit 0
fi
exit "$rc"
