/** Human output of `enable` / `disable`: what changed, where the backup is, what to restart. */
import type {ApplyOutcome, Mode} from '../config/apply.js'
import {shq} from '../chains/common/text.js'
import {paint} from '../output.js'

export function renderConfigResult(o: ApplyOutcome, mode: Mode, restartRequested: boolean, command: 'enable' | 'disable'): {stdout: string; stderr: string} {
  const c = paint()
  const r = o.result
  const out: string[] = []
  const err: string[] = []
  if (mode === 'check') {
    const mark = r.check!.ok ? c.green('ok') : c.red('FAIL')
    out.push(`${mark}: ${r.file}: ${r.check!.reason}`)
    // the fix is the command that was checked, and only when running it would make the check pass
    // as the findings print a fix: a command a shell takes (the path quoted), the reason apart after `#`
    const file = shq(r.file)
    if (!r.check!.ok && o.commandFixes) out.push(`fix: quantum-meta ${command} --config-file ${file} --restart`)
    else if (!r.check!.ok && !o.verdict.valid) {
      const line = o.verdict.badLine === undefined ? '' : ` +${o.verdict.badLine}`
      out.push(
        `fix: "\${EDITOR:-vi}"${line} ${file}`,
        `# put True or False in place of the value oslo.config rejects${line ? ` (line ${o.verdict.badLine})` : ''}, then: quantum-meta ${command} --check --config-file ${file}`,
      )
    }
    return {stderr: '', stdout: out.join('\n') + '\n'}
  }
  if (mode === 'dry-run') {
    if (r.diff) out.push(r.diff.trimEnd())
    err.push(r.wouldChange ? `${r.file}: dry run, nothing written` : `${r.file}: already as wanted; nothing would change`)
    if (o.exit !== 0) err.push(`even after this edit: ${o.verdict.reason}`)
    return {stderr: err.join('\n') + '\n', stdout: out.length > 0 ? out.join('\n') + '\n' : ''}
  }
  if (!r.changed) {
    out.push(o.exit === 0 ? `${r.file}: already as wanted (${o.verdict.reason}); nothing changed` : `${r.file}: nothing to change, but: ${o.verdict.reason}`)
    if (r.restart.stale && r.restart.done)
      out.push(`the running agent (pid ${r.restart.stale.join(', ')}) started before the file's last change: restarted ${r.restart.unit}`)
    else if (restartRequested) out.push('nothing changed, and the running agent has read the file: not restarted')
    return {stderr: '', stdout: out.join('\n') + '\n'}
  }
  for (const ch of r.changes) {
    out.push(
      ch.action === 'set' ? `${r.file}: line ${ch.line}: ${ch.key} changed from ${JSON.stringify(ch.from)}` : `${r.file}: line ${ch.line}: ${ch.key} added`,
    )
  }
  out.push(o.exit === 0 ? `now: ${o.verdict.reason}` : c.red(`still wrong: ${o.verdict.reason}`))
  if (r.backup) out.push(`backup: ${r.backup}`)
  out.push(r.restart.done ? c.green(`restarted ${r.restart.unit}`) : c.yellow(`restart the DHCP agent to apply it: ${o.restartHint}`))
  return {stderr: '', stdout: out.join('\n') + '\n'}
}
