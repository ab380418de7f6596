// A stream as the agentless script writes it (src/sources/agentless/script.ts): records of base64
// payloads between the magic and the end line, for the parser's tests and a fake ssh's answer.
import {BUNDLE_END, BUNDLE_MAGIC} from '../../src/sources/agentless/script.js'

export interface FrameRecord {
  head: string
  payload?: string | Buffer
  status?: number
}

const b64lines = (data: string | Buffer) =>
  (
    Buffer.from(data)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n')

export function frame(recs: FrameRecord[], opts: {end?: boolean} = {}): Buffer {
  const out = [BUNDLE_MAGIC]
  for (const r of recs) {
    out.push(r.head)
    const body = r.payload === undefined ? '' : b64lines(r.payload)
    if (body !== '') out.push(body)
    out.push(`. ${r.status ?? 0}`)
  }
  if (opts.end !== false) out.push(BUNDLE_END)
  return Buffer.from(`${out.join('\n')}\n`)
}

export {b64lines}
