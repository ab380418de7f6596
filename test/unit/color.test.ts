// Colour on or off (src/base-command.ts wantsColor): --color wins on a pipe, NO_COLOR and FORCE_COLOR as their conventions say.
import {describe, expect, it} from 'vitest'

import {wantsColor} from '../../src/base-command.js'

describe('wantsColor', () => {
  it('the flags first, then NO_COLOR, then FORCE_COLOR, then the TTY', () => {
    expect(wantsColor(['--no-color', '--color'], {FORCE_COLOR: '1'}, true)).toBe(false)
    expect(wantsColor(['--color'], {NO_COLOR: '1'}, false)).toBe(true)
    expect(wantsColor([], {FORCE_COLOR: '1', NO_COLOR: '1'}, true)).toBe(false)
    expect(wantsColor([], {FORCE_COLOR: '1'}, false)).toBe(true)
    expect(wantsColor([], {FORCE_COLOR: '0'}, true)).toBe(false)
    expect(wantsColor([], {}, false)).toBe(false)
    expect(wantsColor([], {}, true)).toBe(true)
  })
})
