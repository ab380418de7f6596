/** Secrets out of a network's evidence before it is kept: the common fields, then each chain's own part. */
import {redactEvidence} from '../config/secrets.js'
import type {NetworkEvidence} from '../evidence/evidence.js'
import {CHAINS} from './registry.js'

/** Every secret out of a network's evidence, in place (records shared between networks once per `seen`). */
export function redactNetwork(ev: NetworkEvidence, seen: WeakSet<object> = new WeakSet()): void {
  redactEvidence(ev, seen)
  for (const chain of CHAINS) chain.redact?.(ev, seen)
}
