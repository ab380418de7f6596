/** Secrets out of a network's evidence before it is kept: the common fields, then each chain's own part. */
import {redactEvidence} from '../config/secrets.js'
import type {NetworkEvidence} from '../evidence/evidence.js'
import {CHAINS} from './registry.js'

/** Every secret out of a network's evidence, in place (records shared between networks once per `seen`). */
export function redactNetwork(ev: NetworkEvidence, seen: WeakSet<object> = new WeakSet()): void {
  redactEvidence(ev, seen)
  for (const chain of CHAINS) chain.redact?.(ev, seen)
}

/** A snapshot someone else wrote (a file, a host over ssh), redacted on read as the sosreport reader's is: no secret in it is printed. */
export function redactSnapshot<S extends {networks: NetworkEvidence[]}>(snap: S): S {
  const seen = new WeakSet<object>()
  for (const ev of snap.networks) redactNetwork(ev, seen)
  return snap
}
