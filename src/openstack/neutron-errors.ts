/** The text of an OpenStack error body: Grizzly's {"QuantumError": "text"}, later {"NeutronError": {type, message, detail}}, Keystone's {"error": {message}}. */
export function errorText(body: string): string | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(body)
  } catch {
    const plain = body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()
    return plain ? plain.slice(0, 300) : undefined
  }
  if (typeof doc !== 'object' || doc === null) return undefined
  const d = doc as Record<string, unknown>
  if (typeof d.QuantumError === 'string') return d.QuantumError
  const ne = d.NeutronError as {type?: string; message?: string; detail?: string} | string | undefined
  if (typeof ne === 'string') return ne
  if (ne && typeof ne === 'object') return [ne.type ? `${ne.type}:` : '', ne.message ?? '', ne.detail ? `(${ne.detail})` : ''].filter(Boolean).join(' ')
  const e = d.error as {message?: string; title?: string} | undefined
  if (e && typeof e === 'object') return e.message ?? e.title
  if (typeof d.message === 'string') return d.message
  return undefined
}
