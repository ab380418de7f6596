/** "Did you mean": the closest known word to a typo, by edit distance (fastest-levenshtein). */
import {distance} from 'fastest-levenshtein'

/**
 * The candidate nearest `word`, when it is near enough to be a typo of it (at most a third of its
 * letters wrong, and at least 1, at most 3 edits); undefined otherwise, or when two are equally near.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)))
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  let tie = false
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase())
    if (d < bestD) {
      best = c
      bestD = d
      tie = false
    } else if (d === bestD && c !== best) tie = true
  }
  return best !== undefined && bestD <= limit && !tie ? best : undefined
}

/** ` (did you mean X?)`, or nothing. */
export const didYouMean = (word: string, candidates: readonly string[]): string => {
  const c = closest(word, candidates)
  return c === undefined ? '' : `; did you mean ${c}?`
}
