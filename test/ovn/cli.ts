/**
 * The test/ovn/env.ts helpers from a shell, for scripts/harness/ovn/ovn-capture-fixtures.sh and for working
 * on the harness by hand (as root, harness up):
 *
 *   npx tsx test/ovn/cli.ts net NAME CIDR [GATEWAY]   create a network + subnet (no GATEWAY: null)
 *   npx tsx test/ovn/cli.ts net-delete NAME           delete the networks named NAME
 *   npx tsx test/ovn/cli.ts vm N NETWORK_ID           VM qmovn-vm<N> on the network (DHCP done)
 *   npx tsx test/ovn/cli.ts vm-delete N
 *   npx tsx test/ovn/cli.ts curl N [PATH]             GET 169.254.169.254 from inside qmovn-vm<N>
 *   npx tsx test/ovn/cli.ts stop-agent | start-agent | restore
 *
 * Each prints one JSON document on stdout.
 */
import {createNetwork, createVm, deleteNetwork, deleteVm, networksNamed, restoreHealthy, startAgent, stopAgent, vmCurl} from './env.js'

const [cmd, ...args] = process.argv.slice(2)
const num = (s: string | undefined): number => {
  const n = Number(s)
  if (!Number.isInteger(n)) throw new Error(`not a VM number: ${s}`)
  return n
}

async function main(): Promise<unknown> {
  switch (cmd) {
    case 'net':
      return createNetwork(args[0], {cidr: args[1], gateway: args[2] ?? null})
    case 'net-delete': {
      const ids = await networksNamed(args[0])
      for (const id of ids) await deleteNetwork(id)
      return {deleted: ids}
    }
    case 'vm':
      return createVm(num(args[0]), args[1])
    case 'vm-delete':
      await deleteVm(num(args[0]))
      return {deleted: num(args[0])}
    case 'curl':
      return vmCurl(num(args[0]), args[1])
    case 'stop-agent':
      await stopAgent()
      return {agent: 'stopped'}
    case 'start-agent':
      await startAgent()
      return {agent: 'started'}
    case 'restore':
      return restoreHealthy()
    default:
      throw new Error(`unknown command ${cmd}; see the header of test/ovn/cli.ts`)
  }
}

try {
  console.log(JSON.stringify(await main(), null, 2))
} catch (error) {
  console.error(`ovn cli: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
