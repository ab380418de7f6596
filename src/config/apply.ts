/**
 * The service behind `enable` and `disable`: read the agent config, plan the line edits,
 * then check, show or write them, and restart the agent when asked and needed.
 */
import {EXIT, type ExitCode, usageError} from '../errors.js'
import {LAYOUTS, layoutOfConfig} from '../layout.js'
import {loadConfig, writeConfig} from './config-file.js'
import {type AgentSettings, type MetadataVerdict, metadataVerdict, readSettings, settingsJson} from './dhcp-agent.js'
import {type LineChange, type Wanted, applySettings} from './edit.js'
import {IniSyntaxError, parseIni} from './oslo-ini.js'
import {redactIniSecrets} from './secrets.js'

export type Mode = 'check' | 'dry-run' | 'write'

export interface ApplyRequest {
  path: string
  wanted: Wanted[]
  mode: Mode
  backup: boolean
  restart: boolean
  /** success is the config serving isolated metadata (enable) or not (disable); decides exit 0 or 1 */
  wantServing: boolean
}

export interface ApplyResult {
  file: string
  changed: boolean
  backup: string | null
  settings: ReturnType<typeof settingsJson>
  diff: string | null
  restart: {needed: boolean; done: boolean; unit: string}
  /** present under --check and --dry-run */
  wouldChange?: boolean
  check?: {ok: boolean; servesIsolatedMetadata: boolean; reason: string}
  changes: LineChange[]
}

export interface ApplyOutcome {
  result: ApplyResult
  exit: ExitCode
  verdict: MetadataVerdict
  /** --check that failed: whether running the same command (without --check) would make it pass */
  commandFixes?: boolean
}

function parseOrExplain(path: string, text: string) {
  try {
    return parseIni(text)
  } catch (error) {
    if (error instanceof IniSyntaxError) {
      throw usageError('config-not-ini', `${path}: ${error.message}; oslo.config cannot read it, so it is left untouched`)
    }
    throw error
  }
}

async function unifiedDiff(path: string, before: string, after: string): Promise<string> {
  const {createTwoFilesPatch} = await import('diff')
  // line for line, so the hunks are the same: the context lines never show a secret value
  return createTwoFilesPatch(path, path, redactIniSecrets(before), redactIniSecrets(after), 'current', 'quantum-meta')
}

export async function applyAgentConfig(req: ApplyRequest, deps: {restart: (unit: string) => Promise<string>}): Promise<ApplyOutcome> {
  const cfg = await loadConfig(req.path)
  const before = parseOrExplain(req.path, cfg.text)
  const edit = applySettings(cfg.text, req.wanted)
  const after: AgentSettings = readSettings(edit.changed ? parseIni(edit.text) : before)
  const unit = LAYOUTS[layoutOfConfig(cfg.target)].dhcpAgentService
  const base = {
    backup: null,
    changes: edit.changes,
    file: req.path,
    restart: {done: false, needed: false, unit},
  }

  if (req.mode === 'check') {
    const verdict = metadataVerdict(readSettings(before))
    const ok = verdict.valid && verdict.serves === req.wantServing
    const then = metadataVerdict(after)
    return {
      commandFixes: !ok && edit.changed && then.valid && then.serves === req.wantServing,
      exit: ok ? EXIT.OK : EXIT.FAILED,
      result: {
        ...base,
        changed: false,
        check: {ok, reason: verdict.reason, servesIsolatedMetadata: verdict.serves},
        diff: null,
        settings: settingsJson(readSettings(before)),
        wouldChange: edit.changed,
      },
      verdict,
    }
  }

  const diff = edit.changed ? await unifiedDiff(req.path, cfg.text, edit.text) : null
  const verdict = metadataVerdict(after)
  // the edit can be right and the result still wrong: another switch holds a value oslo rejects
  const exit = verdict.valid && verdict.serves === req.wantServing ? EXIT.OK : EXIT.FAILED
  if (req.mode === 'dry-run') {
    return {
      exit,
      result: {...base, changed: false, diff, restart: {...base.restart, needed: edit.changed}, settings: settingsJson(after), wouldChange: edit.changed},
      verdict,
    }
  }

  let backupPath: string | null = null
  let done = false
  let restartUnit = unit
  if (edit.changed) {
    backupPath = await writeConfig(cfg, edit.text, req.backup)
    if (req.restart) {
      restartUnit = await deps.restart(unit)
      done = true
    }
  }
  return {
    exit,
    result: {...base, backup: backupPath, changed: edit.changed, diff, restart: {done, needed: edit.changed, unit: restartUnit}, settings: settingsJson(after)},
    verdict,
  }
}
