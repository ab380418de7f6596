/**
 * A bounded worker pool: `fn` over every item, at most `limit` at once, the results in the items' order.
 * The collectors' one way to fan out (networks of a node, of a sosreport): forks and file reads stay
 * bounded however many networks a node serves.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({length: Math.max(0, Math.min(limit, items.length))}, worker))
  return out
}
