/** Byte arrays read in chunks (response bodies, bundle files) and put back together. */

/** The bytes of `parts` one after another; a lone part comes back as it is, not copied. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
