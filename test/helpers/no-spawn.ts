/**
 * setupFiles of the `pure` project (test/unit/): a pure test starts no process. Every way
 * node:child_process starts one throws instead, naming the program, so a test that needs a real
 * program (the built CLI, xmllint, mkfifo, sh) says at once that it belongs in test/cli/, and
 * `npm run test:pure` stays a few seconds with no build, no root and no system tools. The test
 * also fails when the code under test caught that error (src/system/exec.ts turns it into a result).
 */
import childProcess from 'node:child_process'
import {syncBuiltinESMExports} from 'node:module'
import {afterEach} from 'vitest'

const attempts: string[] = []

const STARTERS = ['exec', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync'] as const

for (const name of STARTERS) {
  Object.defineProperty(childProcess, name, {
    configurable: true,
    value: (file: unknown) => {
      const what = `child_process.${name} ${String(file)}`
      attempts.push(what)
      throw new Error(`a pure test started a process (${what}): move the test to test/cli/ (vitest project cli)`)
    },
    writable: true,
  })
}
// the named exports (`import {spawnSync} from 'node:child_process'`) follow the patched object
syncBuiltinESMExports()

afterEach(() => {
  const seen = attempts.splice(0)
  if (seen.length > 0) throw new Error(`a pure test started a process (${seen.join(', ')}): move the test to test/cli/ (vitest project cli)`)
})
