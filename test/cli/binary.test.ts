/**
 * The compiled binary runs from any folder with no node_modules beside it: its libSQL native addon, its migrations
 * and its extraction threads' entry are inside it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../cli/build.ts";
import { VERSION } from "../../src/version.ts";
import { ROOT, runProcess } from "../support/cli.ts";
import { nextLinkBundle } from "../support/quotes-bundle.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

let binary: string;
let folder: string;

const site = startSite({});
afterAll(() => site.close());

beforeAll(async () => {
  const built = await build(join(tempDir(), "dscraper"));
  folder = tempDir("dscraper-bin-");
  binary = join(folder, "dscraper");
  copyFileSync(built, binary);
}, 180_000);

describe("the compiled binary", () => {
  test("--version works in an empty folder", async () => {
    expect(readdirSync(folder)).toEqual(["dscraper"]);
    const r = await runProcess([binary, "--version"], { cwd: folder });
    expect(r).toMatchObject({ code: 0, stdout: `dscraper ${VERSION}\n` });
  });

  test("import and export work there, on the default ./data/dscraper.db", async () => {
    const bundle = readFileSync(join(ROOT, "examples/quotes.json"), "utf8");
    const imported = await runProcess([binary, "import", "-"], { cwd: folder, stdin: bundle });
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    expect(existsSync(join(folder, "data/dscraper.db"))).toBe(true);
    expect(existsSync(join(folder, "node_modules"))).toBe(false);
    const exported = await runProcess([binary, "export"], { cwd: folder });
    expect(exported.code).toBe(0);
    const parsed = JSON.parse(exported.stdout);
    expect(parsed.classes[0].name).toBe("Quote");
    expect(parsed.sources[0].url).toBe(JSON.parse(bundle).sources[0].url);
  });

  test("a bad flag is one line on stderr and exit 2", async () => {
    const r = await runProcess([binary, "export", "--bogus"], { cwd: folder });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("dscraper: unknown flag --bogus for 'export' (see 'dscraper export --help')\n");
  });

  test("a crawl reads its pages on extraction threads; one over the time limit is stopped there, the run goes on", async () => {
    const quotes = (p: number, n: number) => Array.from({ length: n }, (_, i) => `<div class="q"><h2>${p}.${i}</h2><span>s</span><a href="/author/${i % 3}">by</a></div>`).join("");
    site.set("/page/1", html(`${quotes(1, 5)}<a class="next" href="/page/2">next</a>`));
    // Every q div counts, for every span, all the spans: with 2,000 of them, minutes of one core.
    site.set("/page/2", html(`<a class="next" href="/page/3">next</a>${quotes(2, 2000)}`));
    site.set("/page/3", html(quotes(3, 5)));
    for (let a = 0; a < 3; a++) site.set(`/author/${a}`, html(`<p class="born">${1900 + a}</p>`));
    const bundle = nextLinkBundle(
      { name: "quotes", url: `${site.url}/page/1` },
      [
        { name: "text", x_path: "h2/text()" },
        { name: "author", attr_type: "U", x_path: "a/@href", opens: "DP1" },
        { name: "born", x_path: "//p[@class='born']/text()", page_type: "DP1" },
      ],
      { base: "//div[@class='q'][count(//span[count(//span) > 0]) > 0]" },
    );
    const cwd = tempDir("dscraper-bin-crawl-");
    writeFileSync(join(cwd, "quotes.json"), JSON.stringify(bundle));
    const r = await runProcess([binary, "crawl", "quotes", "--bundle", "quotes.json", "--delay-ms", "0", "--ignore-robots", "--per-host", "4", "--extract-threads", "2", "--page-timeout-ms", "3000"], { cwd });
    expect(r.stdout).toContain("job 1 succeeded");
    expect(r.stdout).toContain("pages: 1 main, 1 follow, 3 detail, 0 not modified, 1 failed");
    expect(r.stdout).toContain("items: 10 read, 10 saved");
    expect(r.stdout).toContain("errors: 1 page_timeout");
    expect(r.stderr).toContain(`follow page ${site.url}/page/2: parsing and extraction took longer than the page time limit of 3000 ms (--page-timeout-ms)`);
    expect(r.code).toBe(0);
  }, 120_000);
});
