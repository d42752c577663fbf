/**
 * Keeps a long crawl's memory near its live data. JavaScriptCore sizes its heap for the machine's RAM and gives
 * memory back lazily, while a crawl leaves a parsed page's whole DOM behind every few milliseconds: on a 1,000-page
 * crawl the binary grew to ~165 MB for ~15 MB of live data. The pages are parsed on the extraction thread
 * (cli/extract-worker.ts), which collects its young garbage every {@link THREAD_EVERY_PAGES} pages and runs a full
 * collection only when its heap has grown by {@link THREAD_GROWTH_BYTES}; the crawl's own thread (fetches, writes)
 * does the same every {@link EVERY_PAGES} pages with {@link PAGES_GROWTH_BYTES}. A full collection costs ~20–30 ms
 * (it walks the whole live heap, the API's and drizzle's modules included) and a young one a fraction of that: a
 * full one every 25 pages on both threads spent ~1 s of the main thread's CPU on the quotes benchmark and took
 * 1.16× the wall time of the build before the thread; this policy, measured with bench/ab.sh in one run, takes
 * ~0.8× its wall time at the same peak RSS (a parsed DOM dies young, so the young collections free it).
 *
 * Images leave garbage of their own (a fetch's objects, the download, its JPEGs: ~10 KB each), and they go on
 * long after the last page when they lag behind the crawl, so converted images are counted too: every 50 of them,
 * a full collection runs if the heap (with its array buffers) has grown by 8 MiB since the last one. Measured on
 * bench/images.sh (500 pages, 10,000 images): ~10 collections more than the pages' 20, ~0.75 s of collection in
 * all (the items waiting for their images make each one dearer), peak RSS ~193 MiB instead of ~220 MiB. A 3 MiB
 * step cut the late peak by ~7 MiB more for ~0.4 s more of collection; the early peak (photon's optimising
 * compiler at work beside the crawl's own start) does not move either way.
 *
 * An export (`items`) parses and prints ~1 KB per item, all of it garbage at once: without collections 100,000
 * items grew the process by ~60–75 MiB over exporting 2,000. A full collection every 4 pages of 500 items keeps
 * the peak near ~110 MiB for 25,000, 100,000 or 200,000 items to stdout (~111–135 MiB to a file).
 */
const EVERY_PAGES = 25;
const PAGES_GROWTH_BYTES = 4 * 1024 * 1024;
const THREAD_EVERY_PAGES = 5;
const THREAD_GROWTH_BYTES = 2 * 1024 * 1024;
const CHECK_EVERY_IMAGES = 50;
const GROWTH_BYTES = 8 * 1024 * 1024;
const EVERY_EXPORT_PAGES = 4;

/** Heap and array buffers after the last full collection. */
let collected = 0;
let images = 0;

function used(): number {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

function collect(): void {
  Bun.gc(true);
  collected = used();
}

/** A young collection, or a full one when the heap grew by `growth` since the last full one. */
function collectYoung(growth: number): void {
  if (used() > collected + growth) collect();
  else Bun.gc(false);
}

export function collectEvery(pagesDone: number): void {
  if (pagesDone > 0 && pagesDone % EVERY_PAGES === 0) collectYoung(PAGES_GROWTH_BYTES);
}

/** An extraction thread has a heap (and this module) of its own, where the parsed pages are left behind. */
let threadPages = 0;
export function collectAfterThreadPage(): void {
  if (++threadPages % THREAD_EVERY_PAGES === 0) collectYoung(THREAD_GROWTH_BYTES);
}

/** Call once per image converted. */
export function collectAfterImages(): void {
  if (++images % CHECK_EVERY_IMAGES === 0 && used() > collected + GROWTH_BYTES) collect();
}

/** Call once per page of items exported. */
let exportPages = 0;
export function collectAfterExportPage(): void {
  if (++exportPages % EVERY_EXPORT_PAGES === 0) collect();
}

/**
 * Call after every few hundred definitions an import reads, and await it. Each definition is parsed and checked,
 * then dropped, and each batch of writes prepares statements whose native memory is only freed by finalizers that
 * run on a later turn of the event loop after a collection. Without this, importing 30,000 scrapers grew the
 * process by ~200 MB more than importing 2,000 (bench/import.ts). A young-generation collection per batch, and a
 * full one once the heap has grown by 16 MiB: a full one per batch made the import slower by a third and, while it
 * holds the write lock, made other writers wait about three times as long, for ~20 MB less.
 */
const IMPORT_GROWTH_BYTES = 16 * 1024 * 1024;

export async function collectAfterImportBatch(): Promise<void> {
  if (used() > collected + IMPORT_GROWTH_BYTES) collect();
  else Bun.gc(false);
  await new Promise((resolve) => setTimeout(resolve, 0));
}
