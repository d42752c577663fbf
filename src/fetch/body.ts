/**
 * @module
 * Reading a response body under a byte cap. The cap counts decoded bytes, read chunk by chunk, so a gzip or brotli
 * bomb is decoded only as far as the cap, never whole; a declared Content-Length over the cap is refused before
 * any byte is read.
 */
import { concatBytes } from "../bytes.ts";

export const EMPTY = new Uint8Array(0);

/** The body went over the cap while being read (only when not truncating). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes after decoding`);
    this.name = "BodyTooLarge";
  }
}

/** The declared Content-Length when it is over `maxBytes`, else undefined. */
export function declaredOver(headers: Headers, maxBytes: number): string | undefined {
  const declared = headers.get("content-length");
  return declared !== null && Number(declared) > maxBytes ? declared : undefined;
}

/**
 * Reads the decoded body and stops at `maxBytes`. With `truncate` the body is cut there (robots.txt); otherwise
 * going over throws BodyTooLarge. Either way the rest of the stream is cancelled, not drained.
 */
export async function readBody(response: Response, maxBytes: number, truncate: boolean): Promise<{ body: Uint8Array; truncated: boolean }> {
  const stream = response.body;
  if (stream === null) return { body: EMPTY, truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > maxBytes) {
      reader.cancel().catch(() => {});
      if (!truncate) throw new BodyTooLarge(maxBytes);
      chunks.push(value.subarray(0, maxBytes - total));
      return { body: concatBytes(chunks), truncated: true };
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { body: concatBytes(chunks), truncated: false };
}
