import {defineConfig} from 'vitest/config'

// Two suites: `unit` (pure modules and the built CLI on temp files) and `integration`
// (real namespaces, dnsmasq, haproxy, a DHCP client; needs root). `.only` fails the run.
export default defineConfig({
  test: {
    allowOnly: false,
    projects: [
      {
        test: {
          include: ['test/unit/**/*.test.ts'],
          name: 'unit',
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
    ],
  },
})
