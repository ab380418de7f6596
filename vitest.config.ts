import {defineConfig} from 'vitest/config'

// Six suites. `pure` (test/unit/: modules in-process; no process started, which
// test/helpers/no-spawn.ts enforces, so no build, no root, no system tools: seconds) and `cli`
// (test/cli/: the built binary and other real programs on temp files, xmllint and zsh among them;
// test/helpers/build-dist.ts builds dist/ first when a source is newer) are `npm run test:unit`.
// Then `integration` (real namespaces, dnsmasq, haproxy, a DHCP client; needs root), `openstack` (a
// real neutron-server, DHCP agent and Keystone from Debian's packages on 127.0.0.1), `ovn` (a real
// ML2/OVN chassis: OVS userspace datapath, OVN, neutron-server, neutron-ovn-metadata-agent;
// scripts/harness/ovn/ovn-up.sh) and `fleet` (three hosts on one machine, each its own namespaces,
// sshd and node: test/fleet/rig.ts). `.only` fails the run.
export default defineConfig({
  test: {
    allowOnly: false,
    projects: [
      {
        test: {
          include: ['test/unit/**/*.test.ts'],
          name: 'pure',
          setupFiles: ['test/helpers/no-spawn.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          globalSetup: ['test/helpers/build-dist.ts'],
          // a beforeAll that runs the built CLI twice took over vitest's 10 s default on a loaded machine
          hookTimeout: 60_000,
          include: ['test/cli/**/*.test.ts'],
          name: 'cli',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          fileParallelism: false,
          hookTimeout: 120_000,
          include: ['test/integration/**/*.test.ts'],
          name: 'integration',
          testTimeout: 120_000,
        },
      },
      {
        test: {
          fileParallelism: false,
          hookTimeout: 300_000,
          include: ['test/openstack/**/*.test.ts'],
          name: 'openstack',
          testTimeout: 180_000,
        },
      },
      {
        test: {
          fileParallelism: false,
          hookTimeout: 300_000,
          include: ['test/ovn/**/*.test.ts'],
          name: 'ovn',
          testTimeout: 300_000,
        },
      },
      {
        test: {
          fileParallelism: false,
          hookTimeout: 120_000,
          include: ['test/fleet/**/*.test.ts'],
          name: 'fleet',
          testTimeout: 120_000,
        },
      },
    ],
  },
})
