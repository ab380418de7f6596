/**
 * The API answers recorded in evidence, each read once. `--hosts-from-api` hands every host the same
 * answer records (the network's ports and DHCP agents, which grow with the hosts): parsing and
 * reading them again for each host made the run grow with hosts². What is derived from a record is
 * kept beside it (a WeakMap: it goes when the record does) and must not be changed by its readers.
 */
type ApiRecord = {body: string}

const NOT_JSON = Symbol('not JSON')
/** per record: the body it was derived from (a record whose body is replaced is read again) and what */
const derived = new WeakMap<ApiRecord, {body: string; values: Map<unknown, unknown>}>()

/** What `make` gives for this record and key, made once per record (and body). */
export function memo<T>(r: ApiRecord, key: unknown, make: () => T): T {
  let d = derived.get(r)
  if (!d || d.body !== r.body) derived.set(r, (d = {body: r.body, values: new Map()}))
  const m = d.values
  if (m.has(key)) return m.get(key) as T
  const v = make()
  m.set(key, v)
  return v
}

const PARSED = Symbol('parsed body')

/** The record's body as JSON, parsed once; undefined when it is not JSON. */
export function parsedBody(r: ApiRecord): unknown {
  const doc = memo(r, PARSED, (): unknown => {
    try {
      return JSON.parse(r.body)
    } catch {
      return NOT_JSON
    }
  })
  return doc === NOT_JSON ? undefined : doc
}
