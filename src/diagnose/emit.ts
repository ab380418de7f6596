/**
 * `diagnose`, step 3 of 3 (plan, run, emit): a DiagnoseResult on stdout (the table, or JUnit XML) and
 * in the --junit file; under --json stdout is run()'s document only. The one place that writes JUnit.
 */
import {CHAINS} from '../chains/registry.js'
import type {HostInput} from '../fleet/types.js'

import type {DiagnoseOutput} from './plan.js'
import type {DiagnoseResult} from './result.js'

export interface Emitter {
  emit(result: DiagnoseResult): Promise<void>
}

/** The output, ready: a --junit path is checked now, so a bad one fails before a diagnosis that may take a while. */
export async function openOutput(out: DiagnoseOutput): Promise<Emitter> {
  const file = out.junitFile === undefined ? undefined : {path: out.junitFile, report: await import('../system/write-report.js')}
  const target = file && (await file.report.checkReportPath('--junit', file.path))
  return {
    async emit(result) {
      const junit = out.format === 'junit' || file ? await junitOf(result) : undefined
      if (file && target !== undefined && junit !== undefined) await file.report.writeReportAtomic('--junit', file.path, target, junit)
      if (out.format === 'junit' && junit !== undefined) process.stdout.write(junit)
      else if (!out.json) process.stdout.write(await tableOf(result))
    },
  }
}

/** The JUnit XML of a result: one testsuite per host and network, one testcase per check. */
async function junitOf(result: DiagnoseResult): Promise<string | undefined> {
  if (result.kind === 'checks') return undefined
  const junit = await import('../render/junit.js')
  switch (result.kind) {
    case 'network':
    case 'networks':
      return junit.junitOfReports(result.host, result.reports, result.takenAt)
    case 'fleet':
      return junit.junitOfFleet(result.json)
    case 'fleet-all':
      return junit.junitOfFleet(result.json.networks)
  }
}

/** What a person reads: the checks listed, a network's findings, the table of several. */
async function tableOf(result: DiagnoseResult): Promise<string> {
  switch (result.kind) {
    case 'checks':
      return CHAINS.map((chain, i) => `${i === 0 ? '' : '\n'}${chain.title}\n${chain.checks.map((c) => `  ${c.id.padEnd(26)} ${c.title}\n`).join('')}`).join('')
    case 'network': {
      const {renderReport} = await import('../render/findings.js')
      return result.reports.map((r) => renderReport(r)).join('\n')
    }
    case 'networks':
      return (await import('../render/findings.js')).renderAll(result.reports)
    case 'fleet':
      return (await import('../render/fleet.js')).renderFleet(result.json)
    case 'fleet-all':
      return (await import('../render/fleet.js')).renderFleetAll(result.json)
  }
}

/** Progress on stderr while hosts answer over ssh: on a terminal only, never under --json. */
export interface SshProgress {
  listed(api: {hosts: {host: string}[]; refused: unknown[]}): void
  answered(input: HostInput, done: number, total: number): void
}

export function sshProgress(out: DiagnoseOutput): SshProgress | undefined {
  if (out.json || !process.stderr.isTTY) return undefined
  return {
    answered(h, done, total) {
      process.stderr.write(`\r\u001b[K${done}/${total} hosts answered (last: ${h.host}${h.error ? ', failed' : ''})${done === total ? '\n' : ''}`)
    },
    listed(api) {
      const more = api.refused.length > 0 ? ` (and ${api.refused.length} name${api.refused.length === 1 ? '' : 's'} not asked)` : ''
      process.stderr.write(`the API lists ${api.hosts.map((h) => h.host).join(', ')}${more}\n`)
    },
  }
}
