#!/usr/bin/env node
// The man page, quantum-meta.1, from the same command metadata as --help and docs/commands/: the
// oclif.manifest.json `npm run build` has just written (and the manifests of the oclif plugins in
// package.json, for autocomplete and help). Hand-written roff (man(7) macros only), no dependency:
// `groff -man -ww -z quantum-meta.1` is silent on it (test/cli/docs.test.ts), `man -l quantum-meta.1`
// shows it. Deterministic: no date, nothing from the machine, so a build changes it only with the
// commands.
//
//   node scripts/man.mjs [OUT]     write OUT (default quantum-meta.1 at the package root)
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const BIN = pkg.oclif.bin

const manifestOf = (dir) => {
  const p = join(dir, 'oclif.manifest.json')
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')).commands : {}
}
const own = manifestOf(ROOT)
if (Object.keys(own).length === 0) {
  process.stderr.write('man.mjs: no oclif.manifest.json: run npm run build\n')
  process.exit(1)
}
const plugins = Object.assign({}, ...(pkg.oclif.plugins ?? []).map((p) => manifestOf(join(ROOT, 'node_modules', p))))
// src/run.ts narrows the autocomplete plugin's shells to the ones the tests complete in (bash, zsh)
for (const id of ['autocomplete', 'autocomplete:script']) {
  const c = plugins[id]
  if (!c) continue
  if (c.args?.shell) c.args.shell = {...c.args.shell, description: 'the shell: bash or zsh', options: ['bash', 'zsh']}
  c.examples = (c.examples ?? []).filter((e) => !String(typeof e === 'string' ? e : e.command).includes('powershell'))
}

/** text for roff: backslashes escaped, a leading `.` or `'` made literal, dashes as \- (so they copy as ASCII) */
const esc = (s) =>
  String(s)
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .replace(/^([.'])/gm, '\\&$1')
/** a paragraph's lines joined (the page is filled), blank lines as paragraph breaks */
const paragraphs = (text) =>
  String(text ?? '')
    .replaceAll('<%= config.bin %>', BIN)
    .split(/\n\s*\n/)
    .map((p) => p.trim().replace(/\s*\n\s*/g, ' '))
    .filter(Boolean)
const para = (text) => paragraphs(text).flatMap((p, i) => [...(i > 0 ? ['.PP'] : []), esc(p)])

const flagName = (f) => `${f.char ? `\\-${f.char}, ` : ''}\\-\\-${f.allowNo ? '[no\\-]' : ''}${esc(f.name)}`
function flagLines(f) {
  const value = f.type === 'option' ? ` \\fI${esc(f.helpValue ?? (f.options ? f.options.join('|') : 'VALUE'))}\\fR` : ''
  const extra = []
  if (f.options && f.helpValue && !f.options.every((o) => (f.description ?? '').includes(o))) extra.push(`one of ${f.options.join(', ')}`)
  if (f.default !== undefined && f.default !== false && !/\[default:/.test(f.description ?? '')) extra.push(`default: ${f.default}`)
  if (f.multiple) extra.push('repeatable')
  const desc = `${f.description ?? ''}${extra.length ? ` (${extra.join('; ')})` : ''}`
  return ['.TP', `.B ${flagName(f)}${value}`, ...para(desc)]
}

const argName = (a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`)
const usage = (id, c) => [BIN, ...id.split(':'), ...Object.values(c.args ?? {}).map(argName)].join(' ')

const GROUPS = ['GLOBAL', 'OPENSTACK']
function command(id, c) {
  const out = [`.SS "${esc(usage(id, c))}"`]
  out.push(...para(c.description ?? c.summary ?? ''))
  const args = Object.values(c.args ?? {})
  if (args.length > 0) {
    out.push('.PP', 'Arguments:', '.RS')
    for (const a of args) out.push('.TP', `.I ${esc(argName(a))}`, ...para(a.description ?? ''))
    out.push('.RE')
  }
  const flags = Object.values(c.flags ?? {}).filter((f) => !f.hidden && !GROUPS.includes(f.helpGroup))
  if (flags.length > 0) {
    out.push('.PP', 'Flags:', '.RS')
    for (const f of flags.sort((a, b) => a.name.localeCompare(b.name))) out.push(...flagLines(f))
    out.push('.RE')
  }
  const groups = GROUPS.filter((g) => Object.values(c.flags ?? {}).some((f) => f.helpGroup === g))
  if (groups.length > 0) out.push('.PP', `Also the ${groups.map((g) => g.toLowerCase()).join(' and ')} flags (below).`)
  // a plugin's examples start with the prompt (`$ <%= config.bin %> ...`), ours do not: the page adds one
  const examples = (c.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command)).map((e) => e.replaceAll('<%= config.bin %>', BIN).replace(/^\$ /, ''))
  if (examples.length > 0) {
    out.push('.PP', 'Examples:', '.PP', '.RS', '.nf')
    for (const e of examples) out.push(`$ ${esc(e)}`)
    out.push('.fi', '.RE')
  }
  return out
}

/** the flags of a help group, as the first command that has them declares them */
function groupFlags(group) {
  const seen = new Map()
  for (const c of Object.values(own)) for (const f of Object.values(c.flags ?? {})) if (f.helpGroup === group && !seen.has(f.name)) seen.set(f.name, f)
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name))
}

const page = [
  `.TH ${BIN.toUpperCase()} 1 "" "${BIN} ${pkg.version}" "User Commands"`,
  // no hyphenation, ragged right: flags, paths and ids stay whole and copyable
  '.nh',
  '.ad l',
  '.SH NAME',
  `${BIN} \\- ${esc(pkg.description)}`,
  '.SH SYNOPSIS',
  `.B ${BIN}`,
  '.I command',
  '.RI [ flags ]',
  '.br',
  `.B ${BIN}`,
  '.B \\-\\-help',
  '.SH DESCRIPTION',
  esc(
    `${BIN} names the broken link of the metadata chain that serves an OpenStack network on this node (the DHCP agent's qdhcp namespace, the L3 agent's qrouter namespace, or ML2/OVN's ovnmeta namespace), in chain order, with a command to fix it; from several hosts over ssh, a snapshot taken by collect, or a sosreport. It also turns isolated metadata on in the DHCP agent's config (enable) and creates gateway-less subnets through the API (subnet create).`,
  ),
  '.SH COMMANDS',
  ...Object.entries(own)
    .filter(([, c]) => !c.hidden)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([id, c]) => command(id, c)),
  ...Object.entries(plugins)
    .filter(([id, c]) => !own[id] && !c.hidden)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([id, c]) => command(id, c)),
  '.SH GLOBAL FLAGS',
  ...groupFlags('GLOBAL').flatMap(flagLines),
  '.SH OPENSTACK FLAGS',
  esc('The credentials of diagnose, collect and subnet create, as the OpenStack clients take them: these flags, then the OS_* variables, then clouds.yaml.'),
  ...groupFlags('OPENSTACK').flatMap(flagLines),
  '.SH EXIT STATUS',
  esc('The same for every command, with and without --json:'),
  '.TP',
  '.B 0',
  esc('done, or healthy: for diagnose, no link broken and every link judged.'),
  '.TP',
  '.B 1',
  esc('a check failed: the thing inspected is not in the wanted state (diagnose: a link is broken, on a host or across hosts).'),
  '.TP',
  '.B 2',
  esc('bad usage or bad input (an unknown flag, a malformed network id, a file that is not an ini file).'),
  '.TP',
  '.B 3',
  esc(
    'cannot inspect or apply (a file missing or unreadable, not root, a tool missing, the API unreachable); diagnose: a link or a host could not be judged, and none is broken.',
  ),
  '.SH ENVIRONMENT',
  '.TP',
  '.B OS_CLOUD, OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, ...',
  esc('OpenStack credentials, as the openstack client reads them (see OPENSTACK FLAGS).'),
  '.TP',
  '.B NO_COLOR',
  esc('no colour, as --no-color.'),
  '.SH FILES',
  '.TP',
  `.I ${esc('/etc/neutron/dhcp_agent.ini')}`,
  esc('the DHCP agent config enable and disable edit (else /etc/quantum/dhcp_agent.ini, or --config-file).'),
  '.TP',
  `.I ${esc('/var/lib/neutron')}`,
  esc("the agents' state_path diagnose reads (else /var/lib/quantum, or --state-path)."),
  '.SH SEE ALSO',
  esc(
    'The README and docs/ of the package: docs/commands/ (every command), docs/checks.md (every check), docs/diagnose.md (the chains in detail), docs/fleet.md, docs/sosreport.md, docs/junit.md, docs/safety.md. The same flags: quantum-meta COMMAND --help.',
  ),
]

writeFileSync(process.argv[2] ?? join(ROOT, `${BIN}.1`), `${page.join('\n')}\n`)
