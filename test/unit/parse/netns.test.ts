import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseNetnsList} from '../../../src/parse/netns.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')

describe('parseNetnsList', () => {
  it('drops the ` (id: N)` suffix modern iproute2 prints', () => {
    expect(parseNetnsList(fx('zed/basic-isolated/ip-netns.txt'))).toEqual(['qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1'])
    expect(parseNetnsList(fx('zed/d2-mdnet/ip-netns.txt'))).toEqual([
      'qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1',
      'qdhcp-4de86c6e-1c26-4f49-a0d4-931ad5153e6f',
      'qdhcp-dbe29388-e613-48f9-aa2e-64e195bd76fc',
    ])
  })

  it('reads the plain Grizzly form', () => {
    expect(parseNetnsList(fx('grizzly-seed/ip-netns-grep-qdhcp.txt'))).toEqual(['qdhcp-01cce415-8e2b-4096-92b5-7acc67163d79'])
  })

  it('synthetic: skips error lines and blanks, keeps qrouter/ovnmeta names', () => {
    const text = 'qrouter-1b2c (id: 3)\n\nCannot open network namespace "x": No such file or directory\novnmeta-9f8e\n'
    expect(parseNetnsList(text)).toEqual(['qrouter-1b2c', 'ovnmeta-9f8e'])
  })
})
