/**
 * @module
 * Which read items are the same item, and which values an item must have (SPEC.md §1, §4). Pure: no I/O,
 * table-tested.
 */
import type { Values } from "../extract/extractor.ts";
import type { Attr } from "../model/attr.ts";
import type { Elem } from "../model/elem.ts";
import { sha256Hex } from "../sha256.ts";

/**
 * Two items are the same item when their id fields are equal. Without id fields a class's items are told apart
 * by their DETAIL_PAGE_URL values (SPEC.md §1: the item's default identity), and without those by all their
 * STANDARD values.
 */
export function identityAttrs(attrs: readonly Attr[]): Attr[] {
  const ids = attrs.filter((a) => a.id_field);
  if (ids.length) return ids;
  const urls = attrs.filter((a) => a.attr_type === "U");
  if (urls.length) return urls;
  return attrs.filter((a) => a.attr_type === "S");
}

/**
 * The attrs an item must have a value for: those with a mandatory elem, and only when they are saved. DDS's
 * validation pipeline checks saved attrs only, so a helper attr (`save_to_db: false`, e.g. a value that only
 * fills a placeholder) never drops an item.
 */
export function mandatoryAttrs(attrs: readonly Attr[], elems: readonly Pick<Elem, "attr" | "mandatory">[]): Attr[] {
  const mandatory = new Set(elems.filter((e) => e.mandatory).map((e) => e.attr));
  return attrs.filter((a) => a.attr_type !== "B" && a.save_to_db && mandatory.has(a.name));
}

export function isEmpty(v: Values[string] | undefined): boolean {
  return v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
}

/** Hex SHA-256 of the class id and the identity values (SPEC.md §1 `unique_key`). */
export function uniqueKey(classId: number | null, values: readonly (Values[string] | undefined)[]): string {
  return sha256Hex(JSON.stringify([classId ?? 0, ...values.map((v) => v ?? null)]));
}

/**
 * The item's unique key: from its identity values, or, when those are all empty (an optional link that is
 * absent), from all its saved values. DDS skips its duplicate check then; one shared "empty" key would keep only
 * the first such item and drop the others as duplicates. Hashing the saved values keeps distinct items apart, and
 * reading the same content again gives the same key, so a re-crawl adds nothing.
 */
export function itemKey(classId: number | null, identity: readonly Attr[], saved: readonly Attr[], values: Values): string {
  if (identity.some((a) => !isEmpty(values[a.name]))) return uniqueKey(classId, identity.map((a) => values[a.name]));
  // An object never appears among identity values (strings, lists, null), so these keys cannot meet those.
  return sha256Hex(JSON.stringify([classId ?? 0, Object.fromEntries(saved.map((a) => [a.name, isEmpty(values[a.name]) ? null : values[a.name]]))]));
}
