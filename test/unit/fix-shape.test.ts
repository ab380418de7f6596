/**
 * Every fix the test states produce is a thing to paste (issue 21 item 1): one line, no prose where
 * the command goes, no `<placeholder>` (bash reads `<` as a redirect), a reason apart; a config fix
 * names its file, section and `key = value`. test/cli/fix-bash-n.test.ts runs `bash -n` over the same commands.
 */
import {describe, expect, it} from 'vitest'

import type {FixStep} from '../../src/chains/types.js'
import {allFixes, commandsOf} from '../helpers/fix-states.js'

const fixes = allFixes()
const steps = fixes.flatMap(({fix, state}) => [fix, ...(fix.alternative ? [fix.alternative] : [])].map((step: FixStep) => ({state, step})))

describe('every fix of the test states', () => {
  it('there are many, of every chain', () => {
    expect(fixes.length).toBeGreaterThan(300)
    const commands = new Set(fixes.flatMap(({fix}) => commandsOf(fix)))
    for (const c of ['systemctl restart neutron-dhcp-agent', 'systemctl restart neutron-l3-agent', 'systemctl restart neutron-ovn-metadata-agent'])
      expect(commands).toContain(c)
    expect(steps.some(({step}) => 'file' in step)).toBe(true)
  })

  it('a command is one line, no placeholder, no prose in parentheses; a reason is given apart', () => {
    for (const {state, step} of steps) {
      const where = `${state}: ${JSON.stringify(step)}`
      expect(step.why.trim(), where).not.toBe('')
      if ('command' in step) {
        expect(step.command, where).not.toMatch(/\n/)
        expect(step.command.trim(), where).not.toBe('')
        // `<agent-id>`, `<CIDR>`: a redirect to bash, never a value
        expect(step.command, where).not.toMatch(/<[A-Za-z]/)
        // the old shape: a command, four spaces, then a remark in parentheses
        expect(step.command, where).not.toMatch(/ {2,}\(/)
        expect(step.command, where).not.toMatch(/^(check|see|run|give|fix|set|add|rename|use|start|delete|pass|report) /)
      } else {
        expect(step.file, where).toMatch(/^\//)
        expect(step.section, where).toMatch(/^[\w-]+$/)
        expect(step.set, where).toMatch(/^\w+ = \S/)
      }
    }
  })

  it('the alternative is one level deep', () => {
    for (const {fix} of fixes) expect(fix.alternative && 'alternative' in fix.alternative).toBeFalsy()
  })
})
