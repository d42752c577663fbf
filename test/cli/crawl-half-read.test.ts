/**
 * Items are never stored half-read, and what a read missed arrives later (issue 10): real `dscraper crawl`
 * processes, a real site whose detail pages hang or fail until the test says otherwise, a real database file.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { importedProject, projectRows } from "../support/project.ts";
import { listPageBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";

const site = startSite({});
/** Detail pages held until the test releases them. */
const held: (() => void)[] = [];
let holding = true;
afterAll(async () => {
  holding = false;
  for (const release of held.splice(0)) release();
  await site.close();
});

/** Quotes on `list`, each linking to its author's page; the author page gives `born` (optional) and `bio` (a T). */
function bundle(list: string) {
  return listPageBundle({ name: "quotes", url: `${site.url}${list}` }, [
    { name: "text", x_path: "span/text()" },
    { name: "author", attr_type: "U", x_path: "a/@href", mandatory: false, opens: "DP1" },
    { name: "born", x_path: "//b[@class='born']/text()", page_type: "DP1", mandatory: false },
    { name: "bio", attr_type: "T", x_path: "//p[@class='bio']/text()", page_type: "DP1", mandatory: false },
  ]);
}

const author = (born: string, bio: string) => html(`<b class="born">${born}</b><p class="bio">${bio}</p>`);
const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4", "--no-cache"];

async function stored(cwd: string): Promise<Record<string, unknown>[]> {
  const rows = await projectRows(cwd, "SELECT data FROM items ORDER BY json_extract(data, '$.text')");
  return rows.map((r) => JSON.parse(String(r.data)) as Record<string, unknown>);
}

describe("Ctrl-C while detail pages load", () => {
  test("the items waiting for them are not stored (counted as dropped); the next crawl stores them whole", async () => {
    // Ann has no author page: she is complete as soon as the list is read. Bob's and Cy's author pages hang.
    site.set(
      "/hang/list",
      html(`<div class="q"><span>Ann says</span></div>${["Bob", "Cy"].map((name) => `<div class="q"><span>${name} says</span><a href="/hang/a/${name}">by</a></div>`).join("")}`),
    );
    for (const name of ["Bob", "Cy"]) {
      site.set(`/hang/a/${name}`, async () => {
        if (holding) await new Promise<void>((resolve) => held.push(resolve));
        return new Response(author("1950", `${name}'s life`), { headers: { "content-type": "text/html" } });
      });
    }
    const cwd = await importedProject(bundle("/hang/list"));
    const proc = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "crawl", "quotes", ...FAST], { cwd, stdout: "pipe", stderr: "pipe" });
    while (site.count("/hang/a/Bob") + site.count("/hang/a/Cy") < 2) await Bun.sleep(10);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(1);
    const stdout = await new Response(proc.stdout).text();
    expect(stdout).toContain("job 1 cancelled: cancelled (interrupted)");
    expect(stdout).toContain("items: 3 read, 1 saved, 0 updated, 0 unchanged, 2 cancelled before its detail pages were read");
    // Ann is stored; Bob and Cy are not stored at all (not with null where their author's values belong).
    expect(await stored(cwd)).toEqual([{ text: "Ann says", author: null, born: null, bio: null }]);

    holding = false;
    for (const release of held.splice(0)) release();
    const again = await runCli(["crawl", "quotes", ...FAST], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("items: 3 read, 2 saved, 0 updated, 1 unchanged, 0 dropped");
    expect(await stored(cwd)).toEqual([
      { text: "Ann says", author: null, born: null, bio: null },
      { text: "Bob says", author: `${site.url}/hang/a/Bob`, born: "1950", bio: "Bob's life" },
      { text: "Cy says", author: `${site.url}/hang/a/Cy`, born: "1950", bio: "Cy's life" },
    ]);
  });
});

describe("values missing from a stored item", () => {
  test("a detail page that failed for good (500) is read by the next crawl: its values are filled in, counted updated", async () => {
    site.set("/fail/list", html(`<div class="q"><span>Dee says</span><a href="/fail/a/Dee">by</a></div><div class="q"><span>Eve says</span><a href="/fail/a/Eve">by</a></div>`));
    site.set("/fail/a/Dee", { status: 500, body: "down" });
    site.set("/fail/a/Eve", author("1970", ""));
    const cwd = await importedProject(bundle("/fail/list"));
    const first = await runCli(["crawl", "quotes", ...FAST], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("items: 2 read, 2 saved, 0 updated, 0 unchanged, 0 dropped");
    expect(first.stdout).toContain("errors: 1 http_500");
    expect(await stored(cwd)).toEqual([
      { text: "Dee says", author: `${site.url}/fail/a/Dee`, born: null, bio: null },
      { text: "Eve says", author: `${site.url}/fail/a/Eve`, born: "1970", bio: null },
    ]);

    site.set("/fail/a/Dee", author("1960", "Dee's life"));
    site.set("/fail/a/Eve", author("", "Eve's life"));
    const second = await runCli(["crawl", "quotes", ...FAST], { cwd });
    expect(second.code).toBe(0);
    // Dee's S and T values arrive; Eve's missing T value arrives, and her stored `born` is not erased by an empty read.
    expect(second.stdout).toContain("items: 2 read, 0 saved, 2 updated, 0 unchanged, 0 dropped");
    expect(await stored(cwd)).toEqual([
      { text: "Dee says", author: `${site.url}/fail/a/Dee`, born: "1960", bio: "Dee's life" },
      { text: "Eve says", author: `${site.url}/fail/a/Eve`, born: "1970", bio: "Eve's life" },
    ]);

    const third = await runCli(["crawl", "quotes", ...FAST], { cwd });
    expect(third.stdout).toContain("items: 2 read, 0 saved, 0 updated, 2 unchanged, 0 dropped");
  });
});
