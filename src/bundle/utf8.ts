/**
 * @module
 * Strict UTF-8 (RFC 3629) for bundle files: a byte sequence that is not valid UTF-8 (a stray continuation byte,
 * an overlong form, a UTF-16 surrogate, a code point past U+10FFFF, a sequence cut short) is refused at its byte
 * offset, never replaced by U+FFFD as a lenient decoder would: a name with a replaced character is a different
 * name, and the next export would not give back the file that was imported.
 */

/** Checks bytes chunk by chunk; a sequence may span chunks. */
export class Utf8Validator {
  /** Bytes still expected by the sequence in progress. */
  private needed = 0;
  /** Where the sequence in progress started. */
  private start = 0;
  /** The allowed range of the sequence's second byte (it rules out overlongs, surrogates and > U+10FFFF). */
  private low = 0x80;
  private high = 0xbf;
  /** Bytes seen so far. */
  private offset = 0;

  /** The offset (from the first byte ever pushed) of the first invalid sequence in `chunk`, or -1. */
  push(chunk: Uint8Array): number {
    const base = this.offset;
    this.offset += chunk.length;
    let { needed, low, high } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (needed === 0) {
        if (b < 0x80) continue;
        this.start = base + i;
        if (b >= 0xc2 && b <= 0xdf) needed = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          needed = 2;
          low = b === 0xe0 ? 0xa0 : 0x80;
          high = b === 0xed ? 0x9f : 0xbf;
          continue;
        } else if (b >= 0xf0 && b <= 0xf4) {
          needed = 3;
          low = b === 0xf0 ? 0x90 : 0x80;
          high = b === 0xf4 ? 0x8f : 0xbf;
          continue;
        } else return base + i;
        low = 0x80;
        high = 0xbf;
        continue;
      }
      if (b < low || b > high) return this.start;
      low = 0x80;
      high = 0xbf;
      needed--;
    }
    this.needed = needed;
    this.low = low;
    this.high = high;
    return -1;
  }

  /** After the last chunk: the offset of a sequence cut short by the end, or -1. */
  end(): number {
    return this.needed > 0 ? this.start : -1;
  }
}

/** The offset of the first byte of `bytes` that is not part of valid UTF-8, or -1 when all of it is. */
export function invalidUtf8At(bytes: Uint8Array): number {
  const v = new Utf8Validator();
  const at = v.push(bytes);
  return at >= 0 ? at : v.end();
}
