import { describe, expect, test } from "bun:test";
import { sha256Hex } from "../src/sha256.ts";

async function subtleHex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("sha256Hex", () => {
  // FIPS 180-4 examples (one block, two blocks) and the empty message.
  const vectors: [string, string][] = [
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
  ];
  test.each(vectors)("%p", (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
  });

  // Lengths around the block edges (the 64-bit length must fit after the 0x80 byte), multi-byte UTF-8, and bytes.
  const lengths = [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 100_000];
  test.each(lengths)("equals crypto.subtle for %p bytes", async (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    expect(sha256Hex(bytes)).toBe(await subtleHex(bytes));
  });

  test("hashes a string as its UTF-8 bytes", async () => {
    for (const text of ["é", "“quoted” — ünïcödé", "😀".repeat(40), '[1,"http://x/1"]']) {
      expect(sha256Hex(text)).toBe(await subtleHex(new TextEncoder().encode(text)));
    }
  });
});
