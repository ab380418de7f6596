/**
 * The service behind `enable` and `disable`: read the agent config, plan the line edits,
 * then check, show or write them, and restart the agent when asked and needed.
 */
import {EXIT, type ExitCode, cannotError, usageError} from '../errors.js'
import {restartHint, unitOf} from '../deployments/registry.js'
import type {DeploymentName} from '../evidence/evidence.js'
import {layoutOfConfig} from '../layout.js'
import {type LoadedConfig, checkWritable, loadConfig, writeConfig} from './config-file.js'
import {type AgentSettings, type MetadataVerdict, metadataVerdict, readSettings, settingsJson} from './dhcp-agent.js'
import {type LineChange, type Wanted, applySettings} from './edit.js'
import {acquireConfigLock, lockPathFor} from './lock.js'
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
  /** how Neutron is installed here (which unit, how it restarts); undefined: packages */
  deployment?: DeploymentName
}

export interface ApplyResult {
  file: string
  changed: boolean
  backup: string | null
  settings: ReturnType<typeof settingsJson>
  diff: string | null
  /** `stale`: nothing changed, but the running agent started before the file's last change (pids) */
  restart: {needed: boolean; done: boolean; unit: string; stale?: number[]}
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
  /** the restart to tell the operator when it was not done (the deployment's command) */
  restartHint: string
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

/**
 * A file that is not UTF-8 is edited byte for byte (see loadConfig): only ASCII may go into it, or
 * the new line would be in an encoding the rest of the file is not.
 */
function checkEncoding(cfg: LoadedConfig, wanted: readonly Wanted[]): void {
  if (cfg.encoding === 'utf8') return
  for (const w of wanted) {
    if (/[^\u0000-\u007f]/.test(w.value)) {
      throw usageError('config-bad-value', `${cfg.path}: not UTF-8 (Latin-1 bytes), so ${w.flag ?? w.key} must be ASCII; nothing written`)
    }
  }
}

/** Other Neutron files an operator may point `enable` at by mistake, by name: whose they are. */
const FOREIGN: Record<string, string> = {
  'l3_agent.ini': "the L3 agent's config",
  'metadata_agent.ini': "the metadata agent's config",
  'ml2_conf.ini': "ML2's config",
  'networking_ovn_metadata_agent.ini': "the OVN metadata agent's config",
  'neutron.conf': 'neutron.conf, which every agent and the server read',
  'neutron_ovn_metadata_agent.ini': "the OVN metadata agent's config",
  'openvswitch_agent.ini': "the Open vSwitch agent's config",
  'linuxbridge_agent.ini': "the Linux bridge agent's config",
  'ovn_agent.ini': "the OVN agent's config",
}

/**
 * enable/disable edit the DHCP agent's config only: a file that is another's (by its name, or OVN
 * options in it) is refused, exit 2, nothing written. On ML2/OVN the OVN metadata agent serves
 * metadata with no such switch.
 */
export function refuseForeignConfig(path: string, target: string, text: string): void {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1)
  const whose = FOREIGN[base(target)] ?? FOREIGN[base(path)]
  const ovn = /^[ \t]*\[ovn\][ \t]*$/m.test(text) || /^[ \t]*ovn_(sb|nb)_connection[ \t]*=/m.test(text)
  if (whose === undefined && !ovn) return
  const what = whose ?? "an OVN agent's config (it has [ovn] or ovn_*_connection)"
  throw usageError(
    'not-dhcp-agent-config',
    `${path} is ${what}, not the DHCP agent's dhcp_agent.ini: left untouched (isolated metadata is the DHCP agent's switch; on ML2/OVN the OVN metadata agent serves metadata without it)`,
  )
}

function plan(req: ApplyRequest, cfg: LoadedConfig) {
  refuseForeignConfig(req.path, cfg.target, cfg.text)
  const before = parseOrExplain(req.path, cfg.text)
  const edit = applySettings(cfg.text, req.wanted)
  checkEncoding(cfg, req.wanted)
  return {before, edit}
}

export interface ApplyDeps {
  restart: (unit: string) => Promise<string>
  /** the running agents reading `file` that started before its last change (their pids), if any */
  notReread?: (file: string) => Promise<number[]>
}

export async function applyAgentConfig(req: ApplyRequest, deps: ApplyDeps): Promise<ApplyOutcome> {
  let cfg = await loadConfig(req.path)
  let {before, edit} = plan(req, cfg)
  let backupPath: string | null = null
  if (req.mode === 'write' && edit.changed) {
    // Read-modify-write under the file's lock, reading the file again once the lock is held: a run
    // that exits 0 has its change in the file, whatever ran beside it. --check and --dry-run take none.
    await checkWritable(cfg)
    const lock = await acquireConfigLock(req.path)
    try {
      cfg = await loadConfig(req.path)
      if (lockPathFor(cfg.target) !== lock.path) {
        throw cannotError('config-write-failed', `${req.path}: now points to ${cfg.target}, not the file that was locked; left untouched, try again`)
      }
      ;({before, edit} = plan(req, cfg))
      if (edit.changed) backupPath = await writeConfig(cfg, edit.text, req.backup)
    } finally {
      await lock.release()
    }
  }
  const after: AgentSettings = readSettings(edit.changed ? parseIni(edit.text) : before)
  const scope = {deployment: req.deployment, layout: layoutOfConfig(cfg.target)}
  const unit = unitOf(scope, 'dhcp-agent')
  const hint = restartHint(scope, 'dhcp-agent')
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
      restartHint: hint,
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
      restartHint: hint,
      result: {...base, changed: false, diff, restart: {...base.restart, needed: edit.changed}, settings: settingsJson(after), wouldChange: edit.changed},
      verdict,
    }
  }

  let done = false
  let restartUnit = unit
  // unchanged now, but a run before may have written it and failed to restart: the agent has not read it
  const stale = req.restart && !edit.changed && deps.notReread ? await deps.notReread(cfg.target) : []
  if (req.restart && (edit.changed || stale.length > 0)) {
    try {
      restartUnit = await deps.restart(unit)
      done = true
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      const written = edit.changed ? `${req.path} was changed${backupPath ? ` (backup ${backupPath})` : ''}; ` : ''
      throw cannotError('restart-failed', `${written}${why}: the running agent has not read the file; restart it: ${hint}`)
    }
  }
  return {
    exit,
    restartHint: hint,
    result: {
      ...base,
      backup: backupPath,
      changed: edit.changed,
      diff,
      restart: {done, needed: edit.changed || stale.length > 0, unit: restartUnit, ...(stale.length > 0 ? {stale} : {})},
      settings: settingsJson(after),
    },
    verdict,
  }
}
