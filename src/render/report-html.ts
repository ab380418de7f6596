/**
 * `diagnose ... --report FILE.html`: the report for the ticket (report-model.ts decides what it shows,
 * as for the Markdown) as one self-contained HTML file: inline CSS, the chain as an inline SVG, no
 * script, nothing fetched (a Content-Security-Policy says so to the browser too). The document is
 * well-formed XML as well as HTML (every element closed, only XML's five entities), so `xmllint
 * --noout` checks it. Every text from evidence is escaped (& < > " ') and holds no character XML
 * cannot carry; report-model.ts has already made it printable and cut it.
 */
import type {Finding, Fix, FixStep, Status} from '../chains/types.js'
import {isConfigFix} from '../chains/types.js'
import {CUT, type FleetView, fixSteps, type Link, type NetworkView, type ReportModel, shown, type Words} from './report-model.js'

/** Lone surrogates and the non-characters U+FFFE/U+FFFF: XML cannot carry them, a browser shows U+FFFD. */
const NOT_XML = /[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const ENTITY: Record<string, string> = {'"': '&quot;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;'}

/** Text (already printable) as HTML or XML character data or an attribute value. */
export const esc = (text: string) => text.replace(NOT_XML, '\uFFFD').replace(/[&<>"']/g, (c) => ENTITY[c])
/** Text from evidence: printable, cut at `max`, escaped. */
const txt = (text: string, max: number) => esc(shown(text, max))

const WORD: Record<Status, string> = {fail: 'fail', pass: 'pass', skip: 'skipped', warn: 'warn'}
const MARK: Record<Status, string> = {fail: '✘', pass: '✔', skip: '·', warn: '!'}

/** What a link's box says in words, so the picture reads without colour. */
function linkLabel(l: Link): string {
  if (l.broken) return `${MARK.fail} BROKEN`
  if (l.status === 'skip') return `${MARK.skip} ${l.unjudged ? 'not judged' : 'skipped'}`
  return `${MARK[l.status]} ${WORD[l.status]}`
}

/** How a box is drawn: in attributes, not CSS, so the SVG stands alone (copied out, or where a ticket drops <style>). */
interface Look {
  fill: string
  stroke: string
  width: number
  dashed: boolean
  ink: string
}

const LOOK: Record<'pass' | 'warn' | 'fail' | 'broken' | 'skip' | 'end', Look> = {
  broken: {dashed: false, fill: '#ffebe9', ink: '#a40e26', stroke: '#cf222e', width: 3.5},
  end: {dashed: false, fill: '#eaeef2', ink: '#1f2328', stroke: '#57606a', width: 1.5},
  fail: {dashed: false, fill: '#ffebe9', ink: '#a40e26', stroke: '#cf222e', width: 1.5},
  pass: {dashed: false, fill: '#dafbe1', ink: '#1f2328', stroke: '#1a7f37', width: 1.5},
  skip: {dashed: true, fill: '#f6f8fa', ink: '#57606a', stroke: '#8c959f', width: 1.5},
  warn: {dashed: false, fill: '#fff8c5', ink: '#1f2328', stroke: '#9a6700', width: 1.5},
}

const lookOf = (l: Link): Look => (l.broken ? LOOK.broken : LOOK[l.status === 'skip' ? 'skip' : l.status])

/** At most `n` characters (code points), with an ellipsis when cut: the SVG does not wrap text. */
function clip(text: string, n: number): string {
  const cps = Array.from(text)
  return cps.length <= n ? text : `${cps.slice(0, n - 1).join('')}…`
}

const BOX_W = 680
const BOX_H = 48
const GAP = 26
const LEFT = 40
const STEP = BOX_H + GAP

function arrow(yTop: number, moot: boolean): string {
  const x = LEFT + BOX_W / 2
  const y2 = yTop + GAP - 7
  const colour = moot ? '#8c959f' : '#57606a'
  return (
    `<line x1="${x}" y1="${yTop + 2}" x2="${x}" y2="${y2}" stroke="${colour}" stroke-width="2"${moot ? ' stroke-dasharray="4 4"' : ''}/>` +
    `<polygon points="${x - 6},${y2} ${x + 6},${y2} ${x},${yTop + GAP - 1}" fill="${colour}"/>`
  )
}

function box(y: number, look: Look, label: string, title: string, sub: string, tip?: string): string {
  return [
    '<g>',
    tip === undefined ? '' : `<title>${esc(tip)}</title>`,
    `<rect x="${LEFT}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${look.fill}" stroke="${look.stroke}" stroke-width="${look.width}"${look.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    `<text x="${LEFT + 12}" y="${y + 20}" fill="${look.ink}" font-weight="bold">${esc(label)}</text>`,
    `<text x="${LEFT + 150}" y="${y + 20}" fill="${look.ink}">${esc(title)}</text>`,
    sub === '' ? '' : `<text x="${LEFT + 12}" y="${y + 39}" fill="#57606a" font-size="12">${esc(sub)}</text>`,
    '</g>',
  ].join('')
}

/** The chain as an SVG picture: a box per link from the instance to Nova, in chain order, arrows between. */
export function chainSvg(v: NetworkView): string {
  const height = (v.links.length + 2) * STEP - GAP + 20
  const name = `the metadata chain of network ${v.network}: ${v.word}`
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${BOX_W + 2 * LEFT}" height="${height}" viewBox="0 0 ${BOX_W + 2 * LEFT} ${height}" role="img" aria-label="${esc(name)}" font-family="ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace" font-size="13">`,
    `<title>${esc(name)}</title>`,
    box(10, LOOK.end, 'instance', 'GET http://169.254.169.254/', clip(`the chain: ${v.chain}`, 90)),
  ]
  let y = 10 + BOX_H
  for (const l of v.links) {
    parts.push(arrow(y, l.afterBroken))
    y += GAP
    const title = l.broken ? `${l.id}  ◀ the first broken link` : l.id
    parts.push(box(y, lookOf(l), linkLabel(l), title, clip(l.summary, 90), `${l.id}: ${l.summary}`))
    y += BOX_H
  }
  const moot = v.links.some((l) => l.broken)
  parts.push(arrow(y, moot), box(y + GAP, LOOK.end, 'Nova', 'the metadata API', moot ? 'not reached: the chain is broken above' : ''), '</svg>')
  return parts.join('\n')
}

const words = (w: Words) => w.map((p) => ('id' in p ? `<code>${txt(p.id, CUT.host)}</code>` : esc(p.text))).join('')

function verdictBanner(verdict: string, word: string, rest: string): string {
  return `<p class="verdict v-${verdict}"><strong>${esc(word)}</strong>${rest === '' ? '' : `: ${rest}`}</p>`
}

function fixStep(f: FixStep): string {
  const code = isConfigFix(f) ? `# in ${txt(f.file, 500)} [${txt(f.section, 100)}]:\n${txt(f.set, CUT.fix)}` : txt(f.command, CUT.fix)
  return `<pre class="fix"><code>${code}</code></pre>\n<p class="why">${txt(f.why, CUT.fix)}</p>`
}

function fixHtml(fix: Fix): string {
  return fixSteps(fix)
    .map((f, i) => (i === 0 ? fixStep(f) : `<p class="or">or:</p>\n${fixStep(f)}`))
    .join('\n')
}

function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map(
    (f) =>
      `<tr class="s-${f.status}${f.unjudged ? ' unjudged' : ''}"><td class="st">${MARK[f.status]} ${f.status === 'skip' && f.unjudged ? 'not judged' : WORD[f.status]}</td><td><code>${esc(f.id)}</code></td><td>${txt(f.summary, CUT.cell)}</td></tr>`,
  )
  return `<table class="checks">\n<thead><tr><th>status</th><th>check</th><th>finding</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`
}

function networkSection(v: NetworkView, level: number, title: string, id: string, more: string[] = []): string {
  const h = (n: number) => `h${Math.min(level + n, 6)}`
  const out = [
    `<section class="network" id="${id}">`,
    `<${h(0)}>${title}</${h(0)}>`,
    verdictBanner(v.verdict, v.word, words(v.words)),
    `<figure>${chainSvg(v)}<figcaption>From the instance to Nova, in chain order. ✔ pass, ✘ BROKEN: the first broken link (red), ! warn, · skipped or not judged (grey, dashed); after the broken link the arrows are dashed.</figcaption></figure>`,
  ]
  if (v.first) {
    const f = v.first.finding
    out.push(`<${h(1)}>The broken link: <code>${esc(f.id)}</code></${h(1)}>`, `<p class="summary">${esc(v.first.summary)}</p>`)
    if (v.first.evidence.length > 0) out.push(`<${h(2)}>Evidence</${h(2)}>`, `<pre class="evidence">${v.first.evidence.map(esc).join('\n')}</pre>`)
    if (f.fix) out.push(`<${h(2)}>Fix <span class="hint">(run on the node; why under it)</span></${h(2)}>`, fixHtml(f.fix))
  }
  out.push(`<${h(1)}>Every check</${h(1)}>`, findingsTable(v.findings), ...more, '</section>')
  return out.join('\n')
}

function fleetSection(f: FleetView, n: number): string {
  const rows = f.hosts.map((h) => {
    const what = h.error
      ? txt(h.error, CUT.cell)
      : h.first
        ? `<code>${esc(h.first.id)}</code>: ${txt(h.first.summary, CUT.cell)}`
        : h.unjudged
          ? `not judged: <code>${esc(h.unjudged.id)}</code>`
          : ''
    const state = h.state === 'not-judged' ? 'not judged' : h.state === 'checks-pass' ? 'checks pass' : h.state
    return `<tr class="v-${h.state.replace(' ', '-')}"><td><code>${txt(h.host, 100)}</code></td><td>${esc(state)}</td><td>${what}</td></tr>`
  })
  const out = [
    `<section class="fleet" id="fleet-${n}">`,
    `<h2>Network <code>${txt(f.network, CUT.host)}</code> on ${f.hosts.length} hosts</h2>`,
    verdictBanner(f.verdict, f.word, words(f.words)),
    '<table class="hosts">',
    '<thead><tr><th>host</th><th>verdict</th><th>first broken link</th></tr></thead>',
    `<tbody>\n${rows.join('\n')}\n</tbody>`,
    '</table>',
  ]
  if (f.cross.length > 0) {
    out.push('<h3>Across hosts</h3>', '<ul class="cross">')
    for (const x of f.cross) {
      out.push(`<li class="s-${x.status}">${MARK[x.status]} <code>${esc(x.id)}</code>: ${txt(x.summary, 1000)}${x.fix ? `\n${fixHtml(x.fix)}` : ''}</li>`)
    }
    out.push('</ul>')
  }
  f.broken.forEach((b, i) => {
    const more: string[] = []
    if (b.affected.length > 0) {
      more.push(
        '<h4>Instances that leased from it</h4>',
        '<table class="affected">',
        '<thead><tr><th>MAC</th><th>IP</th><th>instance</th><th>port</th></tr></thead>',
        '<tbody>',
      )
      for (const a of b.affected) {
        more.push(
          `<tr><td>${txt(a.mac, CUT.cell)}</td><td>${txt(a.ip, CUT.cell)}</td><td>${txt(a.device ?? a.hostname ?? '', CUT.cell)}</td><td>${txt(a.port ?? '', CUT.cell)}</td></tr>`,
        )
      }
      more.push('</tbody>', '</table>')
    }
    out.push(networkSection(b.view, 3, `Host <code>${txt(b.host, 100)}</code>`, `fleet-${n}-host-${i}`, more))
  })
  out.push('</section>')
  return out.join('\n')
}

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1f2328;background:#fff;margin:2em auto;max-width:62em;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.3em}h2{font-size:1.3em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.1em}h4{font-size:1em}code,pre{font-family:ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:.9em}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.7em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
pre.fix{border-left:4px solid #0969da}p.why{color:#57606a;margin-top:-.4em}p.or{font-weight:bold}.hint{font-weight:normal;color:#57606a}
dl.head{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.head dt{font-weight:bold}dl.head dd{margin:0}
.verdict{font-size:1.15em;padding:.6em .9em;border-radius:6px;border:2px solid}
.v-healthy{background:#dafbe1;border-color:#1a7f37}.v-broken{background:#ffebe9;border-color:#cf222e}
.v-not-judged{background:#fff8c5;border-color:#9a6700}.v-checks-pass{background:#ddf4ff;border-color:#0969da}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.st{white-space:nowrap}tr.s-fail td.st{color:#cf222e;font-weight:bold}tr.s-pass td.st{color:#1a7f37}
tr.s-warn td.st{color:#9a6700}tr.s-skip td.st{color:#57606a}tr.v-broken td,tr.v-not-inspected td{background:#fff5f5}
figure{margin:1em 0}figcaption{color:#57606a;font-size:.85em}
@media print{pre{white-space:pre-wrap}section{break-inside:avoid-page}}
`

function headHtml(m: ReportModel): string {
  const h = m.header
  return [
    '<h1>quantum-meta: the metadata chain</h1>',
    '<dl class="head">',
    `<dt>host</dt><dd><code>${txt(h.host, CUT.host)}</code></dd>`,
    `<dt>evidence taken</dt><dd>${txt(h.takenAt, CUT.word)}</dd>`,
    h.collectedBy ? `<dt>collected by</dt><dd>${txt(h.collectedBy, CUT.word)}</dd>` : '',
    `<dt>judged by</dt><dd>${esc(h.judgedBy)}, ${esc(m.judgedAt)}</dd>`,
    h.instance ? `<dt>instance</dt><dd>${txt(h.instance, CUT.summary)}</dd>` : '',
    '</dl>',
  ]
    .filter((l) => l !== '')
    .join('\n')
}

/** The verdict of the whole report in a word, for the page title. */
function overall(m: ReportModel): string {
  const verdicts: string[] = m.kind === 'fleet' ? m.fleets.map((f) => f.verdict) : m.networks.map((v) => v.verdict)
  const worst = ['broken', 'not-judged', 'checks-pass', 'healthy'].find((v) => verdicts.includes(v)) ?? 'nothing judged'
  return worst.replace('-', ' ')
}

/** The report model as one self-contained HTML document (well-formed XML too). */
export function htmlOf(m: ReportModel): string {
  const body: string[] = [headHtml(m)]
  if (m.kind === 'fleet') body.push(...m.fleets.map(fleetSection))
  else {
    if (m.networks.length > 1) {
      body.push('<table class="networks">', '<thead><tr><th>network</th><th>verdict</th></tr></thead>', '<tbody>')
      body.push(
        ...m.networks.map(
          (v, i) => `<tr class="v-${v.verdict}"><td><a href="#net-${i}"><code>${txt(v.network, CUT.host)}</code></a></td><td>${esc(v.word)}</td></tr>`,
        ),
      )
      body.push('</tbody>', '</table>')
    }
    body.push(...m.networks.map((v, i) => networkSection(v, 2, `Network <code>${txt(v.network, CUT.host)}</code>`, `net-${i}`)))
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
    `<title>quantum-meta: ${txt(m.header.host, 100)}: ${esc(overall(m))}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
