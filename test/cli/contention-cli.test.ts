/**
 * Another writer on the database, as users meet it: real processes, a real database file, a real site. A second
 * process holds the write lock for longer than the old 5 s busy timeout while a crawl runs; a read-only database.
 * The holding time is driven by what the crawl says (it waits, and for how long by its own count), never by a
 * duration this test measures.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli, runProcess, type RunResult } from "../support/cli.ts";
import { startHolder } from "../support/db-holder.ts";
import { startServe } from "../support/serve.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

const PAGES = 6;
const PER_PAGE = 150;
/** Called when a page is requested, before it is answered. */
let onPage: (page: number) => Promise<void> = async () => {};

const site = startSite({});
for (let p = 1; p <= PAGES; p++) {
  site.set(`/list/${p}`, async () => {
    await onPage(p);
    const quotes = Array.from({ length: PER_PAGE }, (_, i) => `<div class="q"><span>quote ${p}-${i}</span></div>`).join("");
    return new Response(html(quotes), { headers: { "content-type": "text/html; charset=utf-8" } });
  });
}
afterAll(() => site.close());

function bundle(source = "quotes") {
  return {
    classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S", id_field: true }] }],
    scrapers: [
      {
        name: "q",
        class: "Q",
        status: "MANUAL",
        pagination_type: "RANGE_FUNCT",
        pagination_on_start: true,
        pagination_append_str: "/{page}",
        pagination_page_replace: `1, ${PAGES + 1}`,
        page_types: [{ page_type: "MP" }],
        elems: [
          { attr: "base", x_path: "//div[@class='q']" },
          { attr: "text", x_path: "span/text()" },
        ],
      },
    ],
    sources: [{ name: source, url: `${site.url}/list`, scraper: "q" }],
  };
}

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "1"];

async function query(dbPath: string, sql: string) {
  const client = createClient({ url: `file:${dbPath}` });
  try {
    return (await client.execute(sql)).rows;
  } finally {
    client.close();
  }
}

/** A CLI process whose stderr can be awaited line by line while it runs. */
function startCli(args: string[], cwd: string) {
  const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  let stderr = "";
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      for (const w of [...waiters]) {
        const line = stderr.split("\n").find((l) => w.pattern.test(l));
        if (line !== undefined) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  })();
  return {
    /** The first stderr line matching `pattern`; fails when the process ends without one. */
    line(pattern: RegExp): Promise<string> {
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
        proc.exited.then(async () => {
          await reading;
          const line = stderr.split("\n").find((l) => pattern.test(l));
          if (line === undefined) throw new Error(`the process ended (exit ${proc.exitCode}) without a line matching ${pattern}:\n${stderr}`);
          return line;
        }),
      ]);
    },
    async result(): Promise<RunResult> {
      const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      await reading;
      return { code, stdout, stderr };
    },
  };
}

describe("another writer holds the database", () => {
  test("a crawl waits through a lock held longer than the old 5 s busy timeout: every item arrives, once, and the job succeeds", async () => {
    const cwd = tempDir();
    const dbPath = join(cwd, "contended.db");
    writeFileSync(join(cwd, "bundle.json"), JSON.stringify(bundle()));
    expect((await runCli(["import", "bundle.json", "--db", `file:${dbPath}`], { cwd })).code).toBe(0);

    const holder = startHolder(dbPath);
    // Mid-crawl (the first pages' items are read, some already written), the other process takes the lock.
    let held = false;
    onPage = async (page) => {
      if (page === 3 && !held) {
        held = true;
        await holder.hold();
      }
    };
    try {
      const crawl = startCli(["crawl", "quotes", "--db", `file:${dbPath}`, ...FAST], cwd);
      await crawl.line(/is locked by another writer; waiting for it/);
      // Held until the crawl itself says it has waited 5 s or more (the old busy timeout, after which it failed).
      await crawl.line(/still locked by another writer \(waited ([5-9]|\d\d+) s/);
      await holder.release();
      const r = await crawl.result();
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("job 1 succeeded");
      expect(r.stdout).toContain(`items: ${PAGES * PER_PAGE} read, ${PAGES * PER_PAGE} saved, 0 updated, 0 unchanged, 0 dropped`);
      expect(r.stderr).not.toContain("Failed query");
    } finally {
      onPage = async () => {};
      await holder.stop();
    }
    expect(await query(dbPath, "SELECT count(*) AS n, count(DISTINCT unique_key) AS keys FROM items")).toEqual([{ n: PAGES * PER_PAGE, keys: PAGES * PER_PAGE }] as never);
    expect(await query(dbPath, "SELECT id, status, error FROM jobs")).toEqual([{ id: 1, status: "succeeded", error: null }] as never);
    expect(await query(dbPath, "SELECT count(*) AS n FROM holder_writes")).toEqual([{ n: 1 }] as never);
  }, 120_000);

  test("a lock held past the busy timeout: one line naming the cause and how long it waited, never the SQL", async () => {
    const cwd = tempDir();
    const dbPath = join(cwd, "stuck.db");
    writeFileSync(join(cwd, "bundle.json"), JSON.stringify(bundle()));
    expect((await runCli(["import", "bundle.json", "--db", `file:${dbPath}`], { cwd })).code).toBe(0);
    const holder = startHolder(dbPath);
    await holder.hold();
    try {
      writeFileSync(join(cwd, "more.json"), JSON.stringify(bundle("more quotes")));
      const r = await runCli(["import", "more.json", "--db", `file:${dbPath}`, "--busy-timeout-ms", "300"], { cwd });
      expect(r.code).toBe(1);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines.at(-1)).toMatch(new RegExp(`^dscraper: database ${dbPath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is locked by another writer \\(waited [\\d.]+ s\\)$`));
      expect(lines.slice(0, -1).every((l) => l.includes("locked by another writer; waiting for it"))).toBe(true);
      expect(r.stdout).toBe("");
    } finally {
      await holder.release();
      await holder.stop();
    }
    expect(await query(dbPath, "SELECT name FROM sources")).toEqual([{ name: "quotes" }] as never);
  });
});

/**
 * Root ignores file modes, so as root the commands run as the unprivileged user `nobody` (setpriv), who can read
 * the files but not write them; as any other user the modes alone make the database read-only.
 */
const UNPRIVILEGED = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

function asUnprivileged(args: string[], cwd: string): Promise<RunResult> {
  const cmd = [process.execPath, join(ROOT, "cli/main.ts"), ...args];
  if (process.getuid?.() !== 0) return runProcess(cmd, { cwd });
  return runProcess([...UNPRIVILEGED, ...cmd], { cwd, env: { HOME: cwd } });
}

describe("a read-only database", () => {
  for (const layout of ["with its -wal and -shm files", "checkpointed, without them"] as const) {
    test(`${layout}: import and crawl say so in one line, exit 1, and print no definition`, async () => {
      const cwd = tempDir();
      const dbPath = join(cwd, "ro.db");
      writeFileSync(join(cwd, "bundle.json"), JSON.stringify(bundle()));
      writeFileSync(join(cwd, "more.json"), JSON.stringify(bundle("more quotes")));
      expect((await runCli(["import", "bundle.json", "--db", `file:${dbPath}`], { cwd })).code).toBe(0);
      if (layout === "checkpointed, without them") {
        const client = createClient({ url: `file:${dbPath}` });
        await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        await client.execute("PRAGMA journal_mode = DELETE");
        client.close();
        expect(existsSync(`${dbPath}-wal`)).toBe(false);
      }
      for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f)) chmodSync(f, 0o444);
      chmodSync(cwd, 0o555);
      try {
        for (const args of [["import", "more.json"], ["crawl", "quotes", ...FAST]]) {
          const r = await asUnprivileged([...args, "--db", `file:${dbPath}`], cwd);
          expect(r.code).toBe(1);
          expect(r.stderr).toBe(`dscraper: database ${dbPath} is read-only (dscraper needs to write to it: check the permissions of the file and its folder)\n`);
          expect(r.stdout).not.toContain("{");
          expect(r.stdout).not.toContain("http://");
        }
      } finally {
        chmodSync(cwd, 0o755);
      }
      expect(await query(dbPath, "SELECT name FROM sources")).toEqual([{ name: "quotes" }] as never);
    });
  }

  test("serve on it answers reads, and a write through the API with a 503 naming the read-only database in one line", async () => {
    const cwd = tempDir();
    const dbPath = join(cwd, "ro.db");
    writeFileSync(join(cwd, "bundle.json"), JSON.stringify(bundle()));
    expect((await runCli(["import", "bundle.json", "--db", `file:${dbPath}`], { cwd })).code).toBe(0);
    for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f)) chmodSync(f, 0o444);
    chmodSync(cwd, 0o555);
    const root = process.getuid?.() === 0;
    try {
      const served = await startServe(cwd, ["--db", `file:${dbPath}`, "--no-scheduler"], root ? { HOME: cwd } : {}, "serve", root ? UNPRIVILEGED : []);
      try {
        const sources = await fetch(`${served.url}/api/sources`);
        expect(sources.status).toBe(200);
        expect(((await sources.json()) as { sources: { name: string }[] }).sources.map((s) => s.name)).toEqual(["quotes"]);
        const write = await fetch(`${served.url}/api/classes`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...bundle().classes[0], name: "Other" }) });
        expect(write.status).toBe(503);
        const text = await write.text();
        expect(text).not.toContain("INSERT");
        expect(JSON.parse(text)).toEqual({
          error: { code: "unavailable", message: `database ${dbPath} is read-only (dscraper needs to write to it: check the permissions of the file and its folder)`, issues: [] },
        });
      } finally {
        expect(await served.stop()).toBe(0);
      }
    } finally {
      chmodSync(cwd, 0o755);
    }
  });
});
