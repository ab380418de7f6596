#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine with Node 20 (run as root: the integration
# suite builds network namespaces, the openstack suite runs Debian's Neutron and Keystone, the ovn
# suite a real ML2/OVN chassis). Installs what the tests need, then builds and runs everything.
# QM_SKIP_OPENSTACK=1 leaves the OpenStack harness out (QM_SKIP_OPENSTACK_HA=1 only its HA router
# tests, test/openstack/l3-ha.test.ts, 5-6.5 minutes; QM_SKIP_OPENSTACK_NOVA=1 only the real Nova
# metadata API's, test/openstack/nova-chain.test.ts), QM_SKIP_OVN=1 the ML2/OVN one (their
# tests then skip with a message), QM_SKIP_FLEET=1 the fleet suite (test/fleet: three hosts on
# this machine, each its own namespaces and sshd on 127.0.0.1:2221-2223).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

# The real-OpenStack suite (test/openstack): Debian's neutron-server, DHCP, L3 and metadata agents
# and Keystone on 127.0.0.1, installed and started here (its own paths: /etc/qm-openstack, ...;
# it refuses, exit 3, on a machine with a Neutron it did not make), stopped by PID when its tests end.
# Its HA router tests (test/openstack/l3-ha.test.ts) bring the second L3 agent host up themselves
# (harness/openstack/ha-up.sh) and down in their afterAll; down.sh, here and in the trap below, takes
# it down too (ha-down.sh) if a crashed run left it. Likewise test/openstack/nova-chain.test.ts puts the
# real Nova metadata API in place of fake-nova (harness/openstack/nova-up.sh) and back (nova-down.sh);
# down.sh stops either.
# The ML2/OVN suite (test/ovn) runs last, on its own: scripts/harness/ovn/ovn-up.sh starts it only after
# harness/openstack/down.sh has stopped the other harness (the linuxbridge agent and its down.sh
# touch tap* links, and the OVN agent makes tap<net>0 links), and ovn-down.sh stops it by PID.
openstack_up=0
ovn_up=0
cleanup() {
  if [ "$openstack_up" = 1 ]; then scripts/harness/openstack/down.sh || true; fi
  if [ "$ovn_up" = 1 ]; then scripts/harness/ovn/ovn-down.sh || true; fi
}
trap cleanup EXIT
openstack_failed=0
if [ "$(id -u)" -eq 0 ] && [ "${QM_SKIP_OPENSTACK:-}" != 1 ]; then
  openstack_up=1
  # exit 3: it refused this machine (a Neutron it did not make) and changed nothing, so down.sh
  # must not run either; the other suites still run, and the run fails
  up_rc=0
  scripts/harness/openstack/up.sh || up_rc=$?
  if [ "$up_rc" != 0 ]; then
    echo "test.sh: the OpenStack harness did not start (exit $up_rc): the openstack suite skips, and the run fails" >&2
    openstack_failed=1
    [ "$up_rc" = 3 ] && openstack_up=0
  fi
fi

npm ci --no-audit --no-fund
# lint and format first: seconds, and a failure here says what to run (npm run format)
npm run lint
# the floors of src/ (.dependency-cruiser.cjs): a lower floor importing a higher one, or a cycle, fails
npm run lint:deps

# Commit subjects at most 72 characters (the detail goes in the body; .githooks/commit-msg checks it
# at commit time), for the commits after d949bca (Biome); skipped where that history is not there (a
# shallow clone, a tarball). Three commits made before the check existed are longer and stay in the
# history (73-75 characters); they are excepted by id, so any other long subject still fails.
OLD_LONG_SUBJECTS='39780780e8c71cc871e1ebc75b27f3f9a9c5bd14 cce7f8768a2d1e56611c29ecdf7426845dd46af0 e058c718988f88454c6bf436c7a6ecb2a99f550f'
check_subjects() {
  local LC_ALL=C.UTF-8 commit subject long=0 # count characters, not bytes
  git rev-parse -q --verify 'd949bca^{commit}' >/dev/null 2>&1 || return 0
  while IFS=' ' read -r commit subject; do
    case " $OLD_LONG_SUBJECTS " in *" $commit "*) continue ;; esac
    if [ "${#subject}" -gt 72 ]; then
      echo "test.sh: commit subject of ${#subject} characters, at most 72: ${commit:0:7} $subject" >&2
      long=1
    fi
  done < <(git log --format='%H %s' d949bca..HEAD)
  return "$long"
}
check_subjects

npm run build
npx tsc -p test --noEmit

# vitest prints the pass/fail counts; allowOnly is false in vitest.config.ts, so a stray .only fails.
# The pure suite first (seconds: no process started), then the CLI and integration ones.
# The openstack suite runs on its own afterwards: its linuxbridge agent adds brq*/tap links to the
# root namespace, which the integration rig checks are left unchanged while it runs.
status=$openstack_failed
npx vitest run --passWithNoTests --project pure "$@" || status=$?
npx vitest run --passWithNoTests --project cli --project integration "$@" || status=$?
if [ "$openstack_failed" = 0 ]; then
  npx vitest run --passWithNoTests --project openstack "$@" || status=$?
else
  # not even refuse.test.ts: on a machine with a Neutron of its own, the harness's files run nothing
  echo "test.sh: the openstack suite (test/openstack) skipped: the OpenStack harness did not start" >&2
fi

if [ "$openstack_up" = 1 ]; then
  scripts/harness/openstack/down.sh || status=$?
  openstack_up=0
fi

if [ "$(id -u)" -eq 0 ] && [ "${QM_SKIP_OVN:-}" != 1 ]; then
  ovn_up=1
  if scripts/harness/ovn/ovn-up.sh; then
    npx vitest run --passWithNoTests --project ovn "$@" || status=$?
  else
    echo "test.sh: scripts/harness/ovn/ovn-up.sh failed; the ovn suite did not run" >&2
    status=1
  fi
  scripts/harness/ovn/ovn-down.sh || status=$?
  ovn_up=0
fi

# The fleet suite last, with no harness running: it brings its three hosts up and down itself
# (test/fleet/rig.ts), each a private mount/uts/pid namespace with its own sshd and node.
if [ "$(id -u)" -eq 0 ] && [ "${QM_SKIP_FLEET:-}" != 1 ]; then
  npx vitest run --passWithNoTests --project fleet "$@" || status=$?
fi
exit "$status"
