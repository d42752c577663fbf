/**
 * `import` of a big bundle: `bun bench/import.ts [--scrapers=N] [--classes=N] [--before=REF] [--runs=N]`.
 *
 * Generates a bundle of N scrapers (default 30,000) with one source each, spread over a few classes, and imports it
 * with `dscraper import` into a fresh file database: the tree of this checkout, and with `--before=REF` also the
 * tree of that commit (extracted with `git archive`, sharing this checkout's node_modules), alternating. Prints,
 * per tree, the peak RSS of the import process, its wall time and the longest time it held the database's write
 * lock (a probe connection tries `BEGIN IMMEDIATE` every few ms meanwhile: that is how long a crawl writing next
 * to the import would wait), and the ratios of this tree to REF.
 *
 * Memory target: proportional to one definition, not to the bundle. Lock target: far below the busy timeout.
 */
import Database from "libsql";
import { execSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    scrapers: { type: "string", default: "30000" },
    classes: { type: "string", default: "10" },
    before: { type: "string" },
    runs: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
  },
});
const SCRAPERS = Number(args.scrapers);
const CLASSES = Number(args.classes);
const RUNS = Number(args.runs);
const ROOT = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "dscraper-bench-import-"));

/** A class like the quotes benchmark's, and scrapers of it with a detail page, pagination and a checker. */
function bundle(): object {
  const classes = Array.from({ length: CLASSES }, (_, c) => ({
    name: `class ${c}`,
    attrs: [
      { name: "base", attr_type: "B" },
      { name: "title", attr_type: "S", id_field: true },
      { name: "summary", attr_type: "T" },
      { name: "url", attr_type: "U" },
      { name: "author", attr_type: "S" },
      { name: "picture", attr_type: "I" },
    ],
  }));
  const scrapers = Array.from({ length: SCRAPERS }, (_, i) => ({
    name: `scraper ${i}`,
    class: `class ${i % CLASSES}`,
    status: i % 3 === 0 ? "ACTIVE" : "MANUAL",
    pagination_type: "RANGE_FUNCT",
    pagination_append_str: "/page/{page}/",
    pagination_page_replace: "1, 50",
    comments: `scraper number ${i} of the import benchmark`,
    page_types: [{ page_type: "MP" }, { page_type: "DP1", attr: "url", headers: { Accept: "text/html" } }],
    elems: [
      { attr: "base", x_path: "//div[@class='entry']" },
      { attr: "title", x_path: "h2/a/text()", processors: ["string_strip"] },
      { attr: "summary", x_path: "p[@class='summary']/text()", mandatory: false, reg_exp: "(?P<extract>[^.]+)\\." },
      { attr: "url", x_path: "h2/a/@href" },
      { attr: "author", x_path: "//span[@class='author']/text()", page_type: "DP1", processors: ["pre_string"], proc_ctxt: { pre_string: "by " } },
      { attr: "picture", x_path: "img/@src", mandatory: false },
    ],
    checkers: [{ attr: "url", checker_type: "404_OR_X_PATH", checker_x_path: "//h1[text()='Gone']" }],
  }));
  const sources = scrapers.map((s, i) => ({ name: `source ${i}`, url: `https://site${i}.example.org/news`, scraper: s.name }));
  return { classes, scrapers, sources };
}

/** The tree of REF, runnable with this checkout's node_modules. */
function treeOf(ref: string): string {
  const dir = join(work, `tree-${ref.replace(/[^\w.-]/g, "_")}`);
  mkdirSync(dir);
  execSync(`git -C ${JSON.stringify(ROOT)} archive ${JSON.stringify(ref)} | tar -x -C ${JSON.stringify(dir)}`);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Run {
  peakRss: number;
  wallMs: number;
  longestLockMs: number;
  code: number;
}

/** Polls the write lock of `dbPath` until stopped; the longest stretch it could not be taken. */
function lockProbe(dbPath: string): { stop(): number } {
  let db: Database.Database | undefined;
  let busySince: number | undefined;
  let longest = 0;
  const timer = setInterval(() => {
    try {
      db ??= new Database(dbPath, { timeout: 0 });
      db.exec("BEGIN IMMEDIATE");
      db.exec("ROLLBACK");
      if (busySince !== undefined) longest = Math.max(longest, performance.now() - busySince);
      busySince = undefined;
    } catch {
      // busy (or not created yet): a failed probe statement leaves the connection unusable, so take a new one
      db?.close();
      db = undefined;
      busySince ??= performance.now();
    }
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      db?.close();
      if (busySince !== undefined) longest = Math.max(longest, performance.now() - busySince);
      return longest;
    },
  };
}

async function importWith(tree: string, file: string, label: string, run: number): Promise<Run> {
  const dir = join(work, `db-${label}-${run}`);
  mkdirSync(dir);
  const dbPath = join(dir, "bench.db");
  // The database exists (migrated) before the import starts, as it would for a user's second import.
  const migrate = Bun.spawnSync([process.execPath, join(tree, "cli/main.ts"), "migrate", "--db", `file:${dbPath}`], { stdout: "ignore", stderr: "pipe" });
  if (migrate.exitCode !== 0) throw new Error(`${label}: migrate failed: ${migrate.stderr.toString()}`);
  const probe = lockProbe(dbPath);
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, join(tree, "cli/main.ts"), "import", file, "--db", `file:${dbPath}`], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const wallMs = performance.now() - started;
  const longestLockMs = probe.stop();
  if (code !== 0) throw new Error(`${label}: import failed (exit ${code}): ${stderr.slice(0, 2000)}`);
  if (!stdout.includes(`scrapers: ${SCRAPERS} created`)) throw new Error(`${label}: unexpected report: ${stdout}`);
  return { peakRss: proc.resourceUsage()?.maxRSS ?? Number.NaN, wallMs, longestLockMs, code };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const file = join(work, "bundle.json");
  writeFileSync(file, JSON.stringify(bundle()));
  console.log(`bundle: ${SCRAPERS} scrapers, ${SCRAPERS} sources, ${CLASSES} classes, ${mb(statSync(file).size)} of JSON`);
  const trees: [string, string][] = [];
  if (args.before) trees.push([`before (${args.before})`, treeOf(args.before)]);
  trees.push(["this tree", ROOT]);
  const results = new Map<string, Run[]>(trees.map(([label]) => [label, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [label, tree] of trees) results.get(label)!.push(await importWith(tree, file, label.replace(/\W+/g, "_"), run));
  }
  const rows = trees.map(([label]) => {
    const runs = results.get(label)!;
    return { label, rss: Math.max(...runs.map((r) => r.peakRss)), wall: median(runs.map((r) => r.wallMs)), lock: Math.max(...runs.map((r) => r.longestLockMs)) };
  });
  console.log(`${"".padEnd(28)}${"peak RSS".padStart(12)}${"wall".padStart(12)}${"longest lock".padStart(16)}`);
  for (const r of rows) console.log(`${r.label.padEnd(28)}${mb(r.rss).padStart(12)}${s(r.wall).padStart(12)}${s(r.lock).padStart(16)}`);
  if (rows.length === 2) {
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log(`${"ratio (this / before)".padEnd(28)}${(b.rss / a.rss).toFixed(2).padStart(12)}${(b.wall / a.wall).toFixed(2).padStart(12)}${(b.lock / a.lock).toFixed(2).padStart(16)}`);
  }
} finally {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
