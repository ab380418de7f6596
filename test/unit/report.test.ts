// diagnose --report FILE.md (src/render/report.ts) on the derived Zed fleet snapshots: the chain drawn
// with the broken link marked, the fix in a code block, and text from the evidence unable to break out
// of the Markdown (a code fence, a pipe in a table cell, a control character).
import {describe, expect, it} from 'vitest'

import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {judgeFleet} from '../../src/fleet/fleet.js'
import {chainPicture, reportOfFleet, reportOfNetworks} from '../../src/render/report.js'
import {chainSvg, esc, htmlOf} from '../../src/render/report-html.js'
import {fleetModel, networksModel, networkView} from '../../src/render/report-model.js'
import {brokenHostWithLease, hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const HEAD = {collectedBy: 'quantum-meta/0.1.0', host: 'net1', judgedBy: 'quantum-meta/0.1.0', takenAt: '2026-11-22T17:33:10Z'}
const judged = (edit?: (s: ReturnType<typeof hostSnapshot>) => void) => {
  const s = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
  edit?.(s)
  return diagnoseEvidence(s.networks[0], {noApi: true, probe: false})
}

const upstreamDown = (s: ReturnType<typeof hostSnapshot>) => {
  s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
}

/** Net2 broken (its proxy's upstream refuses) with one instance that leased from it, net1 healthy, net3 not reached. */
function threeHosts() {
  return judgeFleet(
    ZED_NET,
    [
      {host: 'net1', snapshot: hostSnapshot({host: 'net1', ip: '198.51.100.1'})},
      {host: 'net2', snapshot: brokenHostWithLease()},
      {error: 'Connection refused', host: 'net3'},
    ],
    {noApi: true, probe: false},
  )
}

describe('--report (Markdown)', () => {
  it('healthy: whose node and when, the verdict, every link drawn from the instance to Nova, no broken mark', () => {
    const md = reportOfNetworks(HEAD, [judged()])
    expect(md).toContain('- host: `net1`')
    expect(md).toContain('- evidence taken: 2026-11-22T17:33:10Z by quantum-meta/0.1.0')
    expect(md).toContain('**healthy**: every link of the chain was judged, none is broken')
    expect(md).toMatch(/instance: GET http:\/\/169\.254\.169\.254\//)
    expect(md).toMatch(/Nova metadata API/)
    expect(md).not.toContain('BROKEN')
    expect(md.match(/^\| ✔ pass \|/gm)?.length).toBeGreaterThan(8)
  })

  it('broken: the first broken link marked in the picture, its evidence, and its fix as a shell block', () => {
    const r = judged((s) => {
      s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    })
    expect(r.verdict).toBe('broken')
    const pic = chainPicture(r)
    const broken = pic.findIndex((l) => l.includes('◀── BROKEN'))
    expect(pic[broken]).toMatch(/^ {2}\[✘\] proxy\.upstream/)
    // the links after it hang off a dotted line
    expect(pic[broken + 1]).toBe('      ┆')
    const md = reportOfNetworks(HEAD, [r])
    expect(md).toContain('### The broken link: `proxy.upstream`')
    const fix = md.split('```sh\n')[1].split('\n```')[0].split('\n')
    expect(fix[0]).not.toMatch(/^#/)
    expect(fix[1]).toMatch(/^# /)
  })

  it('evidence text cannot break the Markdown: no fence closes early, no pipe splits a cell, no escape reaches it', () => {
    const r = judged((s) => {
      s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    })
    const f = r.findings.find((x) => x.id === 'proxy.upstream')!
    f.summary = 'a | b ```\u001b[31m'
    f.evidence = ['```\n# injected heading']
    const md = reportOfNetworks(HEAD, [r])
    const fences = md.split('\n').filter((l) => l.startsWith('```'))
    expect(fences.length % 2).toBe(0)
    expect(md).not.toContain('\u001b')
    expect(md).toContain('a \\| b')
    expect(md).not.toMatch(/^# injected heading/m)
  })

  it('several hosts: a row per host, the broken host in full with the instances that leased from it', () => {
    const fleet = threeHosts()
    const md = reportOfFleet({...HEAD, host: 'net1, net2, net3'}, fleet)
    expect(md).toContain(`## Network \`${ZED_NET}\` on 3 hosts: **broken**`)
    expect(md).toContain('| `net3` | not inspected | Connection refused |')
    expect(md).toContain('### Host `net2`')
    expect(md).toMatch(/\| fa:16:3e:00:00:01 \| 198\.51\.100\.149 \|/)
  })
})

/** The element texts of an HTML string, tags dropped and the five entities read back (what a browser shows). */
const shownText = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')

describe('--report (HTML)', () => {
  it('one model for both formats: the same links, the same broken one, the same verdict words', () => {
    const r = judged(upstreamDown)
    const v = networkView(r)
    expect(v.links.map((l) => l.id)).toEqual(r.findings.map((f) => f.id))
    expect(v.links.filter((l) => l.broken).map((l) => l.id)).toEqual(['proxy.upstream'])
    expect(v.links.filter((l) => l.afterBroken).map((l) => l.id)).toEqual([
      'metadata-agent.config',
      'namespace.metadata-v6',
      'metadata-agent.log',
      'probe.http',
      'probe.http6',
      'nova.config',
      'nova.reach',
      'nova.answer',
    ])
    const html = htmlOf(networksModel(HEAD, [r]))
    const md = reportOfNetworks(HEAD, [r])
    expect(md).toContain('**broken**: the first broken link is `proxy.upstream`')
    expect(html).toContain('<p class="verdict v-broken"><strong>broken</strong>: the first broken link is <code>proxy.upstream</code></p>')
  })

  it('self-contained: no script, nothing fetched, a policy that forbids both; whose node, when and by which version', () => {
    const html = htmlOf(networksModel(HEAD, [judged()]))
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/)
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|url\(|@import|https?:\/\/(?!169\.254\.169\.254\/|www\.w3\.org\/2000\/svg")/i)
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`)
    expect(html).toContain('<dt>host</dt><dd><code>net1</code></dd>')
    expect(html).toContain('<dt>evidence taken</dt><dd>2026-11-22T17:33:10Z</dd>')
    expect(html).toContain('<dt>collected by</dt><dd>quantum-meta/0.1.0</dd>')
    expect(html).toMatch(/<dt>judged by<\/dt><dd>quantum-meta\/0\.1\.0, \d{4}-\d\d-\d\dT[^<]*<\/dd>/)
    expect(html).toContain('<p class="verdict v-healthy"><strong>healthy</strong>: every link of the chain was judged, none is broken</p>')
    expect(html).toContain('>✔ pass</text>')
    expect(html).not.toContain('>✘ BROKEN</text>')
  })

  it('the SVG: a box per link from the instance to Nova in chain order, each saying its state in words', () => {
    const r = judged(upstreamDown)
    const svg = chainSvg(networkView(r))
    const boxes = [...svg.matchAll(/<g>(?:<title>[^<]*<\/title>)?<rect [^>]*\/><text[^>]*>([^<]*)<\/text><text[^>]*>([^<]*)<\/text>/g)].map((m) => [m[1], m[2]])
    expect(boxes[0]).toEqual(['instance', 'GET http://169.254.169.254/'])
    expect(boxes.at(-1)).toEqual(['Nova', 'the metadata API'])
    expect(boxes.slice(1, -1).map((b) => b[1].split(' ')[0])).toEqual(r.findings.map((f) => f.id))
    // readable without colour: the broken box says so in words, the skipped ones too
    expect(boxes.find((b) => b[1].startsWith('proxy.upstream'))).toEqual(['✘ BROKEN', 'proxy.upstream  ◀ the first broken link'])
    expect(boxes.find((b) => b[1] === 'probe.http')?.[0]).toBe('· skipped')
    expect(boxes.find((b) => b[1] === 'namespace.exists')?.[0]).toBe('✔ pass')
    // and in colour: red, thick, for the broken one; grey and dashed for a skip; green for a pass
    expect(svg).toMatch(/<rect [^>]*fill="#ffebe9" stroke="#cf222e" stroke-width="3.5"\/><text[^>]*>✘ BROKEN/)
    expect(svg).toMatch(/<rect [^>]*stroke="#8c959f" stroke-width="1.5" stroke-dasharray="6 4"\/><text[^>]*>· skipped<\/text><text[^>]*>probe\.http/)
    expect(svg).toMatch(/<rect [^>]*stroke="#1a7f37"[^>]*\/><text[^>]*>✔ pass<\/text><text[^>]*>namespace\.exists/)
  })

  it('an unjudged link is grey and dashed and says "not judged"; the verdict names it', () => {
    const r = judged((s) => {
      s.networks[0].upstreamSocket = {path: s.networks[0].upstreamSocket.path, state: 'not-collected'}
    })
    expect(r.verdict).toBe('not-judged')
    const html = htmlOf(networksModel(HEAD, [r]))
    expect(html).toContain('<strong>not judged</strong>: no link found broken, but <code>proxy.upstream</code> could not be judged')
    expect(html).toMatch(/stroke-dasharray="6 4"\/><text[^>]*>· not judged<\/text><text[^>]*>proxy\.upstream/)
  })

  it('the broken link: its evidence, the fix command alone in a <pre>, the why under it, the alternative after "or:"', () => {
    const r = judged((s) => {
      s.networks[0].opts.content = s.networks[0].opts.content!.replaceAll('/32,198.51.100.1', '/32,198.51.100.9')
    })
    const html = htmlOf(networksModel(HEAD, [r]))
    const fix = r.findings.find((f) => f.id === 'opts.metadata-route')!.fix!
    expect('command' in fix && fix.alternative).toBeTruthy()
    const cmd = (f: typeof fix) => ('command' in f ? f.command : '')
    expect(html).toContain(
      `<pre class="fix"><code>${esc(cmd(fix))}</code></pre>\n<p class="why">${esc(fix.why)}</p>\n<p class="or">or:</p>\n<pre class="fix"><code>${esc(cmd(fix.alternative!))}</code></pre>`,
    )
    expect(html).toMatch(/<pre class="evidence">[^<]*opts:1: tag:subnet-[^<]*198\.51\.100\.9/)
    // every check, one row each
    expect(html.match(/<tr class="s-/g)).toHaveLength(r.findings.length)
  })

  it('hostile evidence is text, never markup: </pre><script>, ]]>, <svg onload>, quotes, control characters, 1 MB', () => {
    const r = judged(upstreamDown)
    const f = r.findings.find((x) => x.id === 'proxy.upstream')!
    f.summary = `</pre><script>alert(1)</script> ]]> <svg onload=alert(2)> "q" 'a' & \u001b[31m\u0000`
    f.evidence = ['</pre><script>alert(3)</script>', ']]><svg onload="alert(4)">', 'x\u0007\u009b\ud800y', 'A'.repeat(1_000_000)]
    f.fix = {command: "echo '</code></pre><script>alert(5)</script>'", why: '<img src=x onerror=alert(6)>'}
    const hostile = {...HEAD, collectedBy: '"><script>alert(7)</script>', host: '<svg onload=alert(8)>'}
    const html = htmlOf(networksModel(hostile, [r]))
    expect(html).not.toMatch(/<script|<svg onload|<img|\]\]>|onerror=alert\(6\)>/)
    expect(html).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/)
    expect(html).not.toMatch(/[\uD800-\uDFFF]/)
    // what the operator reads is the text as it was, escaped: the 1 MB line cut as the Markdown cuts it
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;')
    expect(html).toContain(']]&gt;&lt;svg onload=&quot;alert(4)&quot;&gt;')
    expect(html).toContain('&quot;q&quot; &#39;a&#39; &amp; \\x1b[31m\\x00')
    expect(html).toContain('x\\x07\\x9b\ufffdy')
    expect(html).toContain(`${'A'.repeat(1000)}… (cut, 1000000 characters)`)
    expect(reportOfNetworks(HEAD, [r])).toContain(`${'A'.repeat(1000)}… (cut, 1000000 characters)`)
    expect(html.length).toBeLessThan(100_000)
    expect(shownText(html)).toContain('<svg onload=alert(8)>')
    expect(html).toContain(`<pre class="fix"><code>echo &#39;&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(5)&lt;/script&gt;&#39;</code></pre>`)
    // the SVG's boxes too: the summary in a <title> and a <text>, escaped
    expect(chainSvg(networkView(r))).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &lt;svg onload=alert(2)&gt;')
  })

  it('several hosts: a row per host, the cross-host findings, the broken host drawn with the instances it served', () => {
    const fleet = threeHosts()
    const html = htmlOf(fleetModel({...HEAD, host: 'net1, net2, net3'}, [fleet]))
    expect(html).toContain(
      `<h2>Network <code>${ZED_NET}</code> on 3 hosts</h2>\n<p class="verdict v-broken"><strong>broken</strong>: a link broken on <code>net2</code>; not inspected on <code>net3</code></p>`,
    )
    expect(reportOfFleet(HEAD, fleet)).toContain('**broken**: a link broken on `net2`; not inspected on `net3`')
    const rows = [...html.matchAll(/<tr class="v-([a-z-]+)"><td><code>([^<]*)<\/code><\/td><td>([^<]*)<\/td>/g)].map((m) => m.slice(1))
    expect(rows).toEqual([
      ['healthy', 'net1', 'healthy'],
      ['broken', 'net2', 'broken'],
      ['not-inspected', 'net3', 'not inspected'],
    ])
    expect(html).toContain('<td>Connection refused</td>')
    expect(html).toContain('<h3>Host <code>net2</code></h3>')
    expect(html.match(/<svg /g)).toHaveLength(1)
    expect(html).toMatch(
      /<h4>Instances that leased from it<\/h4>[\s\S]*<tr><td>fa:16:3e:00:00:01<\/td><td>198\.51\.100\.149<\/td><td>b7c1a2d3-0000-4000-8000-000000000001<\/td>/,
    )
  })
  it('a hostile host name is text in the rows and in the verdict words, in both formats', () => {
    const fleet = judgeFleet(ZED_NET, [{error: 'ssh: </td><script>x', host: '<svg onload=1>`|'}], {noApi: true, probe: false})
    const html = htmlOf(fleetModel(HEAD, [fleet]))
    expect(html).not.toMatch(/<script|<svg onload/)
    expect(html).toContain('not inspected on <code>&lt;svg onload=1&gt;`|</code>')
    expect(html).toContain('<td>ssh: &lt;/td&gt;&lt;script&gt;x</td>')
    const md = reportOfFleet(HEAD, fleet)
    expect(md).toContain("not inspected on `<svg onload=1>'\\|`")
  })
})
