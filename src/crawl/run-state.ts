/**
 * @module
 * What a crawl remembers between its page steps: the requests it has seen, the detail pages it has read (shared
 * by every item that links to them) and the items waiting for them, and its counts. The binary keeps it in memory
 * ({@link MemoryRunState}); the Worker keeps it in the database, where each page step runs as a queue message in
 * some isolate. So every method takes everything one page step produced and answers in one call — one round
 * trip per step, never one per item — and may answer at once or with a promise.
 *
 * The contract every run state honours (memory or database), so that a stopped run never stores half an item:
 * - An item is handed out (`complete`) at most once, and only when every detail page it needs has a result: its
 *   values, or an error that is final for this run (an HTTP error, a page that could not be read, a request that
 *   failed after its retries). Such an item is stored with those values missing; a later run that reads them
 *   fills them in (the pipeline's business, see `known-item.ts`).
 * - A detail page the run did not read because it stopped (cancelled by a user, interrupted by a signal, or its
 *   lease lost) is reported as `{ stopped: true }`, or not reported at all: either way it is no result. The items
 *   waiting for it are never handed out, in this run or later; the page is forgotten, so nothing else waits on
 *   it as if it had been read.
 * - Once the run has ended, `unread()` tells how many items it read were never handed out. The job counts them as
 *   dropped ("cancelled before its detail pages were read") and stores none of them: the next run reads them
 *   again, as new items, whole.
 */
import type { Values } from "../extract/extractor.ts";
import { emptyCrawlStats, type CrawlPages, type CrawlStats } from "../model/job-stats.ts";
import type { PageRequest } from "../fetch/fetcher.ts";
import type { ItemRead, ReadItem } from "./item.ts";

/** An answer now (the in-memory state) or later (a state kept in a database). */
export type Answer<T> = T | Promise<T>;

/** What one page counts: at most one page outcome and at most one error kind. */
export interface PageTally {
  page?: keyof CrawlPages;
  /** Counted in `errors` by kind: `http_404`, `network`, `content`, `internal`… */
  error?: string;
  /** A main page on which the base expression matched nothing (`pages_without_items`). */
  withoutItems?: boolean;
}

/** A detail page to read, for the items waiting on `slot`. */
export interface DetailTask {
  kind: "DP";
  pageType: string;
  request: PageRequest;
  slot: string;
}

/** Whether a list page may be fetched: `fetch`, `duplicate` (seen before in this run) or `over` (a limit is reached). */
export type Admission = "fetch" | "duplicate" | "over";

/** What the state hands back after a page: items now complete, detail pages to fetch, and the counts so far. */
export interface Handoff {
  complete: ReadItem[];
  details: DetailTask[];
  progress: { items: number; errors: number };
}

/**
 * A detail page's outcome: its values; or why it gave none, for good in this run (the items needing it are
 * complete without its values, and name the reason); or `stopped`: the run stopped before the page was read,
 * which is no result at all (the items needing it are never complete).
 */
export type DetailResult = { values: Values } | { error: string } | { stopped: true };

export interface RunLimits {
  /** max_items_read: items beyond it are not read (Infinity: no limit). */
  maxItems: number;
  /** max_pages_read: main and follow pages beyond it are not fetched. */
  maxPages: number;
}

export interface RunState {
  /**
   * May the main or follow page with this request key be fetched? `over` once the run has read max_items_read
   * items or admitted max_pages_read pages; `duplicate` when the same request was admitted before in this run and
   * the page type does not set `dont_filter`; else `fetch`, and the page counts against max_pages_read.
   */
  admitListPage(key: string, dontFilter: boolean): Answer<Admission>;
  /**
   * A main or follow page's tally and the items read on it, in page order. Items past max_items_read are not
   * read. Each item waits for its detail pages: those already read serve it at once, those requested by an
   * earlier item are awaited, the others are returned to fetch (a shared one once per run).
   */
  listPageRead(tally: PageTally, items: readonly ItemRead[]): Answer<Handoff>;
  /**
   * A detail page's tally and result: the items waiting for it (and for nothing else) are complete. A `stopped`
   * result completes nothing, and the slot is forgotten.
   */
  detailPageRead(slot: string, tally: PageTally, result: DetailResult): Answer<Handoff>;
  /** A failure outside any page's step (the driver's or the state's own). */
  count(tally: PageTally): Answer<void>;
  /** The run's counts so far. */
  stats(): Answer<CrawlStats>;
  /**
   * How many items read in this run were never handed out: they still wait for a detail page (the run stopped
   * before reading it, or a failure outside the page steps lost it). Asked once the run has ended.
   */
  unread(): Answer<number>;
}

/** A detail page's result that completes the items waiting for it. */
type FinalResult = Exclude<DetailResult, { stopped: true }>;

/** An item waiting for detail pages: the result of each of its needs, in need order. */
interface OpenItem {
  item: ItemRead;
  results: (FinalResult | undefined)[];
  left: number;
}

interface Slot {
  result?: FinalResult;
  waiting: { open: OpenItem; need: number }[];
  /** A `dont_filter` page: it serves one item and is forgotten once read. */
  private: boolean;
}

export class MemoryRunState implements RunState {
  private readonly counts: CrawlStats = emptyCrawlStats();
  private readonly seen = new Set<string>();
  private listPages = 0;
  private readonly slots = new Map<string, Slot>();
  private privateSlots = 0;
  /** Items read and not yet handed out. */
  private waiting = 0;

  constructor(private readonly limits: RunLimits) {}

  admitListPage(key: string, dontFilter: boolean): Admission {
    if (this.counts.items_read >= this.limits.maxItems || this.listPages >= this.limits.maxPages) return "over";
    if (this.seen.has(key) && !dontFilter) {
      this.counts.pages.duplicate++;
      return "duplicate";
    }
    this.seen.add(key);
    this.listPages++;
    return "fetch";
  }

  listPageRead(tally: PageTally, items: readonly ItemRead[]): Handoff {
    this.count(tally);
    const complete: ReadItem[] = [];
    const details: DetailTask[] = [];
    for (const item of items) {
      if (this.counts.items_read >= this.limits.maxItems) break;
      this.counts.items_read++;
      const open: OpenItem = { item, results: [], left: item.details.length };
      item.details.forEach((need, i) => {
        const known = need.shared ? this.slots.get(need.key) : undefined;
        if (known?.result) {
          open.results[i] = known.result;
          open.left--;
        } else if (known) known.waiting.push({ open, need: i });
        else {
          const slot = need.shared ? need.key : `${need.key}\n#${++this.privateSlots}`;
          this.slots.set(slot, { waiting: [{ open, need: i }], private: !need.shared });
          details.push({ kind: "DP", pageType: need.pageType, request: need.request, slot });
        }
      });
      if (open.left === 0) complete.push(finish(open));
      else this.waiting++;
    }
    return { complete, details, progress: this.progress() };
  }

  detailPageRead(slot: string, tally: PageTally, result: DetailResult): Handoff {
    this.count(tally);
    const complete: ReadItem[] = [];
    const entry = this.slots.get(slot);
    if (!entry) return { complete, details: [], progress: this.progress() };
    if ("stopped" in result) {
      // Its items stay incomplete (counted by `unread`); an item read later asks for the page again.
      this.slots.delete(slot);
      return { complete, details: [], progress: this.progress() };
    }
    if (entry.private) this.slots.delete(slot);
    else entry.result = result;
    for (const { open, need } of entry.waiting) {
      open.results[need] = result;
      if (--open.left === 0) {
        complete.push(finish(open));
        this.waiting--;
      }
    }
    entry.waiting = [];
    return { complete, details: [], progress: this.progress() };
  }

  count(tally: PageTally): void {
    if (tally.page) this.counts.pages[tally.page]++;
    if (tally.error) this.counts.errors[tally.error] = (this.counts.errors[tally.error] ?? 0) + 1;
    if (tally.withoutItems) this.counts.pages_without_items++;
  }

  stats(): CrawlStats {
    return structuredClone(this.counts);
  }

  unread(): number {
    return this.waiting;
  }

  private progress(): Handoff["progress"] {
    let errors = 0;
    for (const n of Object.values(this.counts.errors)) errors += n;
    return { items: this.counts.items_read, errors };
  }
}

/** The item with its detail pages' values merged in need order, and their failures named. */
function finish(open: OpenItem): ReadItem {
  const { item } = open;
  item.details.forEach((need, i) => {
    const result = open.results[i]!;
    if ("values" in result) Object.assign(item.values, result.values);
    else item.detailErrors.push(`${need.pageType} ${need.request.url}: ${result.error}`);
  });
  return item;
}
