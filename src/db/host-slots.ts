/**
 * @module
 * Politeness shared through the database (`host_slots`, `robots_cache`): whoever fetches from a host first claims
 * one of its lanes with one conditional UPDATE, which succeeds only while a lane is free and the host's delay
 * since its last request has passed; the release (usually sent along with the caller's next batch) frees the lane
 * and starts the delay again from the end of the answer, or from a Retry-After. Times are the database's clock.
 * robots.txt answers are kept per origin until they expire, for every isolate to share.
 */
import type { Row } from "@libsql/client/web";
import type { Database } from "./connect.ts";
import { DB_NOW, num, runBatch, statement, str, type Statement } from "./statements.ts";

export interface HostClaim {
  /** `hostname:port` */
  host: string;
  /** Requests in flight to the host at most. */
  lanes: number;
  /** Who asks: a lane it holds already is its own to use again (after the delay). */
  holder: string;
  /** The gap between requests to the host, in ms. */
  delayMs: number;
  /** How long the lane stays held if its holder never releases it (it crashed). */
  leaseMs: number;
}

/** A lane, or how long until one might be free. */
export type HostClaimed = { lane: number } | { waitMs: number; reason: "delay" | "busy" };

/**
 * Claims a lane of the host now, in one round trip (with `before`, e.g. the caller's pending releases, first). With
 * `robotsOf`, the origin's robots.txt answer is read in the same round trip, after the claim: an answer another
 * isolate stored while this one waited for the host.
 */
export async function claimHostSlot(database: Database, claim: HostClaim, before: readonly Statement[] = [], robotsOf?: string): Promise<HostClaimed & { robots?: RobotsAnswerRow }> {
  const v = { h: claim.host, holder: claim.holder, lanes: claim.lanes, delay: claim.delayMs, lease: claim.leaseMs };
  const results = await runBatch(database, [
    ...before,
    statement(`INSERT INTO host_slots (host, lane, held_until, next_start) SELECT :h, value, 0, 0 FROM json_each(:all) WHERE true ON CONFLICT DO NOTHING`, {
      ...v,
      all: JSON.stringify(Array.from({ length: claim.lanes }, (_, i) => i)),
    }),
    statement(
      `UPDATE host_slots SET holder = :holder, held_until = ${DB_NOW} + :lease, next_start = ${DB_NOW} + :delay
       WHERE host = :h AND lane = (SELECT lane FROM host_slots WHERE host = :h AND lane < :lanes AND (held_until <= ${DB_NOW} OR holder = :holder) ORDER BY holder = :holder DESC, lane LIMIT 1)
       AND (SELECT max(next_start) FROM host_slots WHERE host = :h) <= ${DB_NOW} RETURNING lane`,
      v,
    ),
    statement(
      `SELECT max(0, (SELECT max(next_start) FROM host_slots WHERE host = :h) - ${DB_NOW}) AS delay_left,
       (SELECT count(*) FROM host_slots WHERE host = :h AND lane < :lanes AND (held_until <= ${DB_NOW} OR holder = :holder)) AS free`,
      v,
    ),
    ...(robotsOf === undefined ? [] : [robotsQuery(robotsOf, new Date())]),
  ]);
  const tail = robotsOf === undefined ? 0 : 1;
  const robots = robotsOf === undefined ? undefined : robotsRow(results.at(-1)!.rows[0]);
  const claimed = results.at(-2 - tail)!.rows[0];
  if (claimed) return { lane: num(claimed, "lane"), ...(robots ? { robots } : {}) };
  const why = results.at(-1 - tail)!.rows[0];
  const delayLeft = num(why, "delay_left");
  return num(why, "free") > 0 ? { waitMs: Math.max(1, delayLeft), reason: "delay" } : { waitMs: Math.max(1, delayLeft), reason: "busy" };
}

/**
 * The statement that gives the holder's lanes of the host back; the next request may start `delayMs` (or the
 * `pauseMs` of a Retry-After, when longer) after it runs.
 */
export function hostRelease(host: string, holder: string, delayMs: number, pauseMs = 0): Statement {
  return statement(`UPDATE host_slots SET holder = NULL, held_until = 0, next_start = max(next_start, ${DB_NOW} + :wait) WHERE host = :h AND holder = :holder`, {
    h: host,
    holder,
    wait: Math.max(delayMs, pauseMs),
  });
}

/** Runs statements on their own (releases with no batch of the caller's to travel with). */
export async function runStatements(database: Database, statements: readonly Statement[]): Promise<void> {
  if (statements.length > 0) await runBatch(database, statements);
}

/** A robots.txt answer as the fetcher saw it. */
export interface RobotsAnswerRow {
  status: number;
  /** A redirect's Location. */
  location: string | null;
  body: string;
}

/** The origin's robots.txt answer while it has not expired. */
export async function cachedRobots(database: Database, origin: string, now: Date): Promise<RobotsAnswerRow | undefined> {
  const [result] = await runBatch(database, [robotsQuery(origin, now)]);
  return robotsRow(result!.rows[0]);
}

function robotsQuery(origin: string, now: Date): Statement {
  return statement(`SELECT status, location, body FROM robots_cache WHERE origin = :o AND expires_at > :now`, { o: origin, now: now.getTime() });
}

function robotsRow(row: Row | undefined): RobotsAnswerRow | undefined {
  return row && { status: num(row, "status"), location: str(row, "location"), body: str(row, "body") ?? "" };
}

/** Keeps the origin's robots.txt answer until `expiresAt`. */
export function saveRobots(origin: string, answer: RobotsAnswerRow, expiresAt: Date): Statement {
  return statement(
    `INSERT INTO robots_cache (origin, status, location, body, expires_at) VALUES (:o, :st, :loc, :body, :exp)
     ON CONFLICT (origin) DO UPDATE SET status = excluded.status, location = excluded.location, body = excluded.body, expires_at = excluded.expires_at`,
    { o: origin, st: answer.status, loc: answer.location, body: answer.body, exp: expiresAt.getTime() },
  );
}

/**
 * Claims the downloads of these image files for `holder` (each until `leaseMs` from now, unless given back sooner)
 * and returns the ones it holds: those no one else is downloading. One round trip.
 */
export async function claimImageDownloads(database: Database, fileNames: readonly string[], holder: string, leaseMs: number, before: readonly Statement[] = []): Promise<Set<string>> {
  if (fileNames.length === 0) return new Set();
  const v = { names: JSON.stringify([...new Set(fileNames)]), h: holder, lease: leaseMs };
  const results = await runBatch(database, [
    ...before,
    statement(
      `INSERT INTO image_downloads (file_name, holder, lease_until) SELECT value, :h, ${DB_NOW} + :lease FROM json_each(:names) WHERE true
       ON CONFLICT (file_name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
       WHERE image_downloads.lease_until <= ${DB_NOW} OR image_downloads.holder = excluded.holder`,
      v,
    ),
    statement(`SELECT file_name FROM image_downloads WHERE holder = :h AND file_name IN (SELECT value FROM json_each(:names))`, v),
  ]);
  return new Set(results.at(-1)!.rows.map((r) => str(r, "file_name")!));
}

/** The statement that gives back the holder's image downloads (done, or given up). */
export function imageDownloadsDone(holder: string): Statement {
  return statement(`DELETE FROM image_downloads WHERE holder = :h`, { h: holder });
}

/** Forgets robots.txt answers expired before `now` and lanes idle for a day (hosts not crawled any more). */
export async function pruneHostState(database: Database, now: Date): Promise<void> {
  await runBatch(database, [
    statement(`DELETE FROM robots_cache WHERE expires_at <= :now`, { now: now.getTime() }),
    statement(`DELETE FROM host_slots WHERE held_until <= ${DB_NOW} AND next_start < ${DB_NOW} - 86400000`),
    statement(`DELETE FROM image_downloads WHERE lease_until <= ${DB_NOW}`),
  ]);
}
