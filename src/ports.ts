/**
 * @module
 * What the core needs from its platform. The binary (cli/) and the Worker (worker/) each implement these; nothing
 * in src/ knows which one it got. The `Database` port lives with the queries it serves, in `db/connect.ts`: a root
 * file imports no folder, so every folder may import this one.
 */

/**
 * Where image files live: a folder for the binary, an R2 bucket for the Worker. Keys are relative paths such as
 * `full/<sha1>.jpg`; implementations write atomically (a reader never sees half a file).
 */
export interface BlobStore {
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** The bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Deleting a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix` (all keys when empty), in no particular order. */
  list(prefix?: string): AsyncIterable<string>;
}

/**
 * Runs queued jobs somewhere: in-process workers for the binary, a Cloudflare Queue for the Worker. Delivery is at
 * least once; a job's row (status `queued`) is the truth, so a message for a job that is no longer queued is a
 * no-op.
 */
export interface JobQueue {
  enqueue(jobId: number): Promise<void>;
  /**
   * Told of a running job just cancelled from outside (`POST /api/jobs/:id/cancel`, the admin page). The binary
   * leaves it out: the run notices the cancel at its next heartbeat and sends the job's webhook itself. A Worker
   * crawl has no such run (each page is a message of its own), so the Worker's queue sends the webhook from here.
   * Never throws: the cancel has happened whatever becomes of this.
   */
  cancelled?(jobId: number): Promise<void>;
  /**
   * For `GET /api/health`: whether the queue takes work now, with a few figures (jobs waiting, running); throws,
   * naming why, when it does not. A queue that cannot be probed without sending a message leaves it out.
   */
  check?(): Promise<Record<string, unknown>>;
}

/** Where alerts go (failing checker tests, scrapers that stopped saving, checkers that stopped deleting). */
export interface Notifier {
  notify(alert: Alert): Promise<void>;
}

export interface Alert {
  /** What kind of alert: `checker_tests`, `last_saves`, `last_deletes`. */
  type: string;
  /** One line for people. */
  subject: string;
  /** The failures, one object each. */
  failures: Record<string, unknown>[];
}

/** Time, so that scheduling can be driven by a simulated clock in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
