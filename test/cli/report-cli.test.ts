// Issue 21, "reports for the ticket", through the built binary: one host's table and --json say whose
// node, when and by which version (a snapshot's own); --report FILE.md writes the Markdown report and
// --report FILE.html the HTML one (the chain as an SVG), atomically; any other extension and a FIFO are
// refused (exit 2), and stdout is as without it. The HTML is checked as XML with Debian's xmllint
// (libxml2-utils, scripts/install-test-deps.sh): well-formed, the SVG alone too, no script, no handler.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {cli} from '../helpers/cli.js'
import {brokenHostWithLease, hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-report-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
type Snap = ReturnType<typeof hostSnapshot>
/** The derived Zed node's snapshot (healthy), or with its proxy's upstream refusing (broken), or `edit`ed and named `name`. */
const snap = (broken: boolean, edit?: {name: string; change: (s: Snap) => void; host?: string}) => {
  const s = hostSnapshot({host: edit?.host ?? 'net1', ip: '198.51.100.1'})
  if (broken) s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  edit?.change(s)
  const p = join(dir, edit ? `${edit.name}.json` : broken ? 'broken.json' : 'healthy.json')
  writeFileSync(p, JSON.stringify(s))
  return p
}

/** xmllint's answer on text: its exit status and messages. */
function xmllint(args: string[], input: string) {
  const r = spawnSync('xmllint', [...args, '-'], {encoding: 'utf8', input, maxBuffer: 64 << 20})
  if (r.error) throw new Error(`xmllint: ${r.error.message} (install libxml2-utils: scripts/install-test-deps.sh)`)
  return {out: r.stdout.trim(), status: r.status, stderr: r.stderr}
}
/** An XPath over the report read as XML (the SVG's elements by local name: they are in the SVG namespace). */
const xpath = (html: string, expr: string) => xmllint(['--xpath', expr], html).out

/** The HTML report of a diagnose run, checked well-formed as a whole and as the SVG alone. */
function htmlReport(args: string[], name: string) {
  const out = join(dir, name)
  const plain = cli(args)
  const r = cli([...args, '--report', out])
  expect(r.stdout).toBe(plain.stdout)
  expect(r.status).toBe(plain.status)
  const html = readFileSync(out, 'utf8')
  expect(xmllint(['--noout'], html)).toMatchObject({status: 0, stderr: ''})
  for (const svg of html.match(/<svg [\s\S]*?<\/svg>/g) ?? []) expect(xmllint(['--noout'], svg)).toMatchObject({status: 0, stderr: ''})
  // nothing runs, nothing is fetched
  expect(xpath(html, "count(//*[local-name()='script' or local-name()='link' or local-name()='img' or local-name()='iframe' or local-name()='object'])")).toBe(
    '0',
  )
  expect(xpath(html, "count(//@*[starts-with(local-name(), 'on') or local-name()='src' or local-name()='href'][not(starts-with(., '#'))])")).toBe('0')
  return {html, status: r.status}
}
/** The boxes of the chain's SVG: [what it says, the link] in order. */
const boxes = (html: string, n = 1) =>
  xpath(html, `(//*[local-name()='svg'])[${n}]//*[local-name()='g']/*[local-name()='text'][1]`)
    .split('\n')
    .map((t) => t.replace(/<[^>]*>/g, ''))
    .map((label, i) => [label, xpath(html, `string(((//*[local-name()='svg'])[${n}]//*[local-name()='g'])[${i + 1}]/*[local-name()='text'][2])`)])

describe('whose node, when, by what (built binary)', () => {
  it("the table's first line and --json carry the snapshot's host, time and tool", () => {
    const p = snap(false)
    const t = cli(['diagnose', ZED_NET, '--snapshot', p])
    expect(t.stdout.split('\n')[0]).toBe('host net1, evidence taken 2026-11-22T17:33:10Z by quantum-meta/test')
    expect(cli(['diagnose', ZED_NET, '--snapshot', p, '--json']).json).toMatchObject({host: 'net1', takenAt: '2026-11-22T17:33:10Z', tool: 'quantum-meta/test'})
  })

  it('--report FILE.md: the broken link marked and its fix, stdout unchanged, exit as without it', () => {
    const p = snap(true)
    const out = join(dir, 'ticket.md')
    const plain = cli(['diagnose', ZED_NET, '--snapshot', p])
    const r = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', out])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe(plain.stdout)
    const md = readFileSync(out, 'utf8')
    expect(md).toMatch(/^# quantum-meta: the metadata chain\n/)
    expect(md).toContain('- host: `net1`')
    expect(md).toMatch(/\[✘\] proxy\.upstream +◀── BROKEN/)
    expect(md).toContain('### The broken link: `proxy.upstream`')
    expect(md).toMatch(/```sh\n[^#\n].*\n# /)
  })

  it('--report: neither Markdown nor HTML, or a FIFO, is exit 2 before anything is judged, and nothing is written', () => {
    const p = snap(false)
    const txt = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', join(dir, 'r.txt')])
    expect([txt.status, txt.stderr.trim()]).toEqual([
      2,
      `quantum-meta: --report ${join(dir, 'r.txt')}: the extension says what is written: give FILE.md or .markdown (Markdown), FILE.html or .htm (HTML)`,
    ])
    expect(existsSync(join(dir, 'r.txt'))).toBe(false)
    const fifo = join(dir, 'pipe.md')
    execFileSync('mkfifo', [fifo])
    const f = cli(['diagnose', ZED_NET, '--snapshot', p, '--report', fifo])
    expect(f.status).toBe(2)
    expect(f.stderr).toContain('--report')
  })
})

describe('--report FILE.html (built binary)', () => {
  it('broken: the verdict in red words, the broken link red in the SVG with its id, its evidence and fix; exit 1', () => {
    const {html, status} = htmlReport(['diagnose', ZED_NET, '--snapshot', snap(true)], 'broken.html')
    expect(status).toBe(1)
    expect(xpath(html, "string(//p[@class='verdict v-broken'])")).toBe('broken: the first broken link is proxy.upstream')
    const b = boxes(html)
    expect(b[0]).toEqual(['instance', 'GET http://169.254.169.254/'])
    expect(b.at(-1)).toEqual(['Nova', 'the metadata API'])
    expect(b.filter(([label]) => label === '✘ BROKEN')).toEqual([['✘ BROKEN', 'proxy.upstream  ◀ the first broken link']])
    expect(xpath(html, "string(//*[local-name()='rect'][following-sibling::*[1]='✘ BROKEN']/@stroke)")).toBe('#cf222e')
    expect(xpath(html, "string(//pre[@class='evidence'])")).toBe('/var/lib/neutron/metadata_proxy: socket, connect: ECONNREFUSED')
    expect(xpath(html, "string(//pre[@class='fix'][1])")).toBe('systemctl restart neutron-metadata-agent')
    expect(xpath(html, "string(//pre[@class='fix'][1]/following-sibling::p[1])")).toMatch(/^it creates \/var\/lib\/neutron\/metadata_proxy/)
    // every check a row, in chain order, the same as the table on stdout
    const ids = xpath(html, "//table[@class='checks']/tbody/tr/td[2]/code/text()").split('\n')
    expect(ids).toEqual(cli(['diagnose', ZED_NET, '--snapshot', snap(true), '--json']).json.findings.map((f: {id: string}) => f.id))
  })

  it('healthy: green words, every box a pass or a skip saying so, no broken mark; exit 0', () => {
    const {html, status} = htmlReport(['diagnose', ZED_NET, '--snapshot', snap(false)], 'healthy.html')
    expect(status).toBe(0)
    expect(xpath(html, "string(//p[contains(@class, 'verdict')]/@class)")).toBe('verdict v-healthy')
    expect(xpath(html, 'string(//title)')).toBe('quantum-meta: net1: healthy')
    const head = [1, 2, 3, 4].map((n) => xpath(html, `concat(//dl[@class='head']/dt[${n}], ': ', //dl[@class='head']/dd[${n}])`))
    expect(head.slice(0, 3)).toEqual(['host: net1', 'evidence taken: 2026-11-22T17:33:10Z', 'collected by: quantum-meta/test'])
    expect(head[3]).toMatch(/^judged by: quantum-meta\/\S+, \d{4}-\d\d-\d\dT/)
    const labels = new Set(
      boxes(html)
        .slice(1, -1)
        .map(([label]) => label),
    )
    expect([...labels].sort()).toEqual(['· skipped', '✔ pass'])
  })

  it('not judged: the unjudged link grey and dashed, saying "not judged", and named in the verdict; exit 3', () => {
    const p = snap(false, {
      change: (s) => {
        s.networks[0].upstreamSocket = {path: s.networks[0].upstreamSocket.path, state: 'not-collected'}
      },
      name: 'not-judged',
    })
    const {html, status} = htmlReport(['diagnose', ZED_NET, '--snapshot', p], 'not-judged.html')
    expect(status).toBe(3)
    expect(xpath(html, "string(//p[@class='verdict v-not-judged'])")).toBe('not judged: no link found broken, but proxy.upstream could not be judged')
    expect(boxes(html).find(([, id]) => id === 'proxy.upstream')?.[0]).toBe('· not judged')
    expect(xpath(html, "string(//*[local-name()='rect'][following-sibling::*[1]='· not judged']/@stroke-dasharray)")).toBe('6 4')
  })

  it('several hosts: a row per host, the broken host drawn in full with the instance that leased from it', () => {
    const healthy = snap(false)
    const bad = brokenHostWithLease()
    writeFileSync(join(dir, 'net2.json'), JSON.stringify(bad))
    const {html, status} = htmlReport(['diagnose', ZED_NET, '--snapshot', healthy, '--snapshot', join(dir, 'net2.json')], 'fleet.html')
    expect(status).toBe(1)
    const rows = xpath(html, "//table[@class='hosts']/tbody/tr/td[1]/code/text()").split('\n')
    expect(rows).toEqual(['net1', 'net2'])
    expect(xpath(html, "string(//table[@class='hosts']/tbody/tr[2])")).toMatch(/^net2brokenproxy\.upstream: nothing accepts/)
    expect(xpath(html, "string(//section[@class='network']/h3)")).toBe('Host net2')
    expect(boxes(html).find(([label]) => label === '✘ BROKEN')?.[1]).toBe('proxy.upstream  ◀ the first broken link')
    // in net2's section, under its chain
    const affected = [1, 2, 3].map((n) => xpath(html, `string(//section[h3='Host net2']/table[@class='affected']/tbody/tr/td[${n}])`))
    expect(affected).toEqual(['fa:16:3e:00:00:01', '198.51.100.149', 'b7c1a2d3-0000-4000-8000-000000000001'])
  })

  it('hostile evidence stays text: a host and a socket path holding markup, a control character, 1 MB', () => {
    const p = snap(true, {
      change: (s) => {
        s.networks[0].upstreamSocket.connect = `ECONNREFUSED</pre><script>alert(1)</script>]]><svg onload=alert(2)>\u001b[2J${'B'.repeat(1_000_000)}`
      },
      host: '<svg onload=alert(3)>"x"',
      name: 'hostile',
    })
    const {html, status} = htmlReport(['diagnose', ZED_NET, '--snapshot', p], 'hostile.html')
    expect(status).toBe(1)
    expect(xpath(html, "string(//dl[@class='head']/dd[1])")).toBe('<svg onload=alert(3)>"x"')
    const evidence = xpath(html, "string(//pre[@class='evidence'])")
    expect(evidence).toContain('ECONNREFUSED</pre><script>alert(1)</script>]]><svg onload=alert(2)>\\x1b[2J')
    expect(evidence).toMatch(/B… \(cut, \d{7} characters\)$/)
    expect(evidence.length).toBeLessThan(1100)
    expect(html.length).toBeLessThan(200_000)
  })
})
