/**
 * @module
 * Items as lists show them (INTERFACE.md "Item shapes"): a page in the stable order newest first, then id; one
 * item by id; how many match (from `item_counts`, which triggers keep, or — for a text search — a count that
 * stops at a cap); and the ids of a class's or a source's items, a slice at a time, for deleting them.
 */
import type { InStatement } from "@libsql/client/web";
import { asc, inArray, sql } from "drizzle-orm";
import type { Item } from "../model/item.ts";
import type { Database } from "./connect.ts";
import { item_images } from "./schema.ts";

/** Which items a list shows: of a class, of a source, whose data holds a text; all when empty. */
export interface ItemQuery {
  classId?: number;
  sourceId?: number;
  /** Matched (case-insensitively for ASCII) against the item's values — not its attr names. */
  text?: string;
}

const COLUMNS = "items.id, classes.name AS class, sources.name AS source, items.url, items.data, items.created_at, items.updated_at";
const FROM = "FROM items JOIN classes ON classes.id = items.class_id JOIN sources ON sources.id = items.source_id";

/** `%`, `_` and the escape character itself match literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE of a query. A text search first looks for the text in the stored JSON (as JSON writes it, so quotes
 * and backslashes match their escaped form), which is cheap and rules out most rows, then checks that the text is
 * inside one of the values and not only in an attr's name, through `json_tree`.
 */
function where(query: ItemQuery): { sql: string; args: (string | number)[] } {
  const terms: string[] = [];
  const args: (string | number)[] = [];
  if (query.classId !== undefined) {
    terms.push("items.class_id = ?");
    args.push(query.classId);
  }
  if (query.sourceId !== undefined) {
    terms.push("items.source_id = ?");
    args.push(query.sourceId);
  }
  if (query.text !== undefined && query.text !== "") {
    terms.push("items.data LIKE ? ESCAPE '\\' AND EXISTS (SELECT 1 FROM json_tree(items.data) AS v WHERE v.atom LIKE ? ESCAPE '\\')");
    args.push(likePattern(JSON.stringify(query.text).slice(1, -1)), likePattern(query.text));
  }
  return { sql: terms.length ? `WHERE ${terms.join(" AND ")}` : "", args };
}

/** The statement of one page, for tests that read its plan. */
export function itemPageStatement(query: ItemQuery, offset: number, limit: number): InStatement {
  const w = where(query);
  return {
    sql: `SELECT ${COLUMNS} ${FROM} ${w.sql} ORDER BY items.created_at DESC, items.id DESC LIMIT ? OFFSET ?`,
    args: [...w.args, limit, offset],
  };
}

/** One page of items, newest first (ties by id, highest first): `limit` items after the first `offset`. */
export async function itemPage(database: Database, query: ItemQuery, offset: number, limit: number): Promise<Item[]> {
  const result = await database.client.execute(itemPageStatement(query, offset, limit));
  return withImages(database, result.rows.map(rowOf));
}

/** Items by id, in the order of `ids`; missing ones left out. */
export async function itemsById(database: Database, ids: readonly number[]): Promise<Item[]> {
  if (ids.length === 0) return [];
  const result = await database.client.execute({ sql: `SELECT ${COLUMNS} ${FROM} WHERE items.id IN (${ids.map(() => "?").join(", ")})`, args: [...ids] });
  const byId = new Map((await withImages(database, result.rows.map(rowOf))).map((item) => [item.id, item]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

type ItemRow = Omit<Item, "images">;

function rowOf(row: Record<string, unknown>): ItemRow {
  return {
    id: Number(row.id),
    class: String(row.class),
    source: String(row.source),
    url: row.url === null ? null : String(row.url),
    data: JSON.parse(String(row.data)) as Item["data"],
    created_at: new Date(Number(row.created_at)).toISOString(),
    updated_at: new Date(Number(row.updated_at)).toISOString(),
  };
}

/** The rows with their image keys, in the order the keys were stored (the order of the item's image attrs). */
export async function withImages(database: Database, rows: readonly ItemRow[]): Promise<Item[]> {
  if (rows.length === 0) return [];
  const images = new Map<number, string[]>();
  const keys = await database.db
    .select({ itemId: item_images.item_id, key: item_images.key })
    .from(item_images)
    .where(inArray(item_images.item_id, rows.map((r) => r.id)))
    .orderBy(asc(item_images.item_id), sql`rowid`);
  for (const { itemId, key } of keys) images.set(itemId, [...(images.get(itemId) ?? []), key]);
  return rows.map((r) => ({ ...r, images: images.get(r.id) ?? [] }));
}

/**
 * How many items match. Without a text the counts table answers (a few rows, whatever the number of items);
 * with one, matching rows are counted up to `cap` + 1 (a search over a million items must not count them all):
 * `capped` says the true number is above `cap`.
 */
export async function itemTotal(database: Database, query: ItemQuery, cap: number): Promise<{ total: number; capped: boolean }> {
  if (query.text !== undefined && query.text !== "") {
    const w = where(query);
    const result = await database.client.execute({ sql: `SELECT count(*) AS n FROM (SELECT 1 FROM items ${w.sql} LIMIT ?)`, args: [...w.args, cap + 1] });
    const n = Number(result.rows[0]?.n ?? 0);
    return n > cap ? { total: cap, capped: true } : { total: n, capped: false };
  }
  const terms: string[] = [];
  const args: number[] = [];
  if (query.classId !== undefined) {
    terms.push("class_id = ?");
    args.push(query.classId);
  }
  if (query.sourceId !== undefined) {
    terms.push("source_id = ?");
    args.push(query.sourceId);
  }
  const result = await database.client.execute({ sql: `SELECT coalesce(sum(n), 0) AS n FROM item_counts ${terms.length ? `WHERE ${terms.join(" AND ")}` : ""}`, args });
  return { total: Number(result.rows[0]?.n ?? 0), capped: false };
}

/** Up to `limit` ids of the items of a class or a source (for deleting them a slice at a time). */
export async function itemIdsOf(database: Database, owner: { classId: number } | { sourceId: number }, limit: number): Promise<number[]> {
  const [column, id] = "classId" in owner ? ["class_id", owner.classId] : ["source_id", owner.sourceId];
  const result = await database.client.execute({ sql: `SELECT id FROM items WHERE ${column} = ? LIMIT ?`, args: [id, limit] });
  return result.rows.map((r) => Number(r.id));
}
