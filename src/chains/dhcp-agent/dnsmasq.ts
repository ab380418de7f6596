import {parseDnsmasqArgs} from '../../parse/dnsmasq.js'
import {clip} from '../common/text.js'
import {notInEvidence, pidLabel, processArgs, processOf} from '../common/evidence.js'
import {pidFromFile, restartAgent} from './facts.js'
import {type Check, cmd, fail, notJudged, pass} from '../types.js'

export const dnsmasqRunning: Check = {
  id: 'dnsmasq.running',
  needs: ['namespace.exists'],
  title: "dnsmasq from STATE/dhcp/NET/pid is alive, in the namespace, reading this network's opts",
  run(ev) {
    const fix = cmd(restartAgent(ev), 'the agent respawns dnsmasq; if it dies again, its log has the dnsmasq error')
    const file = ev.dnsmasqPidFile
    const proc = processOf(ev, 'dnsmasq')
    if (file.state === 'not-collected' && !proc) return notJudged(notInEvidence(file))
    const evidence: string[] = []
    if (file.state === 'present') evidence.push(`${file.path}: ${clip(file.content?.trim() ?? '')}`)
    else if (file.state === 'missing') evidence.push(`${file.path}: no such file`)
    else if (file.state === 'error') evidence.push(`${file.path}: ${file.error ?? 'unreadable'}`)
    if (!proc) {
      if (file.state === 'present' && pidFromFile(file.content) === undefined) return fail(`${file.path} holds no pid`, evidence, fix)
      return fail(`dnsmasq is not running for this network (no pid file ${file.path})`, evidence, fix)
    }
    if (!proc.alive) return fail(`dnsmasq pid ${proc.pid} (from ${proc.from}) is not running`, evidence, fix)
    const args = processArgs(proc) ?? []
    evidence.push(`${pidLabel(proc)}: ${clip(args.join(' '), 400)}`)
    if (ev.namespaceInode && proc.netns && proc.netns !== ev.namespaceInode) {
      evidence.push(`pid ${proc.pid} network namespace ${proc.netns}, ${ev.namespace} is ${ev.namespaceInode}`)
      return fail(`dnsmasq pid ${proc.pid} runs outside ${ev.namespace}`, evidence, fix)
    }
    if (args.length > 0 && !/dnsmasq/.test(args[0]))
      return fail(`pid ${proc.pid} from ${proc.from} is ${clip(args[0])}, not dnsmasq (stale pid file)`, evidence, fix)
    const parsed = parseDnsmasqArgs(args.slice(1))
    if (parsed.optsFile !== ev.opts.path) {
      return fail(
        parsed.optsFile
          ? `dnsmasq pid ${proc.pid} reads ${clip(parsed.optsFile)}, not this network's ${ev.opts.path}`
          : `dnsmasq pid ${proc.pid} has no --dhcp-optsfile`,
        evidence,
        fix,
      )
    }
    return pass(`dnsmasq pid ${proc.pid} serves ${ev.namespace} with ${ev.opts.path}`, evidence)
  },
}
