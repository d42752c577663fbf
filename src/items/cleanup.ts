/**
 * @module
 * `cleanup`: deletes the items no crawl has read for N days (`items.last_seen_at`), of one source or all, a slice
 * at a time, each with its checker runtime and the image files no other item uses (`deleteItems`, the same path
 * as every other delete), and reports the counts. A dry run counts the same things and deletes nothing.
 */
import type { Database } from "../db/connect.ts";
import { loadSource } from "../db/definitions.ts";
import { deleteItems } from "../db/items.ts";
import { countRuntimesOf, countStaleItems, staleItemIds, type Staleness } from "../db/stale-items.ts";
import type { CleanupReport, CleanupRequest } from "../model/cleanup.ts";
import type { BlobStore } from "../ports.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Items per delete: one statement's worth of ids, and a bounded amount of work between two checks of `signal`. */
const SLICE = 500;

export async function cleanupItems(database: Database, store: BlobStore | undefined, request: CleanupRequest, now: Date): Promise<CleanupReport> {
  const source = request.source === undefined ? undefined : (await loadSource(database, request.source)).source;
  const stale: Staleness = { before: new Date(now.getTime() - request.days * DAY_MS), ...(source ? { sourceId: source.id } : {}) };
  const report: CleanupReport = { items: 0, images: 0, runtimes: 0, before: stale.before.toISOString(), source: source?.name ?? null, dry_run: request.dry_run };
  if (request.dry_run) return { ...report, ...(await countStaleItems(database, stale)) };
  for (;;) {
    const ids = await staleItemIds(database, stale, SLICE);
    if (ids.length === 0) return report;
    report.runtimes += await countRuntimesOf(database, ids);
    const deleted = await deleteItems(database, store, ids);
    report.items += deleted.items;
    report.images += deleted.files.length;
  }
}
