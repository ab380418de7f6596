/**
 * The link every proxy chain ends in: the metadata agent's UNIX socket the proxy forwards to (the DHCP
 * agent's proxy and the L3 agent's router proxy forward to the same one), judged the same way for both.
 */
import {restart, type Scope} from '../../deployments/registry.js'
import type {FileRecord} from '../../evidence/evidence.js'
import type {LayoutName} from '../../layout.js'
import {type Finding, fail, pass, skip, warn} from '../types.js'
import {notInEvidence} from './evidence.js'

/** The command that restarts the metadata agent where the evidence was taken (every proxy chain forwards to it). */
export const restartMetadataAgent = (ev: Scope) => restart(ev, 'metadata-agent')

/** What instances get when the proxy cannot reach the metadata agent's socket. */
export const upstreamDownAnswer = (layout: LayoutName) => (layout === 'quantum' ? '500 from the Grizzly proxy' : '503 from haproxy')

/** The socket `sock` as the proxy of `agent` (DHCP, L3) forwards to it. */
export function upstreamFinding(sock: FileRecord, scope: Scope, agent: string): Omit<Finding, 'id'> {
  const fix = `${restartMetadataAgent(scope)}    (it creates ${sock.path}; the ${agent} and metadata agents must agree on metadata_proxy_socket and state_path)`
  const answer = upstreamDownAnswer(scope.layout)
  if (sock.state === 'not-collected') return skip(notInEvidence(sock))
  if (sock.state === 'missing')
    return fail(`the proxy forwards to ${sock.path}, which does not exist: instances get ${answer}`, [`${sock.path}: no such file`], fix)
  if (sock.state === 'error') return fail(`cannot inspect ${sock.path}: ${sock.error}`, [], fix)
  if (sock.type !== 'socket') return fail(`${sock.path} is a ${sock.type}, not a UNIX socket: instances get ${answer}`, [`${sock.path}: ${sock.type}`], fix)
  if (sock.connect === 'EAGAIN') {
    return warn(
      `something listens on ${sock.path} but left its accept queue full for ${sock.busyMs ?? 'a'} ms (EAGAIN): the metadata agent is overloaded or hung, and instances wait or get ${answer}`,
      [`${sock.path}: socket, connect: EAGAIN for ${sock.busyMs ?? '?'} ms`],
      fix,
    )
  }
  if (sock.connect && sock.connect !== 'ok') {
    return fail(
      `nothing accepts connections on ${sock.path} (${sock.connect}): instances get ${answer}`,
      [`${sock.path}: socket, connect: ${sock.connect}`],
      fix,
    )
  }
  const busy = sock.busyMs === undefined ? '' : ` after ${sock.busyMs} ms of EAGAIN (accept queue full)`
  // no connect() in the evidence (an older snapshot; a sosreport, where a listener was seen in its netstat/ss):
  // the socket is there, whether it accepts connections is not known
  if (!sock.connect) return pass(`the metadata agent socket ${sock.path} exists (no connection to it is recorded in the evidence)`, [`${sock.path}: socket`])
  return pass(`the metadata agent socket ${sock.path} accepts connections${busy}`, [`${sock.path}: socket, connect: ${sock.connect}${busy}`])
}
