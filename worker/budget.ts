/**
 * @module
 * One invocation's budget. Cloudflare counts every subrequest an invocation makes — page fetches, database round
 * trips (libSQL over HTTP), R2 calls, queue sends — against a per-invocation limit (50 on the free plan), and
 * `wrangler dev` enforces none of it: the Worker counts its own. Every subrequest goes through {@link Budget.spend},
 * which refuses (throws {@link BudgetSpent}) before the limit would be crossed, so no invocation ever exceeds it.
 * A few subrequests are held back (`reserve`) for the invocation's end: sending the messages that carry the work
 * on, and recording what the invocation spent. Wall time has a budget too: work not started before it is handed on.
 */

export type SubrequestKind = "fetches" | "database" | "storage" | "queue";

/** The budget would be crossed: the work is handed on to a later invocation. */
export class BudgetSpent extends Error {
  constructor(readonly kind: SubrequestKind) {
    super(`the invocation's subrequest budget is spent (a ${kind} subrequest was refused)`);
    this.name = "BudgetSpent";
  }
}

export class Budget {
  readonly counts: Record<SubrequestKind, number> = { fetches: 0, database: 0, storage: 0, queue: 0 };
  /** Time spent waiting: on subrequests and on sleeps (the rest of the wall time is the invocation's own work). */
  waitedMs = 0;
  private closing = false;
  private readonly started: number;

  constructor(
    /** Subrequests in all. */
    readonly limit: number,
    /** Held back for the end of the invocation. */
    readonly reserve: number,
    /** Wall time for the work, in ms. */
    private readonly wallMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  get used(): number {
    return this.counts.fetches + this.counts.database + this.counts.storage + this.counts.queue;
  }

  /** Subrequests the work may still make (the reserve excluded, until {@link close}). */
  get left(): number {
    return (this.closing ? this.limit : this.limit - this.reserve) - this.used;
  }

  /** Whether the work may go on: at least `subrequests` left, and wall time left. */
  affords(subrequests: number): boolean {
    return this.left >= subrequests && this.now() - this.started < this.wallMs;
  }

  /** Counts one subrequest; throws BudgetSpent, counting nothing, when none is left. */
  spend(kind: SubrequestKind): void {
    if (this.left <= 0) throw new BudgetSpent(kind);
    this.counts[kind]++;
  }

  /** The end of the invocation: the reserve becomes available. */
  close(): void {
    this.closing = true;
  }

  get elapsedMs(): number {
    return this.now() - this.started;
  }

  /** Counts one subrequest (`kind`) and the time spent waiting for it. */
  async call<T>(kind: SubrequestKind, run: () => Promise<T>): Promise<T> {
    this.spend(kind);
    return this.waiting(run);
  }

  /** Times a wait (a subrequest, a sleep). */
  async waiting<T>(run: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await run();
    } finally {
      this.waitedMs += this.now() - started;
    }
  }

  /**
   * The invocation's own time, as a proxy for its CPU time: the wall time less the waits. A proxy only — the
   * runtime's clock, event-loop turns and the reading of response bodies are in it — but in `wrangler dev` the
   * clock runs during computation, so it tracks what the CPU limit counts.
   */
  get busyMs(): number {
    return Math.max(0, this.elapsedMs - this.waitedMs);
  }
}

/** `fetch` for the libSQL client: each HTTP request to the database is a subrequest. */
export function countedFetch(budget: Budget, kind: SubrequestKind): (request: Request) => Promise<Response> {
  return (request) => budget.call(kind, () => fetch(request));
}
