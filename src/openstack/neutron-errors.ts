import {serverText} from './server-text.js'

/**
 * The text of an OpenStack error body: Grizzly's {"QuantumError": "text"}, later {"NeutronError": {type, message, detail}}, Keystone's {"error": {message}}.
 * Always safe to print: escapes and control characters removed, cut at 300 characters (saying so).
 */
export function errorText(body: string): string | undefined {
  const text = rawErrorText(body)
  return text === undefined ? undefined : serverText(text) || undefined
}

const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined)

function rawErrorText(body: string): string | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    // HTML or plain text; `<[^<>]*>` stays linear on a body of many '<' (`<[^>]+>` was quadratic)
    const plain = body
      .slice(0, 64 * 1024)
      .replace(/<[^<>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
    return plain || undefined
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined
  const d = doc as Record<string, unknown>
  if (typeof d.QuantumError === 'string') return d.QuantumError
  const ne = d.NeutronError
  if (typeof ne === 'string') return ne
  if (ne && typeof ne === 'object' && !Array.isArray(ne)) {
    const n = ne as Record<string, unknown>
    return [s(n.type) ? `${s(n.type)}:` : '', s(n.message) ?? '', s(n.detail) ? `(${s(n.detail)})` : ''].filter(Boolean).join(' ') || undefined
  }
  const e = d.error
  if (e && typeof e === 'object' && !Array.isArray(e)) return s((e as Record<string, unknown>).message) ?? s((e as Record<string, unknown>).title)
  return s(d.message)
}
