/**
 * The opts fix, applied (issue 21: "the opts fix applied to a copy keeps every route"). A client that
 * takes option 121 ignores option 3 (RFC 3442), so a fix that added a 121 line holding only the
 * metadata pair took away the default route and the host routes at the next renewal. Here each broken
 * opts file of the real Zed node's network is diagnosed, the by-hand edit the fix offers is checked by
 * `bash -n`, run by bash on a copy, and the copy read back: every pair it had is still there (the
 * stale metadata next hop replaced), the metadata pair goes via this DHCP port, and the check passes.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {isClasslessRoute, isWin2k3Route, parseOpts, routePairs} from '../../src/parse/opts.js'
import {zed} from '../helpers/zed-evidence.js'

const TAG = 'tag:subnet-366aea06-40b3-4962-8342-b8b7c326e34d'
const DHCP_IP = '198.51.100.1'
const META = '169.254.169.254/32'
const tmp = mkdtempSync(join(tmpdir(), 'qm-opts-fix-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))

/** The pairs of the tag's 121 and 249 lines, as `dst,hop` strings, per line kind. */
function pairsOf(content: string): {c121: string[]; c249: string[]} {
  const lines = parseOpts(content).filter((o) => o.tag === TAG.slice(4))
  const pairs = (pick: (o: ReturnType<typeof parseOpts>[number]) => boolean) =>
    lines.filter(pick).flatMap((o) => routePairs(o.values).pairs.map((p) => `${p.destination}/${p.prefixlen},${p.nexthop}`))
  return {c121: pairs(isClasslessRoute), c249: pairs(isWin2k3Route)}
}

function fixApplied(name: string, opts: string): {after: string; edit: string} {
  const path = join(tmp, `${name}.opts`)
  writeFileSync(path, opts)
  const ev = zed()
  ev.opts = {content: opts, path, state: 'present'}
  const f = diagnoseEvidence(ev, {probe: false}).findings.find((x) => x.id === 'opts.metadata-route')!
  expect(f.status).toBe('fail')
  // the agent's restart comes first: it makes Neutron rewrite the line itself
  expect(f.fix).toMatchObject({command: 'systemctl restart neutron-dhcp-agent', why: expect.stringMatching(/^the agent rewrites opts with the route/)})
  // the alternative is the by-hand edit, a command of its own (not prose around it)
  const alt = f.fix?.alternative
  expect(alt && 'command' in alt, JSON.stringify(f.fix)).toBe(true)
  const command = (alt as {command: string}).command
  expect(alt!.why).toMatch(/^or by hand, keeping every other route of /)
  execFileSync('bash', ['-n', '-c', command])
  // the dnsmasq pid is the recorded node's, not one of this machine's: the edit alone is run
  const edit = command.replace(/ && kill -HUP \d+$/, '')
  expect(edit).not.toBe(command)
  execFileSync('bash', ['-n', '-c', edit])
  execFileSync('bash', ['-c', edit])
  const after = readFileSync(path, 'utf8')
  const again = zed()
  again.opts = {content: after, path, state: 'present'}
  const judged = diagnoseEvidence(again, {probe: false}).findings.find((x) => x.id === 'opts.metadata-route')!
  expect(judged.status, `${judged.summary}\n${after}`).toBe('pass')
  return {after, edit}
}

describe('the opts fix keeps every route (RFC 3442: a client taking 121 ignores option 3)', () => {
  it('a stale metadata next hop among host and default routes: replaced in place in 121 and 249, nothing else touched', () => {
    const routes = `10.9.0.0/16,198.51.100.9,${META},198.51.100.77,0.0.0.0/0,198.51.100.254`
    const opts = `${TAG},option:classless-static-route,${routes}\n${TAG},249,${routes}\n${TAG},option:router,198.51.100.254\n${TAG},option:dns-server,198.51.100.53\n`
    const {after} = fixApplied('stale', opts)
    const want = ['10.9.0.0/16,198.51.100.9', `${META},${DHCP_IP}`, '0.0.0.0/0,198.51.100.254']
    expect(pairsOf(after)).toEqual({c121: want, c249: want})
    expect(after.split('\n').length).toBe(opts.split('\n').length)
    expect(after).toContain(`${TAG},option:dns-server,198.51.100.53\n`)
  })

  it('host routes and a default route but no metadata pair: the pair is added to the same lines', () => {
    const routes = '10.9.0.0/16,198.51.100.9,0.0.0.0/0,198.51.100.254'
    const opts = `${TAG},option:classless-static-route,${routes}\n${TAG},249,${routes}\n${TAG},option:router,198.51.100.254\n`
    const {after} = fixApplied('no-meta', opts)
    const want = ['10.9.0.0/16,198.51.100.9', '0.0.0.0/0,198.51.100.254', `${META},${DHCP_IP}`]
    expect(pairsOf(after)).toEqual({c121: want, c249: want})
  })

  it('no 121 line and a gateway in option:router: the new 121 and 249 lines carry the default route too', () => {
    const opts = `${TAG},option:router,198.51.100.254\n`
    const {after} = fixApplied('new-line', opts)
    const want = [`${META},${DHCP_IP}`, '0.0.0.0/0,198.51.100.254']
    expect(pairsOf(after)).toEqual({c121: want, c249: want})
  })

  it('a file rewritten since the evidence was read is left as it is (the edit matches whole lines)', () => {
    const routes = `10.9.0.0/16,198.51.100.9,${META},198.51.100.77`
    const opts = `${TAG},option:classless-static-route,${routes}\n${TAG},option:router,198.51.100.254\n`
    const path = join(tmp, 'rewritten.opts')
    const ev = zed()
    ev.opts = {content: opts, path, state: 'present'}
    const f = diagnoseEvidence(ev, {probe: false}).findings.find((x) => x.id === 'opts.metadata-route')!
    const edit = (f.fix!.alternative as {command: string}).command.replace(/ && kill -HUP \d+$/, '')
    const now = `${TAG},option:classless-static-route,10.9.0.0/16,198.51.100.9,${META},${DHCP_IP}\n`
    writeFileSync(path, now)
    execFileSync('bash', ['-c', edit])
    expect(readFileSync(path, 'utf8')).toBe(now)
  })
})
