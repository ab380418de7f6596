// "Did you mean": the closest known word to a typo (src/suggest.ts), and nothing for a word that is not one.
import {describe, expect, it} from 'vitest'

import {closest, didYouMean} from '../../src/suggest.js'

const CHECKS = ['opts.metadata-route', 'proxy.running', 'proxy.listening', 'proxy.upstream', 'namespace.exists']

describe('closest', () => {
  it('a typo of one or two letters finds the word', () => {
    expect(closest('opts.metadata-rout', CHECKS)).toBe('opts.metadata-route')
    expect(closest('proxy.runing', CHECKS)).toBe('proxy.running')
    expect(closest('diagnos', ['diagnose', 'collect', 'enable', 'disable'])).toBe('diagnose')
    expect(closest('chek', ['check', 'probe', 'json'])).toBe('check')
  })

  it('a word that is no typo of any, or as near to two, gets no suggestion', () => {
    expect(closest('frobnicate', CHECKS)).toBeUndefined()
    expect(closest('x', ['a', 'b'])).toBeUndefined()
    expect(didYouMean('frobnicate', CHECKS)).toBe('')
    expect(didYouMean('proxy.runing', CHECKS)).toBe('; did you mean proxy.running?')
  })
})
