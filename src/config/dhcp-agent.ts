/**
 * What dhcp_agent.ini means for isolated metadata, and the edits `enable` / `disable` make.
 * Pure: text in, meaning or new text out.
 */
import {type Wanted, wantBool, wantString} from './edit.js'
import {type ParsedIni, effective, osloBool} from './oslo-ini.js'

export const SECTION = 'DEFAULT'

export const BOOL_KEYS = ['enable_isolated_metadata', 'force_metadata', 'enable_metadata_network'] as const
export type BoolKey = (typeof BOOL_KEYS)[number]

export interface BoolSetting {
  /** the effective boolean (the default, false, when the key is absent); null when oslo would reject the text */
  value: boolean | null
  /** the text oslo.config reads, when the key is set */
  raw?: string
  /** 1-based line of the effective assignment */
  line?: number
}

export interface AgentSettings {
  enable_isolated_metadata: BoolSetting
  force_metadata: BoolSetting
  enable_metadata_network: BoolSetting
  root_helper: {value: string | null; line?: number}
}

export function readSettings(ini: ParsedIni): AgentSettings {
  const bool = (key: BoolKey): BoolSetting => {
    const a = effective(ini, SECTION, key)
    if (!a) return {value: false}
    const v = osloBool(a.value)
    return {line: a.line + 1, raw: a.value, value: v === undefined ? null : v}
  }
  const rh = effective(ini, SECTION, 'root_helper')
  return {
    enable_isolated_metadata: bool('enable_isolated_metadata'),
    enable_metadata_network: bool('enable_metadata_network'),
    force_metadata: bool('force_metadata'),
    root_helper: rh ? {line: rh.line + 1, value: rh.value} : {value: null},
  }
}

/** Flattened for --json: the three booleans (null when invalid) and root_helper. */
export function settingsJson(s: AgentSettings) {
  return {
    enable_isolated_metadata: s.enable_isolated_metadata.value,
    enable_metadata_network: s.enable_metadata_network.value,
    force_metadata: s.force_metadata.value,
    root_helper: s.root_helper.value,
  }
}

export interface MetadataVerdict {
  serves: boolean
  /** false when oslo.config would reject a value (the agent does not start at all) */
  valid: boolean
  reason: string
  /** when not valid: the line holding the value oslo.config rejects */
  badLine?: number
}

const where = (key: string, s: BoolSetting) => (s.line === undefined ? `${key} is not set (default False)` : `${key} = ${s.raw} (line ${s.line})`)

/** Does this config make the DHCP agent serve isolated metadata? (oslo rules, Neutron's should_enable_metadata) */
export function metadataVerdict(s: AgentSettings): MetadataVerdict {
  for (const key of BOOL_KEYS) {
    const v = s[key]
    if (v.value === null) {
      return {
        reason: `${key} = ${JSON.stringify(v.raw)} (line ${v.line}) is not a boolean oslo.config accepts: the agent will refuse to start`,
        serves: false,
        valid: false,
        ...(v.line === undefined ? {} : {badLine: v.line}),
      }
    }
  }
  if (s.force_metadata.value) return {reason: `${where('force_metadata', s.force_metadata)}: every network gets a metadata proxy`, serves: true, valid: true}
  if (s.enable_isolated_metadata.value) return {reason: where('enable_isolated_metadata', s.enable_isolated_metadata), serves: true, valid: true}
  return {
    reason: `${where('enable_isolated_metadata', s.enable_isolated_metadata)} and force_metadata is off: isolated metadata is not served`,
    serves: false,
    valid: true,
  }
}

export interface EnableOptions {
  forceMetadata?: boolean
  metadataNetwork?: boolean
  rootHelper?: string
}

export function enableWanted(o: EnableOptions): Wanted[] {
  const w: Wanted[] = [wantBool(SECTION, 'enable_isolated_metadata', true, true)]
  if (o.forceMetadata) w.push(wantBool(SECTION, 'force_metadata', true, true))
  if (o.metadataNetwork) w.push(wantBool(SECTION, 'enable_metadata_network', true, true))
  if (o.rootHelper !== undefined) w.push(wantString(SECTION, 'root_helper', o.rootHelper, '--root-helper'))
  return w
}

/** disable: every switch back to False; an absent key already means False and is not added. */
export function disableWanted(): Wanted[] {
  return BOOL_KEYS.map((k) => wantBool(SECTION, k, false, false))
}
