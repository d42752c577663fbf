/**
 * @module
 * Field schemas shared by several definitions.
 */
import { z } from "zod";

/**
 * What a name may not hold: controls (C0 — NUL, tab, line breaks… —, DEL, C1), the line and paragraph separators
 * U+2028/U+2029, bidi controls (U+061C, U+200E/U+200F, U+202A–U+202E, U+2066–U+2069) and lone UTF-16 surrogates.
 * They do not survive a round trip (a NUL cuts a name short when the database gives it back, a lone surrogate is
 * not UTF-8), or break the lines a name is printed on, or make a name read as another one.
 */
const UNSAFE_IN_NAME = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Cs}]/u;
/** What a URL may not hold: controls, which URL parsers drop or refuse, and bidi controls. */
const UNSAFE_IN_URL = /[\p{Cc}\p{Bidi_Control}]/u;

const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0x00: "NUL",
  0x09: "tab",
  0x0a: "line feed",
  0x0d: "carriage return",
  0x1b: "escape",
  0x7f: "DEL",
  0x85: "next line",
  0x061c: "Arabic letter mark",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x2028: "line separator",
  0x2029: "paragraph separator",
  0x202a: "left-to-right embedding",
  0x202b: "right-to-left embedding",
  0x202c: "pop directional formatting",
  0x202d: "left-to-right override",
  0x202e: "right-to-left override",
  0x2066: "left-to-right isolate",
  0x2067: "right-to-left isolate",
  0x2068: "first strong isolate",
  0x2069: "pop directional isolate",
};

/** "U+202E (right-to-left override) at character 3": the first character of `value` that `unsafe` matches. */
export function unsafeCharacterIn(value: string, unsafe: RegExp = UNSAFE_IN_NAME): string | undefined {
  const m = unsafe.exec(value);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CHARACTER_NAMES[code] ?? (code >= 0xd800 && code <= 0xdfff ? "a lone surrogate" : undefined);
  return `${hex}${name ? ` (${name})` : ""} at character ${[...value.slice(0, m.index)].length + 1}`;
}

/** A regex check refusing the characters `unsafe` matches, naming the first one (and a pattern for the JSON Schema). */
function without(unsafe: RegExp): [RegExp, { error: (issue: { input: unknown }) => string }] {
  return [
    new RegExp(`^(?:(?!${unsafe.source}).)*$`, "su"),
    { error: (issue) => `must not contain control or bidi characters: ${unsafeCharacterIn(String(issue.input), unsafe)}` },
  ];
}

/** Definitions refer to each other by name, so a name must be unambiguous when written in a bundle by hand. */
export const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^(?:\S(?:.*\S)?)?$/s, "must not start or end with whitespace")
  .regex(...without(UNSAFE_IN_NAME));

/** Attr names are also `{name}` placeholders, so they are identifiers. */
export const attrNameSchema = z
  .string()
  .min(1, "must not be empty")
  .regex(/^(?:[\p{L}_][\p{L}\p{N}_-]*)?$/u, "must start with a letter or _ and hold only letters, digits, _ and - (it is also a {placeholder})")
  .max(200, "must be at most 200 characters");

/** DDS alert periods: `12h`, `3d`, `1w`; empty = no alert. */
export const periodSchema = z.string().regex(/^(?:\d+[hdw])?$/, 'must be a period like "12h", "3d" or "1w" (or empty)');

/** Absolute, and as written: URL parsers silently drop tabs, line breaks and surrounding spaces, so those are refused. */
export const httpUrlSchema = z
  .string()
  .refine(isHttpUrl, "must be an absolute http(s) URL")
  .regex(/^(?:\S(?:.*\S)?)?$/s, "must not start or end with whitespace")
  .regex(...without(UNSAFE_IN_URL));

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

export const positiveIntOrNull = z.number().int("must be an integer").positive("must be positive").nullable();
