/**
 * @module
 * The binary's crawl driver (SPEC.md §2–3): one scraper run over a source's start URLs in this process, as page
 * steps (`page-step.ts`) scheduled over a run state (`run-state.ts`, in memory here). Main pages come from the
 * planner, follow pages from the follow links, detail pages from the items; items leave through `hooks.item` once
 * all their pages are read (storing them is the pipeline's business).
 *
 * Order of work: follow pages first (in FOLLOW mode the next-link chain is the critical path, so its next hop is
 * started before the page's items are even read), then detail pages (they complete items already read and free
 * their memory), then the generated main pages. A bounded number of steps runs at once.
 */
import type { ProcessorEnv } from "../expressions/processors.ts";
import type { Fetcher } from "../fetch/fetcher.ts";
import type { PageValidator } from "../db/validators.ts";
import type { LogLevel } from "../model/enums.ts";
import type { CrawlStats } from "../model/job-stats.ts";
import type { RunOptions } from "../model/run-options.ts";
import { fillValuePlaceholders, type ReadItem } from "./item.ts";
import { detailPageStep, listPageStep, prepareList, runLimits, stepContext, type CrawlTarget, type DetailTask, type ListTask, type LogLine, type PageTask, type StepContext } from "./page-step.ts";
import { planMainPages } from "./planner.ts";
import type { PageReaders } from "./read-page.ts";
import { MemoryRunState, type Handoff, type RunState } from "./run-state.ts";

export type { CrawlTarget } from "./page-step.ts";
export type { ReadItem } from "./item.ts";
export type { CrawlStats } from "../model/job-stats.ts";

/** Validators from earlier answers, for conditional requests of main and follow pages. */
export interface ValidatorCache {
  get(key: string): PageValidator | undefined;
  set(key: string, value: PageValidator): void;
}

export interface CrawlHooks {
  item(item: ReadItem): void | Promise<void>;
  log(level: LogLevel, message: string, refObject?: string): void;
  progress?(progress: CrawlProgress): void;
  validators?: ValidatorCache;
  /** What the run remembers between steps (default: in memory). */
  state?: RunState;
  /** Where pages are read (default: on this thread, with no time limit). */
  readers?: PageReaders;
}

export interface CrawlProgress {
  pagesDone: number;
  pagesQueued: number;
  items: number;
  errors: number;
}

type TaskKind = PageTask["kind"];

export async function crawl(target: CrawlTarget, options: RunOptions, fetcher: Fetcher, env: ProcessorEnv, hooks: CrawlHooks, signal: AbortSignal): Promise<CrawlStats> {
  const reader = hooks.readers?.forRun({ classBody: target.classBody, scraperBody: target.scraperBody, timeZone: env.timeZone }, signal);
  try {
    return await crawlWith(stepContext(target, options, fetcher, env, reader && ((input, onLinks) => reader.read(input, onLinks))), target, options, fetcher, hooks, signal);
  } finally {
    reader?.release();
  }
}

async function crawlWith(ctx: StepContext, target: CrawlTarget, options: RunOptions, fetcher: Fetcher, hooks: CrawlHooks, signal: AbortSignal): Promise<CrawlStats> {
  const state = hooks.state ?? new MemoryRunState(runLimits(target.scraperBody, options));
  const queues: Record<TaskKind, PageTask[]> = { FP: [], DP: [], MP: [] };
  let inFlight = 0;
  let pending = 0;
  let done = 0;
  let counts: Handoff["progress"] = { items: 0, errors: 0 };
  // The fetcher bounds real concurrency; keeping a few more steps started than that keeps it busy without
  // pulling the whole (possibly huge) page list into memory at once.
  const maxInFlight = Math.max(2, fetcher.settings.concurrency * 2);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // Items handed to the pipeline and not yet accepted by it; the first failure of one fails the run.
  let itemWrites = 0;
  let itemFailure: unknown;
  let itemsDone: (() => void) | undefined;

  const report = () => hooks.progress?.({ pagesDone: done, pagesQueued: pending, items: counts.items, errors: counts.errors });
  const say = (lines: readonly LogLine[]) => {
    for (const line of lines) hooks.log(line.level, line.message, line.ref);
  };

  const enqueue = (task: PageTask) => {
    queues[task.kind].push(task);
    pending++;
    pump();
  };

  function pump(): void {
    while (inFlight < maxInFlight && !signal.aborted) {
      const task = queues.FP.shift() ?? queues.DP.shift() ?? queues.MP.shift();
      if (!task) break;
      inFlight++;
      void run(task).finally(() => {
        inFlight--;
        pending--;
        done++;
        report();
        pump();
      });
    }
    if (inFlight === 0 && (pending === 0 || signal.aborted)) finish();
  }

  async function run(task: PageTask): Promise<void> {
    try {
      if (task.kind === "DP") await runDetail(task);
      else await runList(task);
    } catch (e) {
      if (signal.aborted) return;
      // A failure of the state or the driver itself: counted against the run, which goes on.
      const url = task.kind === "DP" ? task.request.url : task.url;
      const message = `${url}: ${e instanceof Error ? e.message : String(e)}`;
      hooks.log("ERROR", message, url);
      await state.count({ error: "internal" });
    }
  }

  async function runList(task: ListTask): Promise<void> {
    const list = prepareList(ctx, task);
    // Not awaited when answered at once (in memory): the page is then requested in the same turn as the link that
    // asked for it, while the page that gave the link still has its items to read.
    const answer = state.admitListPage(list.key, list.dontFilter);
    const admission = answer instanceof Promise ? await answer : answer;
    if (admission !== "fetch") return;
    const validator = hooks.validators?.get(list.key);
    if (validator) list.validator = validator;
    const step = await listPageStep(ctx, list, signal, (followUps) => {
      for (const next of followUps) enqueue(next);
    });
    say(step.logs);
    if (step.validator) hooks.validators?.set(list.key, step.validator);
    take(await state.listPageRead(step.tally, step.items));
  }

  async function runDetail(task: DetailTask): Promise<void> {
    const step = await detailPageStep(ctx, task, signal);
    say(step.logs);
    take(await state.detailPageRead(task.slot, step.tally, step.result));
  }

  function take(handoff: Handoff): void {
    counts = handoff.progress;
    for (const item of handoff.complete) complete(item);
    for (const detail of handoff.details) enqueue(detail);
  }

  function complete(item: ReadItem): void {
    fillValuePlaceholders(item.values, target.classBody, item.pageUrl);
    const written = hooks.item(item);
    if (!written) return;
    itemWrites++;
    written.then(
      () => {
        if (--itemWrites === 0) itemsDone?.();
      },
      (e: unknown) => {
        itemFailure ??= e;
        if (--itemWrites === 0) itemsDone?.();
      },
    );
  }

  for (const url of target.startUrls) {
    for (const main of planMainPages(target.scraperBody, url, options)) enqueue({ kind: "MP", url: main.url, vars: main.page === undefined ? {} : { page: main.page }, depth: 0 });
  }
  pump();
  await finished;
  if (itemWrites > 0) await new Promise<void>((resolve) => (itemsDone = resolve));
  if (itemFailure !== undefined) throw itemFailure;
  return state.stats();
}
