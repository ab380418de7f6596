#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with Node 20 (run as root: the integration
# suite builds network namespaces, the openstack suite runs Debian's Neutron and Keystone).
# Installs what the tests need, then builds and runs everything. QM_SKIP_OPENSTACK=1 leaves the
# OpenStack harness out (its tests then skip with a message).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

# The real-OpenStack suite (test/openstack): Debian's neutron-server, DHCP agent and Keystone on
# 127.0.0.1, installed and started here, stopped by PID when the tests end.
if [ "$(id -u)" -eq 0 ] && [ "${QM_SKIP_OPENSTACK:-}" != 1 ]; then
  scripts/openstack-up.sh
  trap 'scripts/openstack-down.sh' EXIT
fi

npm ci --no-audit --no-fund
npm run build
npx tsc -p test --noEmit

# vitest prints the pass/fail counts; allowOnly is false in vitest.config.ts, so a stray .only fails.
# The openstack suite runs on its own afterwards: its linuxbridge agent adds brq*/tap links to the
# root namespace, which the integration rig checks are left unchanged while it runs.
status=0
npx vitest run --passWithNoTests --project unit --project integration "$@" || status=$?
npx vitest run --passWithNoTests --project openstack "$@" || status=$?
exit "$status"
