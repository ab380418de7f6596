/**
 * `diagnose`, step 3 of 3 (plan, run, emit): a DiagnoseResult on stdout (the table, or JUnit XML) and
 * in the --junit file; under --json stdout is run()'s document only. The one place that writes JUnit.
 */
import {CHAINS} from '../chains/registry.js'
import type {HostInput} from '../fleet/types.js'

import {type DiagnoseOutput, reportKind} from './plan.js'
import type {DiagnoseResult, OneHost} from './result.js'

export interface Emitter {
  emit(result: DiagnoseResult): Promise<void>
}

/** The output, ready: a --junit or --report path is checked now, so a bad one fails before a diagnosis that may take a while. */
export async function openOutput(out: DiagnoseOutput, judgedBy = 'quantum-meta'): Promise<Emitter> {
  const writer = out.junitFile === undefined && out.reportFile === undefined ? undefined : await import('../system/write-report.js')
  const file = out.junitFile === undefined || !writer ? undefined : {path: out.junitFile, report: writer}
  const target = file && (await file.report.checkReportPath('--junit', file.path))
  const md = out.reportFile === undefined || !writer ? undefined : {path: out.reportFile, target: await writer.checkReportPath('--report', out.reportFile)}
  return {
    async emit(result) {
      const junit = out.format === 'junit' || file ? await junitOf(result) : undefined
      if (file && target !== undefined && junit !== undefined) await file.report.writeReportAtomic('--junit', file.path, target, junit)
      const report = md && (await reportOf(result, judgedBy, md.path))
      if (md && writer && report !== undefined) await writer.writeReportAtomic('--report', md.path, md.target, report)
      if (out.format === 'junit' && junit !== undefined) process.stdout.write(junit)
      else if (!out.json) process.stdout.write(await tableOf(result, (await import('../render/width.js')).outputWidth(Boolean(out.wide))))
    },
  }
}

/** The --report of a result (none for --list-checks): HTML for FILE.html or FILE.htm, else Markdown (the plan took only those). */
async function reportOf(result: DiagnoseResult, judgedBy: string, path: string): Promise<string | undefined> {
  if (result.kind === 'checks') return undefined
  const m = await import('../render/report-model.js')
  const inst = result.kind === 'network' || result.kind === 'fleet' ? result.json.instance : undefined
  const instance = inst ? {instance: (await import('./instance.js')).instanceLine(inst).replace(/^instance: /, '')} : {}
  let model: import('../render/report-model.js').ReportModel
  switch (result.kind) {
    case 'network':
    case 'networks':
      model = m.networksModel({collectedBy: result.tool, host: result.host, judgedBy, takenAt: result.takenAt, ...instance}, result.reports)
      break
    case 'fleet':
    case 'fleet-all': {
      const fleets = result.kind === 'fleet' ? [result.json] : result.json.networks
      const hosts = [...new Set(fleets.flatMap((f) => f.hosts.map((h) => h.host)))].join(', ')
      model = m.fleetModel({host: hosts || 'no host', judgedBy, takenAt: new Date().toISOString(), ...instance}, fleets)
    }
  }
  if (reportKind(path) === 'html') return (await import('../render/report-html.js')).htmlOf(model)
  return (await import('../render/report.js')).markdownOf(model)
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

/** Whose node, when, by what: the first line of one host's table (a snapshot's or sosreport's own). */
async function provenance(r: OneHost, width: number): Promise<string> {
  const {fitted, printable} = await import('../render/findings.js')
  return fitted(`host ${printable(r.host, 200)}, evidence taken ${printable(r.takenAt, 60)} by ${printable(r.tool, 60)}`, width).join('\n') + '\n'
}

/** What a person reads, fitted to `width`: the checks listed, a network's findings, the table of several. */
async function tableOf(result: DiagnoseResult, width: number): Promise<string> {
  switch (result.kind) {
    case 'checks': {
      const {wrapLine} = await import('../render/width.js')
      const line = (id: string, title: string) => wrapLine(`  ${id.padEnd(26)} ${title}`, width, ' '.repeat(29)).join('\n')
      const title = (t: string) => wrapLine(t, width, '  ').join('\n')
      return CHAINS.map((chain, i) => `${i === 0 ? '' : '\n'}${title(chain.title)}\n${chain.checks.map((c) => `${line(c.id, c.title)}\n`).join('')}`).join('')
    }
    case 'network': {
      const {renderReport} = await import('../render/findings.js')
      return (await provenance(result, width)) + (await instanceOf(result.json.instance, width)) + result.reports.map((r) => renderReport(r, width)).join('\n')
    }
    case 'networks': {
      const {renderAll} = await import('../render/findings.js')
      return (await provenance(result, width)) + renderAll(result.reports, width)
    }
    case 'fleet': {
      const table = (await import('../render/fleet.js')).renderFleet(result.json, width)
      // under the heading (the network's line)
      const cut = table.indexOf('\n') + 1
      return table.slice(0, cut) + (await instanceOf(result.json.instance, width)) + table.slice(cut)
    }
    case 'fleet-all':
      return (await import('../render/fleet.js')).renderFleetAll(result.json, width)
  }
}

/** --server, --port, --ip: the instance's line (src/diagnose/instance.ts), fitted to `width`; none without one. */
async function instanceOf(instance: import('./result.js').InstanceJson | undefined, width: number): Promise<string> {
  if (!instance) return ''
  const [{fitted}, {instanceLine}] = await Promise.all([import('../render/findings.js'), import('./instance.js')])
  return `${fitted(instanceLine(instance), width, {hang: '  '}).join('\n')}\n`
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
