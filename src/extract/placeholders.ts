/**
 * @module
 * `{name}` placeholders: `{page}` and `{follow_page}` in pagination and request options, `{attr}` in detail page
 * URLs, request options and values. Only identifier-like names are placeholders, so JSON bodies keep their braces.
 */

const PLACEHOLDER = /\{([\p{L}_][\p{L}\p{N}_-]*)\}/gu;

export type Vars = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Fills the placeholders whose names are in `vars`; others are left as they are. */
export function fill(text: string, vars: Vars): string {
  if (!text.includes("{")) return text;
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const v = vars[name];
    return v === undefined ? whole : typeof v === "string" ? v : v.join(",");
  });
}

export function hasPlaceholder(text: string): boolean {
  return text.includes("{") && new RegExp(PLACEHOLDER.source, "u").test(text);
}

export function fillRecord(record: Readonly<Record<string, string>>, vars: Vars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) out[fill(k, vars)] = fill(v, vars);
  return out;
}

/**
 * An extracted URL made absolute against the page it was read from. A value still holding placeholders is kept
 * as it is: resolving would percent-encode its braces before they are filled.
 */
export function absoluteUrl(value: string, base: string): string {
  if (hasPlaceholder(value)) return value;
  try {
    return new URL(value.trim(), base).href;
  } catch {
    return value;
  }
}
