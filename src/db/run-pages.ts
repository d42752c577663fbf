/**
 * @module
 * A page step's commit in a queue-driven crawl run (see `runs.ts`): what one main, follow or detail page gave —
 * its counts, the items read on it and the detail pages they wait for, its follow-up pages, a detail page's
 * values for the items waiting on it — written in one batch, conditional on the step being this run's and
 * still pending. Items whose detail pages are all read come back (and stay on the step until they are stored).
 *
 * Lists travel as JSON parameters expanded by `json_each`, so a page of a hundred items is still a handful of
 * statements with a handful of parameters.
 */
import type { InValue } from "@libsql/client/web";
import type { Database } from "./connect.ts";
import { stepFromRow, type PlannedPage, type StatsCounts, type StepStatus, type StepToSend } from "./runs.ts";
import { addCounts, json, num, runBatch, statement, str, type Statement } from "./statements.ts";

/** An item read on a list page, with the slot of each detail page it needs (in need order). */
export interface ReadItemRow<I> {
  item: I;
  slots: readonly string[];
}

/** `I`: the items' shape, `T`: the tasks' shape (stored as JSON, handed back as stored). */
export interface PageCommit<I, T> {
  jobId: number;
  stepId: number;
  token: string;
  /** The page's own counts (its outcome, its error kind). */
  counts: StatsCounts;
  aliveUntil: Date;
  /** A main or follow page: its items, the detail pages to plan for slots the run does not know, its follow-ups. */
  list?: {
    items: readonly ReadItemRow<I>[];
    details: readonly { slot: string; task: T }[];
    /** Follow pages to plan, one per request key (a `dontFilter` page every time it is linked). */
    follow: readonly PlannedPage<T>[];
    /** Follow links read on the page: those not planned (seen before in the run) count as duplicates. */
    links: number;
  };
  /** A detail page: its slot and what it gave the items waiting for it; a private slot is forgotten once read. */
  detail?: { slot: string; result: unknown; private: boolean };
  /** The page failed for good: the step ends failed with this error (once its items, if any, are stored). */
  failed?: string;
  /** The answer's validators, for a conditional request next run. */
  validator?: { sourceId: number; key: string; etag: string | null; lastModified: string | null; now: Date };
  /** Statements to run in the same round trip (host releases). */
  extra?: readonly Statement[];
}

/** An item whose detail pages are all read: the results, by need index. */
export interface CompletedItemRow<I> {
  /** The waiting row's id (read order). */
  id: number;
  item: I;
  /** What each detail page gave, by need index (as stored by the detail page's commit). */
  results: [need: number, result: unknown][];
}

export interface PageCommitted<I, T> {
  /** Whether this write committed the page (false: the step was not pending under this run's lease). */
  committed: boolean;
  /** `read` when items wait to be stored, else `done` or `failed`. */
  status: StepStatus | undefined;
  items: CompletedItemRow<I>[];
  /** Pending steps this page planned, to send. */
  children: StepToSend<T>[];
  pending: number;
}

const GUARD = "EXISTS (SELECT 1 FROM crawl_steps WHERE id = :s AND commit_id = :n)";
const UNRESOLVED = "EXISTS (SELECT 1 FROM crawl_waits x JOIN crawl_slots sl ON sl.job_id = x.job_id AND sl.slot = x.slot WHERE x.waiting_id = w.id AND sl.result IS NULL)";
const RESULTS = "(SELECT json_group_array(json_array(x.need, json(sl.result))) FROM crawl_waits x JOIN crawl_slots sl ON sl.job_id = x.job_id AND sl.slot = x.slot WHERE x.waiting_id = w.id)";
const COMPLETED_IDS = "SELECT json_extract(c.value, '$.id') FROM json_each((SELECT items FROM crawl_steps WHERE id = :s AND commit_id = :n)) c";

export async function commitPage<I, T>(database: Database, page: PageCommit<I, T>, commitId: string): Promise<PageCommitted<I, T>> {
  const v: Record<string, InValue> = { j: page.jobId, s: page.stepId, t: page.token, n: commitId, alive: page.aliveUntil.getTime(), err: page.failed ?? null };
  const list = page.list;
  const waiting = list ? "w.step_id = :s" : "w.id IN (SELECT waiting_id FROM crawl_waits WHERE job_id = :j AND slot = :slot)";
  const stats = addCounts("stats", page.counts, "k");
  const statements: Statement[] = [statement(`UPDATE crawl_steps SET status = 'read', commit_id = :n, error = :err WHERE id = :s AND token = :t AND status = 'pending'`, v)];
  if (list) statements.push(...listStatements(list, v));
  if (page.detail) {
    v.slot = page.detail.slot;
    statements.push(statement(`UPDATE crawl_slots SET result = :result WHERE job_id = :j AND slot = :slot AND ${GUARD}`, { ...v, result: JSON.stringify(page.detail.result) }));
  }
  statements.push(
    statement(
      `UPDATE crawl_steps SET items = (SELECT json_group_array(json_object('id', w.id, 'item', json(w.item), 'results', json(${RESULTS})))
       FROM crawl_waiting w WHERE w.job_id = :j AND ${waiting} AND NOT ${UNRESOLVED}) WHERE id = :s AND commit_id = :n`,
      v,
    ),
    statement(`DELETE FROM crawl_waits WHERE waiting_id IN (${COMPLETED_IDS})`, v),
    statement(`DELETE FROM crawl_waiting WHERE id IN (${COMPLETED_IDS})`, v),
  );
  if (page.detail?.private) statements.push(statement(`DELETE FROM crawl_slots WHERE job_id = :j AND slot = :slot AND ${GUARD} AND NOT EXISTS (SELECT 1 FROM crawl_waits WHERE job_id = :j AND slot = :slot)`, v));
  statements.push(
    statement(
      `UPDATE crawl_runs SET pending = pending + (SELECT count(*) FROM crawl_steps WHERE parent_id = :s),
       items_read = CASE WHEN max_items IS NULL THEN items_read + :read ELSE min(max_items, items_read + :read) END WHERE job_id = :j AND ${GUARD}`,
      { ...v, read: list?.items.length ?? 0 },
    ),
    statement(
      `UPDATE jobs SET stats = json_set(${stats.sql}, '$.items_read', (SELECT items_read FROM crawl_runs WHERE job_id = :j),
       '$.pages.duplicate', coalesce(json_extract(stats, '$.pages.duplicate'), 0) + :follows - (SELECT count(*) FROM crawl_steps WHERE parent_id = :s AND kind = 'FP')),
       heartbeat_at = max(coalesce(heartbeat_at, 0), :alive) WHERE id = :j AND status IN ('running', 'cancelled') AND ${GUARD}`,
      { ...v, ...stats.values, follows: list?.links ?? 0 },
    ),
    // Nothing to store: the step is over at once.
    statement(
      `UPDATE crawl_steps SET status = CASE WHEN error IS NULL THEN 'done' ELSE 'failed' END, token = NULL, lease_until = NULL
       WHERE id = :s AND commit_id = :n AND status = 'read' AND coalesce(json_array_length(items), 0) = 0`,
      v,
    ),
    statement(`UPDATE crawl_runs SET pending = pending - 1 WHERE job_id = :j AND EXISTS (SELECT 1 FROM crawl_steps WHERE id = :s AND commit_id = :n AND status IN ('done', 'failed'))`, v),
  );
  if (page.validator) {
    const { sourceId, key, etag, lastModified, now } = page.validator;
    statements.push(
      statement(
        `INSERT INTO page_validators (source_id, request_key, etag, last_modified, updated_at) SELECT :src, :key, :etag, :lm, :now WHERE ${GUARD}
         ON CONFLICT (source_id, request_key) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at`,
        { ...v, src: sourceId, key, etag, lm: lastModified, now: now.getTime() },
      ),
    );
  }
  statements.push(
    ...(page.extra ?? []),
    statement(`SELECT status, items, commit_id = :n AS committed, (SELECT pending FROM crawl_runs WHERE job_id = :j) AS pending FROM crawl_steps WHERE id = :s`, v),
    statement(`SELECT id, kind, task FROM crawl_steps WHERE parent_id = :s AND status = 'pending' ORDER BY id LIMIT 500`, v),
  );
  const results = await runBatch(database, statements);
  const step = results.at(-2)!.rows[0];
  const committed = num(step, "committed") === 1;
  return {
    committed,
    status: (str(step, "status") ?? undefined) as StepStatus | undefined,
    items: completedItems<I>(json<CompletedItemRow<I>[]>(step, "items")),
    children: results.at(-1)!.rows.map((row) => stepFromRow<T>(row)),
    pending: num(step, "pending"),
  };
}

/** A main or follow page's items (within max_items_read), their waits and slots, its new detail and follow pages. */
function listStatements<I, T>(list: NonNullable<PageCommit<I, T>["list"]>, v: Record<string, InValue>): Statement[] {
  const needs = list.items.flatMap((row, idx) => row.slots.map((slot, need) => ({ idx, need, slot })));
  const values = {
    ...v,
    items: JSON.stringify(list.items.map((row) => ({ item: row.item }))),
    needs: JSON.stringify(needs),
    details: JSON.stringify(list.details),
    follow: JSON.stringify(list.follow),
  };
  return [
    statement(
      `INSERT INTO crawl_waiting (job_id, step_id, idx, item) SELECT :j, :s, i.key, json_extract(i.value, '$.item') FROM json_each(:items) i
       WHERE ${GUARD} AND i.key < coalesce((SELECT max_items - items_read FROM crawl_runs WHERE job_id = :j), 1e18) ORDER BY i.key`,
      values,
    ),
    statement(
      `INSERT INTO crawl_waits (job_id, slot, waiting_id, need) SELECT :j, json_extract(d.value, '$.slot'), w.id, json_extract(d.value, '$.need')
       FROM json_each(:needs) d JOIN crawl_waiting w ON w.step_id = :s AND w.idx = json_extract(d.value, '$.idx') WHERE ${GUARD}`,
      values,
    ),
    // A slot the run has not seen is planned once, by the first page whose items need it.
    statement(
      `INSERT INTO crawl_steps (job_id, parent_id, kind, task, status) SELECT :j, :s, 'DP', json_extract(d.value, '$.task'), 'pending' FROM json_each(:details) d
       WHERE ${GUARD} AND NOT EXISTS (SELECT 1 FROM crawl_slots WHERE job_id = :j AND slot = json_extract(d.value, '$.slot'))
       AND EXISTS (SELECT 1 FROM crawl_waits WHERE job_id = :j AND slot = json_extract(d.value, '$.slot')) ORDER BY d.key`,
      values,
    ),
    statement(
      `INSERT INTO crawl_slots (job_id, slot) SELECT DISTINCT :j, x.slot FROM crawl_waits x JOIN crawl_waiting w ON w.id = x.waiting_id WHERE w.step_id = :s AND ${GUARD}
       ON CONFLICT DO NOTHING`,
      values,
    ),
    statement(
      `INSERT INTO crawl_steps (job_id, parent_id, kind, task, status) SELECT :j, :s, 'FP', json_extract(f.value, '$.task'), 'pending' FROM json_each(:follow) f
       WHERE ${GUARD} AND (json_extract(f.value, '$.dontFilter') OR NOT EXISTS (SELECT 1 FROM crawl_requests WHERE job_id = :j AND key = json_extract(f.value, '$.key'))) ORDER BY f.key`,
      values,
    ),
    statement(`INSERT INTO crawl_requests (job_id, key) SELECT :j, json_extract(f.value, '$.key') FROM json_each(:follow) f WHERE ${GUARD} ON CONFLICT DO NOTHING`, values),
  ];
}

/** The completed items of a step's `items` column, in read order. */
export function completedItems<I>(items: CompletedItemRow<I>[] | null): CompletedItemRow<I>[] {
  return (items ?? []).map((e) => ({ id: e.id, item: e.item, results: e.results ?? [] })).sort((a, b) => a.id - b.id);
}
