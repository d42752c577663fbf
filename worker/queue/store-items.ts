/**
 * @module
 * Storing the items a step completed: the core's pipeline (`src/crawl/pipeline.ts`: mandatory values, unique key,
 * max_items_save, new items with their images and checker runtimes, changed values of known ones), in chunks that
 * fit the invocation's budget. Unique keys make a second delivery harmless: a stored item is found and not
 * stored again, and an image already in R2 is neither downloaded nor written again.
 *
 * Images cost several subrequests each (R2 looks, the download, R2 writes), and an image download that the
 * budget or a busy host cuts short must not pass for a broken image (the pipeline would store the item without
 * it). So the new items' images are downloaded first, outside the pipeline; if that is cut short, nothing of the
 * chunk is stored and the step is handed on with where it stopped; otherwise the pipeline finds every image
 * downloaded (or failed for a real reason) and makes no request of its own for them.
 */
import { identityAttrs, isEmpty, itemKey, mandatoryAttrs } from "../../src/crawl/identity.ts";
import { fillValuePlaceholders, type ReadItem } from "../../src/crawl/item.ts";
import { ItemPipeline } from "../../src/crawl/pipeline.ts";
import { claimImageDownloads, imageDownloadsDone } from "../../src/db/host-slots.ts";
import { knownItems } from "../../src/db/items.ts";
import { ImageDownloads } from "../../src/images/downloads.ts";
import { imageFileName, imageKeys } from "../../src/images/keys.ts";
import { emptyPipelineCounts, type PipelineCounts } from "../../src/model/job-stats.ts";
import { BudgetSpent } from "../budget.ts";
import { HostBusy } from "../politeness.ts";
import type { Invocation } from "./invocation.ts";
import { ack, type Outcome } from "./messages.ts";
import type { RunPlan } from "./plan.ts";
import { finishCrawl } from "./run-end.ts";
import { handOn, stepSignal, type Step } from "./step.ts";

/** Stores `items` (from where a handed-on message stopped), then ends the step. */
export async function storeItems(step: Step, items: readonly ReadItem[]): Promise<Outcome> {
  const { inv, plan, state, msg } = step;
  const { defs, options } = plan;
  for (const item of items) fillValuePlaceholders(item.values, defs.classBody, item.pageUrl);
  const counts: PipelineCounts = msg.resume ? structuredClone(msg.resume.counts) : emptyPipelineCounts();
  let done = msg.resume?.done ?? 0;
  const images = !options.dry_run && imageAttrs(plan).length > 0;
  const maxSave = options.max_items_save ?? defs.scraperBody.max_items_save ?? undefined;
  while (done < items.length) {
    // The chunk's own round trips (known items, the batch written, a look before the images), the step's end.
    const overhead = 2 + (images ? 2 : 0) + 1 + step.log.cost;
    // One item at least: its images are downloaded one by one, each only when it fits, so an item whose images
    // need more than one invocation gets them over several, and is stored once they are all there.
    const size = images ? Math.max(1, chunkSize(inv, plan, items.slice(done), inv.budget.left - overhead)) : items.length - done;
    if (!inv.budget.affords(overhead)) return handOn(step, 0, { done, counts });
    const chunk = items.slice(done, done + size);
    const controller = stepSignal(inv, step.token);
    const downloads = images ? new ImageDownloads({ fetcher: inv.fetcher, store: inv.store, settings: inv.settings.images, photon: async () => inv.photon }, controller.signal) : undefined;
    try {
      if (downloads) await downloadImages(step, chunk, downloads, controller.signal);
      const pipeline = new ItemPipeline(
        inv.database,
        { classId: defs.classId, classBody: defs.classBody, sourceId: defs.sourceId, scraperId: defs.scraperId, scraperBody: defs.scraperBody },
        {
          dryRun: options.dry_run,
          maxItemsSave: maxSave === undefined ? undefined : Math.max(0, maxSave - (step.claim.run?.savedSoFar ?? 0) - counts.saved),
          clock: inv.clock,
          log: step.log.log,
          checkersRunnable: defs.scraperStatus === "ACTIVE" && defs.scraperBody.checkers.length > 0,
          firstCheckMinutes: defs.classBody.checker_scheduler_conf.MIN_TIME,
          ...(downloads ? { images: downloads } : {}),
        },
      );
      for (const item of chunk) await pipeline.add(item);
      await pipeline.flush();
      addCounts(counts, pipeline.counts);
    } catch (e) {
      const reason = controller.signal.aborted ? controller.signal.reason : e;
      if (reason instanceof HostBusy || reason instanceof ImageBusy) return handOn(step, reason.waitMs, { done, counts });
      if (reason instanceof BudgetSpent) return handOn(step, 0, { done, counts });
      throw e;
    } finally {
      // The downloads the step claimed are given back with its next round trip.
      if (downloads) inv.gate.defer(imageDownloadsDone(step.token));
    }
    done += chunk.length;
  }
  if (!inv.budget.affords(1 + step.log.cost)) return handOn(step, 0, { done, counts });
  await step.log.flush();
  const end = await state.finish(counts);
  if (end.ended && end.pending === 0) await finishCrawl(inv, msg.job);
  return ack;
}

/** The files one image has in the store (the original and its thumbnails, by the format). */
function imageFiles(inv: Invocation): number {
  return imageKeys("0000000000000000000000000000000000000000.jpg", inv.settings.images).length;
}

/** What one image may take: R2 looks for each file, two host claims (one after the host's delay), the download, R2 writes. */
function imageCost(inv: Invocation): number {
  return 2 * imageFiles(inv) + 3;
}

function imageAttrs(plan: RunPlan) {
  return plan.defs.classBody.attrs.filter((a) => a.attr_type === "I" && a.save_to_db);
}

/**
 * How many of `items` fit in `room` subrequests, counting for each image URL not seen before in the chunk (items
 * often share a picture) what it may take: R2 looks for each of its files, a host claim (and a second one after
 * the host's delay), the download, an R2 write per file — and robots.txt for an origin this isolate has not read.
 */
function chunkSize(inv: Invocation, plan: RunPlan, items: readonly ReadItem[], room: number): number {
  const urls = new Set<string>();
  const origins = new Set<string>();
  let cost = 0;
  let size = 0;
  for (const item of items) {
    let more = 0;
    for (const attr of imageAttrs(plan)) {
      const value = item.values[attr.name];
      for (const url of typeof value === "string" ? [value] : Array.isArray(value) ? value : []) {
        if (urls.has(url)) continue;
        urls.add(url);
        more += imageCost(inv);
        const origin = URL.canParse(url) ? new URL(url).origin : "";
        if (!origins.has(origin) && !inv.gate.knowsRobots(origin)) more += 3;
        origins.add(origin);
      }
    }
    if (cost + more > room) break;
    cost += more;
    size++;
  }
  return size;
}

/** Another isolate is downloading an image the chunk needs: the step looks again once it is stored. */
class ImageBusy extends Error {
  readonly waitMs = 2_000;
  constructor(url: string) {
    super(`${url} is being downloaded by another invocation`);
    this.name = "ImageBusy";
  }
}

/**
 * Downloads the images of the chunk's new items, one at a time; throws only when cut short (budget, busy host, an
 * image another invocation is downloading). The downloads are claimed in the database first, so that two steps
 * needing one picture at the same moment (in two isolates) fetch it once.
 */
async function downloadImages(step: Step, chunk: readonly ReadItem[], downloads: ImageDownloads, signal: AbortSignal): Promise<void> {
  const { inv, plan } = step;
  const { classBody, classId, scraperBody } = plan.defs;
  const attrs = classBody.attrs;
  const identity = identityAttrs(attrs);
  const stored = attrs.filter((a) => a.attr_type !== "B" && a.save_to_db);
  const mandatory = mandatoryAttrs(attrs, scraperBody.elems);
  const keyed: { key: string; item: ReadItem }[] = [];
  for (const item of chunk) {
    if (mandatory.some((a) => isEmpty(item.values[a.name]))) continue;
    keyed.push({ key: itemKey(classId, identity, stored, item.values), item });
  }
  const known = await knownItems(inv.database, [...new Set(keyed.map((k) => k.key))]);
  const urls = new Set<string>();
  for (const { key, item } of keyed) {
    if (known.has(key)) continue;
    for (const attr of imageAttrs(plan)) {
      const value = item.values[attr.name];
      for (const url of typeof value === "string" ? [value] : Array.isArray(value) ? value : []) urls.add(url);
    }
  }
  if (urls.size === 0) return;
  const names = new Map(await Promise.all([...urls].map(async (url) => [url, await imageFileName(url)] as const)));
  const mine = await claimImageDownloads(inv.database, [...names.values()], step.token, inv.settings.fetch.timeoutMs + 30_000, inv.gate.takePending());
  for (const url of urls) {
    if (!mine.has(names.get(url)!)) throw new ImageBusy(url);
    // An image is started only when all of it fits: its looks, the download, its writes. The gate keeps its
    // writes' share while it claims the host.
    if (!inv.budget.affords(imageCost(inv))) throw new BudgetSpent("storage");
    inv.gate.reserve = imageFiles(inv);
    try {
      await downloads.get(url);
    } catch (e) {
      // A real failure (404, not an image…) is the pipeline's to report; being cut short is not.
      if (signal.aborted || e instanceof BudgetSpent || e instanceof HostBusy) throw e;
    } finally {
      inv.gate.reserve = 1;
    }
  }
}

function addCounts(into: PipelineCounts, add: PipelineCounts): void {
  for (const key of ["valid", "saved", "updated", "unchanged"] as const) into[key] += add[key];
  for (const [reason, n] of Object.entries(add.dropped)) into.dropped[reason] = (into.dropped[reason] ?? 0) + n;
}
