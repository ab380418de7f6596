// src/system/exec.ts's run, on real programs (sh, sleep, a missing one).
import {describe, expect, it} from 'vitest'

import {run} from '../../src/system/exec.js'

describe('run (node:child_process, no execa)', () => {
  it('stdout and stderr verbatim, the exit code, failedToStart and timedOut', async () => {
    expect(await run('sh', ['-c', 'printf "a\\n"; printf e >&2; exit 3'])).toMatchObject({exitCode: 3, stderr: 'e', stdout: 'a\n'})
    const missing = await run('qm-no-such-program', [])
    expect(missing.exitCode).toBeNull()
    expect(missing.failedToStart).toMatch(/ENOENT/)
    const slow = await run('sleep', ['5'], {timeoutMs: 200})
    expect(slow).toMatchObject({exitCode: null, timedOut: true})
  })
})
