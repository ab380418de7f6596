// src/diagnose/sosreport.ts (the sosreport view under the DHCP collector) on the real sos 4.0 reports
// of test/fixtures/sosreport/ (SOURCES.md there), with what other programs make: this machine's
// `ss -peaonmi`, real tarballs (tar), a FIFO (mkfifo). The rest: test/unit/sosreport.test.ts.
import {execFileSync} from 'node:child_process'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {FIXTURES, HEALTHY, NET, tmp, copy, verdicts, refusal} from '../helpers/sosreport-copies.js'

describe("the root namespace's ss -peaonmi (when sos kept ss, not netstat)", () => {
  it('a listener on the socket the proxy forwards to passes; none fails naming ss', async () => {
    // a real `ss -peaonmi` of this machine, with a UNIX listener of ours at the path (local IPC, no traffic)
    const sock = join(tmp, 'metadata_proxy')
    const dir = copy()
    const conf = join(dir, `var/lib/neutron/ns-metadata-proxy/${NET}.conf`)
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('server metadata /var/lib/neutron/metadata_proxy', `server metadata ${sock}`))
    rmSync(join(dir, 'sos_commands/networking/netstat_-W_-neopa'))
    const ss = join(dir, 'sos_commands/networking/ss_-peaonmi')
    const server = createServer()
    await new Promise<void>((ok) => server.listen(sock, ok))
    try {
      writeFileSync(ss, execFileSync('ss', ['-peaonmi'], {encoding: 'utf8', maxBuffer: 64 << 20}))
    } finally {
      await new Promise((ok) => server.close(ok))
    }
    expect(readFileSync(ss, 'utf8')).toMatch(new RegExp(`^u_str +LISTEN .* ${sock} `, 'm'))
    expect((await verdicts(dir))['proxy.upstream']).toMatchObject({
      status: 'pass',
      summary: `the metadata agent socket ${sock} exists (no connection to it is recorded in the evidence)`,
    })
    writeFileSync(ss, execFileSync('ss', ['-peaonmi'], {encoding: 'utf8', maxBuffer: 64 << 20}))
    expect((await verdicts(dir))['proxy.upstream']).toMatchObject({
      status: 'fail',
      summary: `nothing accepts connections on ${sock} (no listener in the sosreport's ss -peaonmi): instances get 503 from haproxy`,
    })
  })
})

describe('hostile sosreports', () => {
  it('not a sosreport, a plain file, a tarball: exit 2 naming it', async () => {
    const empty = join(tmp, 'empty')
    mkdirSync(empty)
    expect((await refusal(empty)).message).toBe(
      `${empty} is not a sosreport: it has no sos_commands/ (give the sosreport-HOST-... directory \`sos report\` made, extracted)`,
    )
    const noVersion = copy()
    rmSync(join(noVersion, 'version.txt'))
    expect((await refusal(noVersion)).message).toContain('it has no version.txt')
    const tarball = join(tmp, 'sosreport-net1.tar.xz')
    writeFileSync(tarball, 'not really')
    const e = await refusal(tarball)
    expect([e.exit, e.message]).toEqual([2, `${tarball} is a sosreport tarball: extract it first (tar xf ${tarball}) and give the directory it makes`])
    expect((await refusal(join(HEALTHY, 'version.txt'))).message).toBe(
      `${join(HEALTHY, 'version.txt')} is not a directory: --sosreport takes an extracted sosreport (the sosreport-HOST-... directory)`,
    )
    // a real xz-compressed tar under a name that does not say so: told by its first bytes
    const renamed = join(tmp, 'sosreport-net1-download')
    execFileSync('tar', ['cJf', renamed, '-C', FIXTURES, 'healthy/version.txt'])
    expect((await refusal(renamed)).message).toBe(`${renamed} is a sosreport tarball: extract it first (tar xf ${renamed}) and give the directory it makes`)
    const plainTar = join(tmp, 'plain')
    execFileSync('tar', ['cf', plainTar, '-C', FIXTURES, 'healthy/version.txt'])
    expect((await refusal(plainTar)).code).toBe('sosreport-tarball')
    expect((await refusal(join(tmp, 'nope'))).exit).toBe(3)
  })

  it('a FIFO where a file is expected is refused without being opened (no hang): exit 2', async () => {
    const dir = copy()
    const opts = join(dir, `var/lib/neutron/dhcp/${NET}/opts`)
    rmSync(opts)
    execFileSync('mkfifo', [opts])
    const e = await refusal(dir)
    expect([e.exit, e.message]).toEqual([2, `${opts}: is a FIFO, not a regular file`])
  })
})
