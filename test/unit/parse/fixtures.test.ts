import {readdirSync, readFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

// Every verbatim fixture must say where it came from.
const root = new URL('../../fixtures/node/', import.meta.url)
const rootDir = fileURLToPath(root)
const files = readdirSync(rootDir, {recursive: true, withFileTypes: true})
  .filter((d) => d.isFile())
  .map((d) => relative(rootDir, join(d.parentPath, d.name)).split(sep).join('/'))
  .filter((p) => p !== 'SOURCES.md')

describe('test/fixtures/node', () => {
  it('names every fixture file in SOURCES.md', () => {
    const sources = readFileSync(new URL('SOURCES.md', root), 'utf8')
    expect(files.length).toBeGreaterThan(40)
    expect(files.filter((f) => !sources.includes(`\`${f}\``))).toEqual([])
  })
})
