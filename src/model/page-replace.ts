/**
 * @module
 * `pagination_page_replace` in DDS syntax: `"0, 40, 10"` (RANGE_FUNCT, Python `range()` arguments) or
 * `"'a-d', 'e-h'"` (FREE_LIST, a Python list body); a JSON array is accepted too. Pure parsing, shared by
 * validation and the page planner.
 */
import { parseListBody, pyRepr, type PyValue } from "./python-literal.ts";

export type PageReplace = string | readonly (string | number)[];

export type PageValues = { values: string[] } | { error: string };

const MAX_PAGES = 100_000;

function items(raw: PageReplace): { value: PyValue[] } | { error: string } {
  return typeof raw === "string" ? parseListBody(raw) : { value: [...raw] };
}

export function rangePages(raw: PageReplace): PageValues {
  const list = items(raw);
  if ("error" in list) return list;
  // Python's range() takes numbers only: a quoted "5" is a string there too.
  const ints = list.value.map((v) => (typeof v === "number" ? v : Number.NaN));
  if (ints.length < 1 || ints.length > 3 || ints.some((n) => !Number.isInteger(n))) {
    return { error: 'RANGE_FUNCT needs 1 to 3 integers like Python range(): "stop", "start, stop" or "start, stop, step"' };
  }
  const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
  if (step === 0) return { error: "RANGE_FUNCT step must not be 0" };
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_PAGES) return { error: `RANGE_FUNCT would make ${count} pages, more than ${MAX_PAGES}` };
  return { values: Array.from({ length: count }, (_, i) => String(start + i * step)) };
}

export function freeListPages(raw: PageReplace): PageValues {
  const list = items(raw);
  if ("error" in list) return list;
  if (list.value.length === 0) return { error: "FREE_LIST needs at least one value" };
  const odd = list.value.findIndex((v) => typeof v !== "string" && typeof v !== "number");
  if (odd !== -1) return { error: `FREE_LIST item ${odd + 1} must be a quoted string or a number, not ${pyRepr(list.value[odd]!)}` };
  return { values: list.value.map(String) };
}
