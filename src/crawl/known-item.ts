/**
 * @module
 * What a new read of a known item (one already stored, same unique key) changes in it (SPEC.md §4). Pure: no I/O,
 * table-tested.
 *
 * A value is **missing** when it is absent, `null`, `""` or `[]`. That is what an item holds for an optional value
 * that was empty, a detail page that failed for good, or an image that could not be stored. A list with entries
 * (even `[""]`) is present: which of its entries are "missing" cannot be told from a list that simply changed.
 *
 * | stored  | read               | attr type        | result                                                    |
 * | ------- | ------------------ | ---------------- | --------------------------------------------------------- |
 * | missing | missing            | any              | the stored value is kept: nothing to learn                |
 * | missing | present            | any (S, T, U, I) | the read value: filled in (the item counts as `updated`)  |
 * | present | missing            | any              | the stored value is kept: an empty read never erases      |
 * | present | present, equal     | any              | kept                                                      |
 * | present | present, different | T                | the read value: updated (STANDARD_UPDATE)                 |
 * | present | present, different | S, U, I          | the stored value is kept: only `T` values change          |
 *
 * An image attr is compared by what is stored (file names): the pipeline downloads a missing image only when
 * {@link fills} says so, and hands the file names here as the read value.
 */
import type { ItemData } from "../db/items.ts";
import type { Attr } from "../model/attr.ts";

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
}

/** Whether the read value fills a value missing from the store (the second row of the table). */
export function fills(stored: unknown, read: unknown): boolean {
  return isMissing(stored) && !isMissing(read);
}

/** Whether the read value of an attr replaces the stored one, by the table above. */
export function replaces(attrType: Attr["attr_type"], stored: unknown, read: unknown): boolean {
  if (isMissing(read)) return false;
  if (isMissing(stored)) return true;
  return attrType === "T" && JSON.stringify(stored) !== JSON.stringify(read);
}

/** The known item's data after this read of its saved attrs, and the attrs whose value changed (empty: unchanged). */
export function mergeRead(attrs: readonly Pick<Attr, "name" | "attr_type">[], stored: ItemData, read: ItemData): { data: ItemData; changed: string[] } {
  const data: ItemData = { ...stored };
  const changed: string[] = [];
  for (const { name, attr_type } of attrs) {
    if (!replaces(attr_type, stored[name], read[name])) continue;
    data[name] = read[name];
    changed.push(name);
  }
  return { data, changed };
}
