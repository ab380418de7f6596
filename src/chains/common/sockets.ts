import type {NetworkEvidence} from '../../evidence/evidence.js'
import {parseNetstat, parseProcNetTcp, parseSs, type Socket, socketInodesFromFdLinks} from '../../parse/sockets.js'
import {processOf} from './evidence.js'

/** The TCP sockets seen in the namespace and which of them the proxy holds. */
export function proxySockets(ev: NetworkEvidence, pid: number): {sockets: Socket[]; owned: (s: Socket) => boolean; source: string} | undefined {
  const proc = processOf(ev, 'proxy')!
  if (proc.tcp !== undefined || proc.tcp6 !== undefined) {
    const sockets = [...parseProcNetTcp(proc.tcp ?? '', 'tcp'), ...parseProcNetTcp(proc.tcp6 ?? '', 'tcp6')]
    const mine = new Set(socketInodesFromFdLinks(proc.fdLinks ?? []))
    return {owned: (s) => s.inode !== undefined && mine.has(s.inode), source: `/proc/${pid}/net/tcp`, sockets}
  }
  if (ev.sockets && ev.sockets.exitCode === 0) {
    // a hand-made snapshot holds netstat (the seed) or ss (`ss -ltnp`) output
    const ss = ev.sockets.argv[ev.sockets.argv.indexOf('exec') + 2] === 'ss' || /^State\s|users:\(\(/m.test(ev.sockets.stdout)
    const sockets = ss ? parseSs(ev.sockets.stdout) : parseNetstat(ev.sockets.stdout)
    return {owned: (s) => s.pid === pid || Boolean(s.users?.some((u) => u.pid === pid)), source: ev.sockets.argv.join(' '), sockets}
  }
  return undefined
}
