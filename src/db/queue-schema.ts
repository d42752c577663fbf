/**
 * @module
 * The tables of crawls run by the Worker's queue driver, each page step a queue message that some isolate runs
 * (src/crawl/database-run-state.ts over src/db/runs.ts): the run, its steps (the outbox of page work, and the
 * record of what each step did), the requests it has planned, its detail-page slots and the items waiting for
 * them; and what isolates share to stay polite and within budget (host slots, robots.txt, image downloads,
 * invocations). Rows of a run are removed when it finishes, except its failed steps: the job's failed pages.
 * The binary's crawls keep all this in memory (`MemoryRunState`).
 */
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { jobs } from "./schema.ts";

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
