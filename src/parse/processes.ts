// Processes: `ps -f` (also folded by `fold -s -w N`), `ps auxwww` (a sosreport's process list),
// `ps -o pid,args`, /proc/PID/cmdline.
//
// ps prints argv joined by single spaces, so splitting its text on whitespace is the
// best it can give: an argument that itself contains a space comes back as two. Where
// exact arguments matter, read /proc/PID/cmdline (parseProcCmdline).
import {splitLines, toInt} from './ip-util.js'

export interface ProcessInfo {
  pid: number
  ppid?: number
  user?: string
  args: string[]
}

// UID PID PPID C STIME TTY TIME CMD; STIME is `17:47`, `Nov22` or `2024`; TIME may be `1-02:03:04`
const PS_F_LINE = /^\s*(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+((?:\d+-)?\d+:\d+(?::\d+)?)\s+(.*)$/
const PS_F_HEADER = /^\s*UID\s+PID\s+PPID\b/
// USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND; START is `17:47`, `Nov22` or `2024`
const PS_AUX_HEADER = /^\s*USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TT\w*\s+STAT\s+START\s+TIME\s+COMMAND\s*$/
const PS_AUX_LINE = /^\s*(\S+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+\S+\s+\S+\s+\S+\s+((?:\d+-)?\d+:\d+(?::\d+)?)\s+(.*)$/

/**
 * `ps -f --pid N` / `ps -ef` / `ps -ww -f -p N`, several outputs concatenated included; after a
 * `ps aux` header (`USER PID %CPU ...`: sos's `ps auxwww`) the lines are read in that format (no PPID).
 * Lines that are neither a header nor start like a process line continue the previous
 * command (the output went through `fold -s -w 82`); they are rejoined with one space.
 * fold -s only breaks at spaces unless a single word is longer than the width; such a
 * word comes back split in two, which the text cannot reveal (the seed's 82-character
 * `--pid_file=...` line shows that line length is no hint either).
 */
export function parsePsF(text: string): ProcessInfo[] {
  const out: {info: ProcessInfo; cmd: string[]}[] = []
  let current: {info: ProcessInfo; cmd: string[]} | undefined
  let aux = false
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue
    if (PS_F_HEADER.test(line) || PS_AUX_HEADER.test(line)) {
      aux = PS_AUX_HEADER.test(line)
      current = undefined
      continue
    }
    if (aux) {
      const a = PS_AUX_LINE.exec(line)
      const pid = a ? toInt(a[2]) : undefined
      if (a && pid !== undefined) out.push((current = {cmd: [a[4].trim()], info: {args: [], pid, user: a[1]}}))
      else current = undefined // ps aux never folds: a line of another shape is noise
      continue
    }
    const m = PS_F_LINE.exec(line)
    if (m) {
      const pid = toInt(m[2])
      const ppid = toInt(m[3])
      if (pid === undefined) continue
      current = {cmd: [m[8].trim()], info: {args: [], pid, ppid, user: m[1]}}
      out.push(current)
      continue
    }
    if (current) current.cmd.push(line.trim())
  }
  return out.map(({cmd, info}) => ({...info, args: splitArgs(cmd.join(' '))}))
}

function splitArgs(cmd: string): string[] {
  const t = cmd.trim()
  return t === '' ? [] : t.split(/\s+/)
}

/**
 * `ps -o pid,args`, `ps -eo pid,args`, and other column lists ending in the command
 * (`ps -eo pid,ppid,user,args`): the header names the columns; without a header the
 * lines are taken as `PID ARGS`.
 */
export function parsePsArgs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = []
  let columns = ['PID']
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue
    const head = line.trim().split(/\s+/)
    if (head.includes('PID') && /^(COMMAND|CMD|ARGS)$/.test(head.at(-1) ?? '')) {
      columns = head.slice(0, -1)
      continue
    }
    const tokens = line.trim().split(/\s+/)
    if (tokens.length < columns.length) continue
    const info: ProcessInfo = {args: [], pid: -1}
    let ok = true
    columns.forEach((col, i) => {
      const v = tokens[i]
      if (col === 'PID') {
        const pid = toInt(v)
        if (pid === undefined) ok = false
        else info.pid = pid
      } else if (col === 'PPID') {
        const ppid = toInt(v)
        if (ppid !== undefined) info.ppid = ppid
      } else if (col === 'USER' || col === 'UID' || col === 'RUSER' || col === 'EUSER') {
        info.user = v
      }
    })
    if (!ok) continue
    info.args = tokens.slice(columns.length)
    out.push(info)
  }
  return out
}

/** /proc/PID/cmdline: NUL-separated argv with a trailing NUL; empty for kernel threads. */
export function parseProcCmdline(raw: string): string[] {
  const parts = raw.split('\0')
  while (parts.length > 0 && parts.at(-1) === '') parts.pop()
  return parts
}

/** One process of a `ps auxwww` list, with the line it came from. */
export interface PsRow {
  pid: number
  user?: string
  /** the arguments as ps printed them, joined by one space */
  command: string
  /** the line verbatim (what a ProcessRecord's `ps` holds under the header) */
  line: string
}

/**
 * `ps auxwww` (a sosreport's process list) by pid: each process's line and its command, the first
 * line of a repeated pid kept, and the header line (empty when the text has none: then no process).
 */
export function psTable(text: string): {header: string; byPid: Map<number, PsRow>} {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => /^\s*USER\s+PID\s+%CPU/.test(l))
  const byPid = new Map<number, PsRow>()
  if (at < 0) return {byPid, header: ''}
  const header = lines[at]
  for (const line of lines.slice(at + 1)) {
    // one line at a time under its header: the line kept is exactly the one parsed
    const p = parsePsF(`${header}\n${line}`)[0]
    if (p && !byPid.has(p.pid)) byPid.set(p.pid, {command: p.args.join(' '), line, pid: p.pid, user: p.user})
  }
  return {byPid, header}
}
