/**
 * @module
 * The run state of a crawl whose page steps run as queue messages, each in whatever isolate gets it: kept in the
 * database (`db/runs.ts`, `db/run-pages.ts`), one state object per step. A step's run holds the step under a lease
 * (its token) and answers each {@link RunState} call with one round trip that commits the page: its counts, its
 * items and the detail pages they wait for, its follow-up pages (told beforehand with {@link follow}), a detail
 * page's values for the items waiting on it. The commit applies once: a message delivered again finds its step
 * committed and changes nothing. The items a commit completes stay on the step until {@link finish} says they are
 * stored, so a run that dies in between leaves them to the next delivery.
 *
 * What differs from the in-memory state: requests are de-duplicated when a page plans its follow-ups (`follow`), not
 * when the follow-up is admitted, so that a duplicate costs no message; max_items_read and max_items_save are
 * applied per page against the counts so far, so steps running at once may overshoot them by a page.
 */
import type { Database } from "../db/connect.ts";
import { jobById } from "../db/jobs.ts";
import { commitPage, type CompletedItemRow, type PageCommit, type PageCommitted } from "../db/run-pages.ts";
import { endStep, waitingItems, type StatsCounts, type StepEnded } from "../db/runs.ts";
import type { Statement } from "../db/statements.ts";
import { crawlJobStats, emptyCrawlStats, type CrawlStats, type PipelineCounts } from "../model/job-stats.ts";
import type { ItemRead, ReadItem } from "./item.ts";
import type { ListTask, PreparedList } from "./page-step.ts";
import type { Admission, DetailResult, DetailTask, Handoff, PageTally, RunState } from "./run-state.ts";

type Commit = PageCommit<ItemRead, StepTask>;

/** The step a state object belongs to, as claimed. */
export interface StepLease {
  jobId: number;
  stepId: number;
  /** The lease's token: every write is conditional on it. */
  token: string;
  /** A list page: admitted within the run's limits when claimed. */
  admitted: boolean;
}

export interface DatabaseRunStateOptions {
  /** Until when the job counts as alive, written with each commit. */
  aliveUntil(): Date;
  /** Statements to send with the next round trip (the host releases of the step's fetches). */
  piggyback(): Statement[];
  /** A fresh commit id. */
  newId(): string;
}

/** A list task as a step carries it: with its request key, to plan it once per run. */
export type ListStepTask = ListTask & { key: string; dontFilter: boolean };
export type StepTask = ListStepTask | DetailTask;

/** What a commit hands back: the {@link Handoff}, and what the queue driver needs besides. */
export interface StepHandoff extends Handoff {
  /** Whether this call committed the page (false: it was committed before, or the lease was lost). */
  committed: boolean;
  /** `read`: items to store, then {@link DatabaseRunState.finish}; `done`/`failed`: the step is over. */
  status: PageCommitted<ItemRead, StepTask>["status"];
  /** The pages this one planned (detail and follow pages), to send. */
  children: PageCommitted<ItemRead, StepTask>["children"];
  /** Steps of the run not done yet. */
  pending: number;
}

export class DatabaseRunState implements RunState {
  private followUps: PreparedList[] = [];
  private links = 0;
  private validator: Commit["validator"];
  private failure: string | undefined;

  constructor(
    private readonly database: Database,
    private readonly step: StepLease,
    private readonly options: DatabaseRunStateOptions,
  ) {}

  /** Answered by the claim: the page's request was planned once (duplicates never became steps). */
  admitListPage(): Admission {
    return this.step.admitted ? "fetch" : "over";
  }

  /** The follow-up pages of the list page about to be committed, as read (repeats included). */
  follow(links: readonly PreparedList[]): void {
    this.links = links.length;
    const seen = new Set<string>();
    this.followUps = links.filter((l) => l.dontFilter || (!seen.has(l.key) && seen.add(l.key)));
  }

  /** The answer's validators, stored with the commit. */
  remember(validator: NonNullable<Commit["validator"]>): void {
    this.validator = validator;
  }

  /** The page failed for good (its retries are spent): the step ends failed with this error. */
  fail(error: string): void {
    this.failure = error;
  }

  async listPageRead(tally: PageTally, items: readonly ItemRead[]): Promise<StepHandoff> {
    const details = new Map<string, DetailTask>();
    const rows = items.map((item, idx) => ({
      item,
      slots: item.details.map((need, n) => {
        const slot = need.shared ? need.key : `${need.key}\n#${this.step.stepId}.${idx}.${n}`;
        if (!details.has(slot)) details.set(slot, { kind: "DP", pageType: need.pageType, request: need.request, slot });
        return slot;
      }),
    }));
    const follow = this.followUps.map((l) => ({ kind: "FP" as const, task: { ...l.task, key: l.key, dontFilter: l.dontFilter } satisfies StepTask, key: l.key, dontFilter: l.dontFilter }));
    return this.commit(tally, {
      list: { items: rows, details: [...details].map(([slot, task]) => ({ slot, task })), follow, links: this.links },
    });
  }

  detailPageRead(slot: string, tally: PageTally, result: DetailResult): Promise<StepHandoff> {
    // A page the run did not read because it stopped is no result: the items waiting for it stay waiting (and are
    // dropped with the run), never stored without its values.
    if ("stopped" in result) return this.commit(tally, {});
    return this.commit(tally, { detail: { slot, result, private: slot.includes("\n#") } });
  }

  /** A failure outside the page's step: the page ends with it. */
  async count(tally: PageTally): Promise<void> {
    await this.commit(tally, {});
  }

  /** Items of the run still waiting for detail pages: none of them was stored. */
  unread(): Promise<number> {
    return waitingItems(this.database, this.step.jobId);
  }

  async stats(): Promise<CrawlStats> {
    const job = await jobById(this.database, this.step.jobId);
    const stats = job && crawlJobStats(job.stats);
    if (!stats) return emptyCrawlStats();
    const { items: _items, ...crawl } = stats;
    return crawl;
  }

  /**
   * The page's items are stored (with these counts): the step is done, or failed with its error. With `error`, the
   * step could not be completed (its items are not stored) and ends failed with it.
   */
  finish(counts: PipelineCounts, error?: string): Promise<StepEnded> {
    const { jobId, stepId, token } = this.step;
    const end = { jobId, stepId, token, counts: pipelineCounts(counts), aliveUntil: this.options.aliveUntil(), extra: this.options.piggyback() };
    return endStep(this.database, error === undefined ? end : { ...end, error }, this.options.newId());
  }

  private async commit(tally: PageTally, what: Partial<Pick<Commit, "list" | "detail">>): Promise<StepHandoff> {
    const { jobId, stepId, token } = this.step;
    const committed = await commitPage<ItemRead, StepTask>(
      this.database,
      {
        jobId,
        stepId,
        token,
        counts: tallyCounts(tally),
        aliveUntil: this.options.aliveUntil(),
        ...what,
        ...(this.failure !== undefined ? { failed: this.failure } : {}),
        ...(this.validator ? { validator: this.validator } : {}),
        extra: this.options.piggyback(),
      },
      this.options.newId(),
    );
    return {
      complete: completedItems(committed.items),
      details: committed.children.flatMap((c) => (c.task.kind === "DP" ? [c.task] : [])),
      progress: { items: 0, errors: 0 },
      committed: committed.committed,
      status: committed.status,
      children: committed.children,
      pending: committed.pending,
    };
  }
}

/** Items a step completed, as stored on it: each merged with its detail pages' values, in need order. */
export function completedItems(rows: readonly CompletedItemRow<ItemRead>[]): ReadItem[] {
  return [...rows].sort((a, b) => a.id - b.id).map(({ item, results }) => {
    const byNeed = new Map((results ?? []).map(([need, result]) => [need, result]));
    const out: ReadItem = { values: item.values, pageUrl: item.pageUrl, detailErrors: [...item.detailErrors] };
    item.details.forEach((need, i) => {
      const result = byNeed.get(i);
      if (isValues(result)) Object.assign(out.values, result.values);
      else out.detailErrors.push(`${need.pageType} ${need.request.url}: ${isError(result) ? result.error : "not read"}`);
    });
    return out;
  });
}

function isValues(result: unknown): result is Extract<DetailResult, { values: unknown }> {
  return typeof result === "object" && result !== null && "values" in result;
}

function isError(result: unknown): result is Extract<DetailResult, { error: unknown }> {
  return typeof result === "object" && result !== null && "error" in result && typeof result.error === "string";
}

/** A page's tally as counts of the job's stats. */
export function tallyCounts(tally: PageTally): StatsCounts {
  const counts: [string[], number][] = [];
  if (tally.page) counts.push([["pages", tally.page], 1]);
  if (tally.error) counts.push([["errors", tally.error], 1]);
  if (tally.withoutItems) counts.push([["pages_without_items"], 1]);
  return counts;
}

/** The pipeline's counts of a step as counts of the job's stats. */
export function pipelineCounts(counts: PipelineCounts): StatsCounts {
  const out: [string[], number][] = [];
  for (const key of ["valid", "saved", "updated", "unchanged"] as const) if (counts[key] > 0) out.push([["items", key], counts[key]]);
  for (const [reason, n] of Object.entries(counts.dropped)) out.push([["items", "dropped", reason], n]);
  return out;
}
