/**
 * @module
 * The one drizzle schema. Columns hold ids, names, foreign keys, status and what queries filter or sort on; the
 * nested parts of a definition live in one JSON column typed by its zod schema, so no shape is declared twice.
 * Times are integer milliseconds since the epoch (UTC).
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { JOB_KINDS, JOB_STATUSES, LOG_LEVELS, MARK_TYPES, SCRAPER_STATUSES } from "../model/enums.ts";
import type { JobStats } from "../model/job-stats.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull().$defaultFn(() => new Date());
const updatedAt = () =>
  integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .$defaultFn(() => new Date())
    .$onUpdateFn(() => new Date());

export const classes = sqliteTable("classes", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  definition: text("definition", { mode: "json" }).$type<ScrapedClassBody>().notNull(),
  created_at: createdAt(),
  updated_at: updatedAt(),
});

export const scrapers = sqliteTable(
  "scrapers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    class_id: integer("class_id")
      .notNull()
      .references(() => classes.id),
    status: text("status", { enum: SCRAPER_STATUSES }).notNull(),
    definition: text("definition", { mode: "json" }).$type<ScraperBody>().notNull(),
    /** For check-last-saves / check-last-deletes. */
    last_scraper_save: integer("last_scraper_save", { mode: "timestamp_ms" }),
    last_checker_delete: integer("last_checker_delete", { mode: "timestamp_ms" }),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("scrapers_class").on(t.class_id)],
);

export const sources = sqliteTable(
  "sources",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull().unique(),
    scraper_id: integer("scraper_id")
      .notNull()
      .references(() => scrapers.id),
    url: text("url").notNull(),
    urls: text("urls", { mode: "json" }).$type<string[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
  },
  (t) => [index("sources_scraper").on(t.scraper_id)],
);

export const items = sqliteTable(
  "items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    class_id: integer("class_id")
      .notNull()
      .references(() => classes.id),
    source_id: integer("source_id")
      .notNull()
      .references(() => sources.id),
    /** Hash of the class id and the id-field values: two reads of the same item share it. */
    unique_key: text("unique_key").notNull().unique(),
    url: text("url"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    created_at: createdAt(),
    updated_at: updatedAt(),
    /**
     * When a crawl last read the item (new, changed or not): `cleanup --days N` deletes items no crawl has seen
     * for N days. Null (a row written by something else than the pipeline) is never cleaned up.
     */
    last_seen_at: integer("last_seen_at", { mode: "timestamp_ms" }).$defaultFn(() => new Date()),
  },
  // Lists go newest first (created_at DESC, then id DESC): each index ends in the rowid (the id), so SQLite reads
  // a page of any of them backwards without sorting, whatever the table's size. They also serve the foreign keys.
  (t) => [index("items_newest").on(t.created_at), index("items_source_newest").on(t.source_id, t.created_at), index("items_class_newest").on(t.class_id, t.created_at), index("items_last_seen").on(t.last_seen_at)],
);

/**
 * How many items each (class, source) pair has, kept by triggers on `items` (drizzle/0003_item_count_triggers.sql)
 * so that every writer keeps it right, cascades included: `total` of an item list and the stats read a few rows
 * instead of counting the items.
 */
export const item_counts = sqliteTable(
  "item_counts",
  {
    class_id: integer("class_id").notNull(),
    source_id: integer("source_id").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.class_id, t.source_id] })],
);

/**
 * A counter per kind of data (`items`, `definitions`, `runtimes`, `jobs`, `logs`), bumped by triggers on every
 * write to its tables, whatever process writes: the ETag of a list comes from the counters it depends on, so a
 * client's `If-None-Match` is answered with 304 from one small read, and a rendered page can be kept until the
 * counter moves. Counters start at a random value, so a database made anew does not repeat an old ETag.
 */
export const data_versions = sqliteTable("data_versions", {
  name: text("name").primaryKey(),
  version: integer("version").notNull(),
});

/**
 * The image files (store keys) an item uses. A file shared by several items is deleted with the last of them: the
 * index on `key` answers "does anyone else still use it" without reading every item.
 */
export const item_images = sqliteTable(
  "item_images",
  {
    item_id: integer("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.item_id, t.key] }), index("item_images_key").on(t.key)],
);

/**
 * A source's (`runtime_type` S) or an item's (C) next visit. `runnable` mirrors "the scraper is ACTIVE (and the
 * source active, or the scraper has checkers)" so that the due query reads one partial index and never the
 * runtimes of paused scrapers: Turso bills rows read.
 */
export const scheduler_runtimes = sqliteTable(
  "scheduler_runtimes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runtime_type: text("runtime_type", { enum: ["S", "C"] }).notNull(),
    source_id: integer("source_id").references(() => sources.id, { onDelete: "cascade" }),
    item_id: integer("item_id").references(() => items.id, { onDelete: "cascade" }),
    runnable: integer("runnable", { mode: "boolean" }).notNull(),
    next_action_time: integer("next_action_time", { mode: "timestamp_ms" }).notNull(),
    next_action_factor: real("next_action_factor"),
    num_zero_actions: integer("num_zero_actions").notNull().default(0),
    /** Checker runtimes: 404 answers in a row. */
    num_404: integer("num_404").notNull().default(0),
  },
  (t) => [
    uniqueIndex("runtimes_source").on(t.source_id),
    uniqueIndex("runtimes_item").on(t.item_id),
    // Covering (id and owner included), so a tick reads index entries only: half the rows Turso bills.
    index("runtimes_due").on(t.runtime_type, t.next_action_time, t.id, t.source_id, t.item_id).where(sql`runnable = 1`),
    check("runtimes_owner", sql`(runtime_type = 'S' AND source_id IS NOT NULL AND item_id IS NULL) OR (runtime_type = 'C' AND item_id IS NOT NULL AND source_id IS NULL)`),
  ],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    source_id: integer("source_id").references(() => sources.id, { onDelete: "set null" }),
    scraper_id: integer("scraper_id").references(() => scrapers.id, { onDelete: "set null" }),
    item_id: integer("item_id").references(() => items.id, { onDelete: "set null" }),
    dry_run: integer("dry_run", { mode: "boolean" }).notNull().default(false),
    /** Started by the scheduler (or `--update-schedule`): the run moves its runtime. */
    update_schedule: integer("update_schedule", { mode: "boolean" }).notNull().default(false),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    stats: text("stats", { mode: "json" }).$type<JobStats>().notNull(),
    error: text("error"),
    created_at: createdAt(),
    started_at: integer("started_at", { mode: "timestamp_ms" }),
    finished_at: integer("finished_at", { mode: "timestamp_ms" }),
    /** Lease: a running job renews it; one that stops renewing is dead and no longer holds its source. */
    heartbeat_at: integer("heartbeat_at", { mode: "timestamp_ms" }),
    /**
     * Fencing token of the lease: each claim of the job adds one. A run renews and finishes only while the row is
     * still running under the attempt it claimed, so a run that lost its lease never writes over the new state.
     */
    attempt: integer("attempt").notNull().default(0),
    /**
     * Which process holds the run (`host:pid:boot`, set by the claim): a binary starting on the same host marks
     * the running jobs of a process that is gone failed at once, instead of waiting for their lease to run out.
     */
    runner: text("runner"),
  },
  (t) => [
    // Two runs of one source never overlap: the database refuses the second, whatever process asks.
    uniqueIndex("jobs_one_crawl_per_source")
      .on(t.source_id)
      .where(sql`kind = 'crawl' AND status IN ('queued', 'running')`),
    uniqueIndex("jobs_one_check_per_item").on(t.item_id).where(sql`kind = 'check' AND status IN ('queued', 'running')`),
    index("jobs_active").on(t.status, t.heartbeat_at).where(sql`status IN ('queued', 'running')`),
    index("jobs_created").on(t.created_at),
    // The stats: jobs by status without reading the rows, and each source's last successful crawl.
    index("jobs_status").on(t.status),
    index("jobs_last_success").on(t.source_id, t.finished_at).where(sql`kind = 'crawl' AND status = 'succeeded' AND dry_run = 0`),
    // `jobs --source S` and `GET /api/jobs?source=S`, newest first.
    index("jobs_source").on(t.source_id, t.id),
  ],
);

export const logs = sqliteTable(
  "logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    message: text("message").notNull(),
    ref_object: text("ref_object"),
    type: text("type", { enum: MARK_TYPES }),
    level: text("level", { enum: LOG_LEVELS }).notNull(),
    scraper_id: integer("scraper_id").references(() => scrapers.id, { onDelete: "cascade" }),
    job_id: integer("job_id").references(() => jobs.id, { onDelete: "set null" }),
    date: integer("date", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("logs_scraper").on(t.scraper_id, t.id), index("logs_job").on(t.job_id)],
);

export const log_markers = sqliteTable("log_markers", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  message_contains: text("message_contains").notNull(),
  ref_object: text("ref_object"),
  scraper_id: integer("scraper_id").references(() => scrapers.id, { onDelete: "cascade" }),
  mark_with_type: text("mark_with_type", { enum: MARK_TYPES }).notNull(),
  custom_type: text("custom_type"),
});

/** The last answer's validators per main/follow page request of a source, for conditional re-crawls. */
export const page_validators = sqliteTable(
  "page_validators",
  {
    source_id: integer("source_id")
      .notNull()
      .references(() => sources.id, { onDelete: "cascade" }),
    /** Method, URL and body of the request (what makes two requests the same). */
    request_key: text("request_key").notNull(),
    etag: text("etag"),
    last_modified: text("last_modified"),
    updated_at: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.source_id, t.request_key] })],
);
