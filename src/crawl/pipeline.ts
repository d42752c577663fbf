/**
 * @module
 * Items through the pipeline (SPEC.md §4): mandatory check → identity (unique key) → max_items_save → known items
 * get their missing values filled in and their changed STANDARD_UPDATE values written (`known-item.ts`), an image
 * missing from the store fetched now; new items get their images (only now, once they are known to be stored) and
 * are saved with their checker runtime, in batched transactions. A dry run reads what is stored (to tell new from
 * known) but writes nothing and downloads no image. Every item read again moves its `last_seen_at` in the same
 * batch (the unchanged ones by one more statement), which `cleanup` reads.
 */
import type { Attr } from "../model/attr.ts";
import type { ScrapedClassBody } from "../model/scraped-class.ts";
import type { ScraperBody } from "../model/scraper.ts";
import type { LogLevel } from "../model/enums.ts";
import { emptyPipelineCounts, type PipelineCounts } from "../model/job-stats.ts";
import type { Clock } from "../ports.ts";
import type { Database } from "../db/connect.ts";
import { knownItems, saveItems, type ItemUpdate, type KnownItem, type NewItem } from "../db/items.ts";
import type { JobLease } from "../db/jobs.ts";
import { LeaseLostError } from "../errors.ts";
import { imageFailure, type ImageDownloads } from "../images/downloads.ts";
import { ImageStoreError } from "../images/errors.ts";
import type { ReadItem } from "./item.ts";
import { identityAttrs, isEmpty, itemKey, mandatoryAttrs } from "./identity.ts";
import { fills, mergeRead } from "./known-item.ts";

/** Where the items of a run go: the stored ids of class, source and scraper (null when nothing is stored). */
export interface PipelineTarget {
  classId: number | null;
  classBody: ScrapedClassBody;
  sourceId: number | null;
  scraperId: number | null;
  scraperBody: ScraperBody;
}

export interface PipelineOptions {
  dryRun: boolean;
  maxItemsSave: number | undefined;
  clock: Clock;
  log(level: LogLevel, message: string, refObject?: string): void;
  /** Every valid item of the run (new, updated or unchanged), as `crawl --out` writes it. */
  onRow?(row: Record<string, unknown>): void;
  /** Items per transaction at most. */
  batchSize?: number;
  /**
   * Write items as soon as they are read rather than when a batch is full: a write starts once the one before it
   * has ended and {@link COMMIT_INTERVAL_MS} after it started, with every item read meanwhile (group commit), so a
   * process killed mid-crawl loses at most the items being written and those read in the last interval. Off for the
   * Worker, whose steps write their items at once and count every round trip.
   */
  promptWrites?: boolean;
  /** The run's job: its writes are refused once the job is no longer the run's (its lease lost). */
  fence?: JobLease;
  /** Whether new items' checker runtimes can come due (their scraper is ACTIVE and has checkers). */
  checkersRunnable: boolean;
  /** First check of a new item, in minutes after it was saved (the class's checker MIN_TIME). */
  firstCheckMinutes: number;
  /** Where images go; absent in a dry run (image attrs then keep their URLs). */
  images?: ImageDownloads;
  /** The run's stop: a new item whose images were cut short by it is not stored (the next run stores it whole). */
  signal?: AbortSignal;
}

export type { PipelineCounts } from "../model/job-stats.ts";

/** An item on its way to the store: the store keys of the images it gains are known once they are stored. */
interface Pending extends NewItem {
  imageKeys: string[];
}

interface ImageAttr {
  attr: Attr;
  mandatory: boolean;
}

/**
 * The least time between the starts of two prompt writes. A commit costs about a millisecond and a half of the main
 * thread whatever its size (the WAL pages of the items, their indexes, counters and runtimes): a commit per page
 * took a quarter of the benchmark's follow crawl (1,000 pages in ~4 s), where writes of ~12 pages each cost little.
 * A polite crawl (a page a second per host) still writes each page on its own, at once.
 */
export const COMMIT_INTERVAL_MS = 50;

export class ItemPipeline {
  readonly counts: PipelineCounts = emptyPipelineCounts();
  private readonly seen = new Set<string>();
  private batch: Pending[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** A prompt write is due: the items read until it starts go with it. */
  private writeDue = false;
  /** When the last prompt write started (performance.now(): real time, whatever the run's clock says). */
  private lastWriteAt = -Infinity;
  /** Why a prompt write failed: the next item or flush fails with it. */
  private failure: unknown;
  /** The job is no longer the run's: nothing more is written (the run stops at its next heartbeat). */
  private fenced = false;

  /** Whether a write was refused because the job is no longer the run's (its lease lost). */
  get leaseLost(): boolean {
    return this.fenced;
  }
  private readonly mandatory: Attr[];
  private readonly stored: Attr[];
  private readonly identity: Attr[];
  private readonly imageAttrs: ImageAttr[];
  /** Image URLs the store failed to keep: the run's `image_store` errors. */
  private readonly storeFailures = new Set<string>();

  constructor(
    private readonly database: Database | undefined,
    private readonly target: PipelineTarget,
    private readonly options: PipelineOptions,
  ) {
    const attrs = target.classBody.attrs;
    const mandatory = new Set(target.scraperBody.elems.filter((e) => e.mandatory).map((e) => e.attr));
    this.mandatory = mandatoryAttrs(attrs, target.scraperBody.elems);
    this.stored = attrs.filter((a) => a.attr_type !== "B" && a.save_to_db);
    this.identity = identityAttrs(attrs);
    this.imageAttrs = attrs.filter((a) => a.attr_type === "I" && a.save_to_db).map((attr) => ({ attr, mandatory: mandatory.has(attr.name) }));
  }

  /** Errors of the run that the pipeline met, by kind (`image_store`), to count with the crawl's. */
  errors(): Record<string, number> {
    return this.storeFailures.size ? { image_store: this.storeFailures.size } : {};
  }

  /** Takes one read item; resolves once it is accepted (a full batch is written before the next is taken). */
  async add(item: ReadItem): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const missing = this.mandatory.find((a) => isEmpty(item.values[a.name]));
    if (missing) {
      const why = item.detailErrors.length ? ` (${item.detailErrors.join("; ")})` : "";
      this.drop(`missing mandatory ${missing.name}`, `item from ${item.pageUrl} dropped: mandatory ${missing.name} is empty${why}`, item.pageUrl);
      return;
    }
    const key = itemKey(this.target.classId, this.identity, this.stored, item.values);
    if (this.seen.has(key)) {
      this.drop("duplicate in this run", `item from ${item.pageUrl} dropped: read twice in this run`, item.pageUrl, "INFO");
      return;
    }
    this.seen.add(key);
    this.counts.valid++;
    const data: Record<string, unknown> = {};
    for (const a of this.stored) data[a.name] = item.values[a.name] ?? (a.many ? [] : null);
    const firstUrl = this.target.classBody.attrs.find((a) => a.attr_type === "U" && typeof item.values[a.name] === "string");
    this.batch.push({ key, data, url: firstUrl ? (item.values[firstUrl.name] as string) : null, imageKeys: [] });
    if (this.batch.length >= (this.options.batchSize ?? 200)) await this.flush();
    else if (this.options.promptWrites) this.writeSoon();
  }

  /** Writes what is waiting; call once after the last item. */
  async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // One flush at a time: batches are written in the order items were read (max_items_save counts in order).
    this.flushing = this.flushing.then(() => this.write(batch));
    await this.flushing;
  }

  /** Queues a write behind the one in flight, taking whatever was read by the time it starts. */
  private writeSoon(): void {
    if (this.writeDue) return;
    this.writeDue = true;
    const write = this.flushing
      // At least a turn later, so that the other items of the same page (added one by one, each awaited) join it.
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, this.lastWriteAt + COMMIT_INTERVAL_MS - performance.now()))))
      .then(() => {
        this.lastWriteAt = performance.now();
        this.writeDue = false;
        const batch = this.batch;
        this.batch = [];
        return this.write(batch);
      });
    this.flushing = write;
    write.catch((e: unknown) => (this.failure ??= e));
  }

  private drop(reason: string, message: string, ref: string, level: LogLevel = "WARNING"): void {
    this.counts.dropped[reason] = (this.counts.dropped[reason] ?? 0) + 1;
    this.options.log(level, message, ref);
  }

  private async write(batch: Pending[]): Promise<void> {
    if (batch.length === 0 || this.fenced) return;
    const known = this.database && this.target.classId !== null ? await knownItems(this.database, batch.map((p) => p.key)) : new Map<string, KnownItem>();
    const again: { item: Pending; existing: KnownItem }[] = [];
    const fresh: Pending[] = [];
    for (const item of batch) {
      const existing = known.get(item.key);
      if (existing) again.push({ item, existing });
      else fresh.push(item);
    }
    const { updates, seen } = await this.refresh(again);
    const saved = await this.admit(fresh);
    const { classId, sourceId, scraperId } = this.target;
    if (this.options.dryRun || !this.database || classId === null || sourceId === null) return;
    const now = this.options.clock.now();
    try {
      await saveItems(
        this.database,
        {
          classId,
          sourceId,
          updates,
          inserts: saved,
          seen,
          checkersRunnable: this.options.checkersRunnable,
          firstCheckAt: new Date(now.getTime() + this.options.firstCheckMinutes * 60_000),
          ...(this.counts.saved > 0 && scraperId !== null ? { savedBy: scraperId } : {}),
          ...(this.options.fence ? { fence: this.options.fence } : {}),
        },
        now,
      );
    } catch (e) {
      if (!(e instanceof LeaseLostError)) throw e;
      this.fenced = true;
      this.options.log("WARNING", `${batch.length} item(s) not written: ${e.message}`);
    }
  }

  /**
   * Known items: what this read adds to what is stored (`known-item.ts`: missing values filled in, changed `T`
   * values written), images missing from the store fetched now. `updated` when anything changed, else `unchanged`.
   */
  private async refresh(known: { item: Pending; existing: KnownItem }[]): Promise<{ updates: ItemUpdate[]; seen: number[] }> {
    const seen: number[] = [];
    const updates = await Promise.all(
      known.map(async ({ item, existing }): Promise<ItemUpdate | undefined> => {
        const stored = existing.data;
        const missing = this.imageAttrs.filter(({ attr }) => fills(stored[attr.name], item.data[attr.name]));
        // An image already stored is kept, and shown as stored (its file name), not as the URL read again.
        for (const { attr } of this.imageAttrs) if (!missing.some((m) => m.attr === attr) && attr.name in stored) item.data[attr.name] = stored[attr.name];
        await this.storeImages(item, missing, false);
        this.options.onRow?.(item.data);
        const { data, changed } = mergeRead(this.stored, stored, item.data);
        if (changed.length === 0) {
          this.counts.unchanged++;
          seen.push(existing.id);
          return undefined;
        }
        this.counts.updated++;
        return { id: existing.id, data, imageKeys: item.imageKeys };
      }),
    );
    return { updates: updates.filter((u) => u !== undefined), seen };
  }

  /**
   * The new items that will be saved, in read order: within max_items_save, and with their images stored (an item
   * whose mandatory image failed is dropped and does not count). Images are fetched only here, for items already
   * known to be stored, never for dropped ones.
   */
  private async admit(fresh: Pending[]): Promise<Pending[]> {
    const limit = this.options.maxItemsSave;
    const saved: Pending[] = [];
    // With a limit, items are decided one by one (a dropped one leaves its place to the next); without one, the
    // batch's images are fetched together and the fetcher keeps them polite.
    const decide = async (item: Pending) => {
      if (limit !== undefined && this.counts.saved >= limit) {
        this.drop("max_items_save reached", `item ${item.url ?? item.key} not saved: max_items_save (${limit}) reached`, item.url ?? "", "INFO");
        this.options.onRow?.(item.data);
        return;
      }
      if (!(await this.storeImages(item, this.imageAttrs, true))) return;
      this.counts.saved++;
      saved.push(item);
      this.options.onRow?.(item.data);
    };
    if (limit !== undefined) for (const item of fresh) await decide(item);
    else await Promise.all(fresh.map(decide));
    const admitted = new Set(saved);
    return fresh.filter((item) => admitted.has(item));
  }

  /**
   * Downloads and stores the item's images of `attrs`, putting file names in place of URLs (an image that failed
   * leaves no name: an optional value then is missing, and a later run fetches it). False when a new item is to be
   * dropped: a mandatory image failed, or the run stopped before its images were stored. A known item is never
   * dropped here: it is stored already, whatever this run could add to it.
   */
  private async storeImages(item: Pending, attrs: readonly ImageAttr[], isNew: boolean): Promise<boolean> {
    const images = this.options.images;
    if (!images) return true;
    const what = `item ${item.url ?? item.key}`;
    for (const { attr, mandatory } of attrs) {
      const value = item.data[attr.name];
      const urls = typeof value === "string" ? [value] : Array.isArray(value) ? (value as string[]) : [];
      const names: string[] = [];
      for (const url of urls) {
        try {
          const stored = await images.get(url);
          names.push(stored.fileName);
          item.imageKeys.push(...stored.keys);
        } catch (e) {
          if (this.options.signal?.aborted) {
            if (!isNew) continue;
            this.drop("cancelled before its images were stored", `${what} not saved: the run stopped before its image ${attr.name} (${url}) was stored`, url, "INFO");
            return false;
          }
          const reason = imageFailure(e);
          // The store's failure is the run's error (counted once per image); a bad image is the page's business.
          if (e instanceof ImageStoreError) this.storeFailures.add(url);
          if (mandatory && isNew) {
            this.drop(`image ${attr.name} failed`, `${what} dropped: mandatory image ${attr.name} (${url}) failed: ${reason}`, url, e instanceof ImageStoreError ? "ERROR" : "WARNING");
            return false;
          }
          this.options.log(e instanceof ImageStoreError ? "ERROR" : "WARNING", `${what}: image ${attr.name} (${url}) not stored: ${reason}`, url);
        }
      }
      item.data[attr.name] = attr.many ? names : (names[0] ?? null);
    }
    return true;
  }
}
