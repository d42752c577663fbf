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
  },
  (t) => [index("items_source").on(t.source_id), index("items_class").on(t.class_id)],
);

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
  },
  (t) => [
    // Two runs of one source never overlap: the database refuses the second, whatever process asks.
    uniqueIndex("jobs_one_crawl_per_source")
      .on(t.source_id)
      .where(sql`kind = 'crawl' AND status IN ('queued', 'running')`),
    uniqueIndex("jobs_one_check_per_item").on(t.item_id).where(sql`kind = 'check' AND status IN ('queued', 'running')`),
    index("jobs_active").on(t.status, t.heartbeat_at).where(sql`status IN ('queued', 'running')`),
    index("jobs_created").on(t.created_at),
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

/*
 * What a crawl run by the Worker's queue driver remembers between its page steps, each step a queue message that
 * some isolate runs (src/crawl/database-run-state.ts over src/db/runs.ts): the run, its steps (the outbox of page
 * work, and the record of what each step did), the requests it has planned, its detail-page slots and the items
 * waiting for them. Rows of a run are removed when it finishes, except its failed steps: the job's failed pages.
 */

/** A queue-driven crawl: what its steps share, and how many of them are not done yet. */
export const crawl_runs = sqliteTable("crawl_runs", {
  job_id: integer("job_id")
    .primaryKey()
    .references(() => jobs.id, { onDelete: "cascade" }),
  /** The definitions and options the run started with (a snapshot: steps never read changed definitions). */
  plan: text("plan", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  /** Steps planned and not done: the run is over when it comes back to 0. */
  pending: integer("pending").notNull(),
  /** Main and follow pages admitted (max_pages_read), and items read (max_items_read). */
  list_pages: integer("list_pages").notNull().default(0),
  items_read: integer("items_read").notNull().default(0),
  max_pages: integer("max_pages"),
  max_items: integer("max_items"),
});

export const STEP_STATUSES = ["pending", "read", "done", "failed"] as const;

/**
 * One page of a run. `pending` (planned, its message sent or to be sent) → `read` (the page is read and its
 * follow-ups planned; `items` holds the items it completed, for the pipeline) → `done` or `failed`. A run holds a
 * step under a lease (`token`, `lease_until`); `commit_id` tags the write that moved it last, so that the other
 * statements of that write apply only when that write did.
 */
export const crawl_steps = sqliteTable(
  "crawl_steps",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job_id: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** The step whose page planned this one; null for the main pages planned at the start. */
    parent_id: integer("parent_id"),
    kind: text("kind", { enum: ["MP", "FP", "DP"] }).notNull(),
    /** The page task, as the driver sends it. */
    task: text("task", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: STEP_STATUSES }).notNull(),
    /** List pages: whether it was admitted within max_pages_read (1) or not (0); null until asked. */
    admitted: integer("admitted"),
    token: text("token"),
    lease_until: integer("lease_until"),
    commit_id: text("commit_id"),
    items: text("items", { mode: "json" }).$type<unknown[]>(),
    /** Why the page failed for good (its last error), for the job's failed pages. */
    error: text("error"),
    /** Failed attempts at the page so far. */
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [index("crawl_steps_job").on(t.job_id, t.status), index("crawl_steps_parent").on(t.parent_id)],
);

/** Requests of main and follow pages a run has planned: the same request is planned once (SPEC.md §3). */
export const crawl_requests = sqliteTable(
  "crawl_requests",
  {
    job_id: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job_id, t.key] })],
);

/** A detail page of a run, shared by the items that need it: its values (or its error) once read. */
export const crawl_slots = sqliteTable(
  "crawl_slots",
  {
    job_id: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    slot: text("slot").notNull(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.job_id, t.slot] })],
);

/** An item read on a list page, waiting for its detail pages. */
export const crawl_waiting = sqliteTable(
  "crawl_waiting",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job_id: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    step_id: integer("step_id").notNull(),
    /** Its place on its page. */
    idx: integer("idx").notNull(),
    item: text("item", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("crawl_waiting_step").on(t.step_id)],
);

/** Which slot each waiting item needs, for which of its detail pages (`need`, in need order). */
export const crawl_waits = sqliteTable(
  "crawl_waits",
  {
    job_id: integer("job_id").notNull(),
    slot: text("slot").notNull(),
    waiting_id: integer("waiting_id")
      .notNull()
      .references(() => crawl_waiting.id, { onDelete: "cascade" }),
    need: integer("need").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job_id, t.slot, t.waiting_id, t.need] }), index("crawl_waits_item").on(t.waiting_id)],
);

/**
 * Politeness across isolates: one row per host and lane (`perHost` lanes). A request starts only on a lane that
 * is free (`held_until` past, or held by the same holder) when the host's `next_start` has passed; starting sets
 * `next_start` a delay ahead, and so does the release, so that the gap holds from the end of one answer to the
 * start of the next as well. Times are the database's clock (milliseconds), one clock for every isolate.
 */
export const host_slots = sqliteTable(
  "host_slots",
  {
    host: text("host").notNull(),
    lane: integer("lane").notNull(),
    holder: text("holder"),
    held_until: integer("held_until").notNull().default(0),
    next_start: integer("next_start").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.host, t.lane] })],
);

/**
 * Image downloads under way: the first isolate that needs an image claims its file name here and downloads it; the
 * others find the claim and wait for the stored files instead of fetching the same picture again.
 */
export const image_downloads = sqliteTable("image_downloads", {
  file_name: text("file_name").primaryKey(),
  holder: text("holder").notNull(),
  lease_until: integer("lease_until").notNull(),
});

/** robots.txt answers per origin, shared by every isolate until they expire. */
export const robots_cache = sqliteTable("robots_cache", {
  origin: text("origin").primaryKey(),
  status: integer("status").notNull(),
  /** The Location of a redirect answer. */
  location: text("location"),
  body: text("body").notNull(),
  expires_at: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
});

/** What each invocation of the Worker's queue consumer and cron did and spent: the budget is checked against it. */
export const worker_invocations = sqliteTable(
  "worker_invocations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** `queue:<name>` or `cron:<expression>`. */
    handler: text("handler").notNull(),
    started_at: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    wall_ms: integer("wall_ms").notNull(),
    /** Time between the handler's start and end not spent waiting on I/O, as far as the runtime's clock tells. */
    busy_ms: integer("busy_ms").notNull(),
    messages: integer("messages").notNull(),
    budget: integer("budget").notNull(),
    /** Subrequests in all, this row's own write included, and by kind. */
    subrequests: integer("subrequests").notNull(),
    fetches: integer("fetches").notNull(),
    database: integer("database").notNull(),
    storage: integer("storage").notNull(),
    queue: integer("queue").notNull(),
    /** Messages handed on to a later invocation because the budget was spent. */
    carried: integer("carried").notNull(),
    jobs: text("jobs", { mode: "json" }).$type<number[]>().notNull(),
  },
  (t) => [index("worker_invocations_started").on(t.started_at)],
);
