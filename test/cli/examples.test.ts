/**
 * The bundles of examples/: each one imports (nothing is fetched: the public practice sites are for users with
 * internet), and the news scraper reads a local site shaped like the news section of the shared benchmark site
 * (archive pages of `div.l_box` entries, article pages, a wiki's page for a missing article).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";
import { gradient, pixels, png } from "../images/encoders.ts";

const EXAMPLES = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"));

interface Entry {
  title: string;
  slug: string;
  date: string;
  published: string;
  thumbnail: boolean;
}

const ENTRIES: Entry[] = [
  { title: "Students restore climate study in Quito", slug: "Students_restore_climate_study_in_Quito", date: "Thursday, January 1, 2015", published: "Thursday, January 1, 2015", thumbnail: true },
  { title: "Hospital report on the river in Hanoi", slug: "Hospital_report_on_the_river_in_Hanoi", date: "Wednesday, December 31, 2014", published: "Wednesday, December 31, 2014", thumbnail: false },
  { title: "Council opens library in Lyon", slug: "Council_opens_library_in_Lyon", date: "Tuesday, December 30, 2014", published: "Tuesday, December 30, 2014", thumbnail: true },
  { title: "Rowers win cup in Perth", slug: "Rowers_win_cup_in_Perth", date: "Monday, December 29, 2014", published: "Monday, December 29, 2014", thumbnail: true },
];

function entry(e: Entry, host: string, i: number): string {
  return `<div class="l_box">
    <span class="l_title"><a href="/news/wiki/${e.slug}" title="${e.title}">${e.title}</a></span>
    <p class="l_date">${e.date}</p>
    <p class="l_desc">${e.title}. More to come.</p>${e.thumbnail ? `\n    <img class="l_thumb" src="//${host}/news/media/${i}.png" alt="${e.title}" width="48" height="48">` : ""}
</div>`;
}

function archive(host: string, entries: Entry[], next: number | undefined): string {
  const pager = next === undefined ? "" : `<a class="next" href="/news/archive/${next}">Older</a>`;
  return html(`<div id="mw-head"><h1 class="firstHeading"><a href="/news/index.html">Wikinews (synthetic)</a></h1></div>
<div id="mw-content-text">
${entries.map((e) => entry(e, host, ENTRIES.indexOf(e))).join("\n")}
</div>
<div class="pager">${pager}</div>`);
}

const site = startSite({});
afterAll(() => site.close());

describe("examples/", () => {
  test.each(EXAMPLES)("%s imports", async (file) => {
    const cwd = tempDir();
    const result = await runCli(["import", join(ROOT, "examples", file)], { cwd });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("scrapers: 1 created");
  });

  test("the quotes.toscrape.com and books.toscrape.com definitions point at the public sites", async () => {
    for (const [file, url] of [
      ["quotes-toscrape.json", "https://quotes.toscrape.com/page/1/"],
      ["books-toscrape.json", "https://books.toscrape.com/catalogue/page-1.html"],
    ]) {
      const bundle = (await Bun.file(join(ROOT, "examples", file!)).json()) as { sources: { url: string }[] };
      expect(bundle.sources.map((s) => s.url)).toEqual([url!]);
    }
  });

  test("news.json reads a wiki-style news site: archive pages followed, article pages for the publication date, thumbnails stored", async () => {
    const host = new URL(site.url).host;
    site.set("/news/archive/0", archive(host, ENTRIES.slice(0, 3), 10));
    site.set("/news/archive/10", archive(host, ENTRIES.slice(3), undefined));
    for (const e of ENTRIES) {
      site.set(`/news/wiki/${e.slug}`, html(`<h1 id="firstHeading" class="firstHeading">${e.title}</h1><div id="mw-content-text"><p><strong class="published">${e.published}</strong></p><p>Text.</p></div>`));
    }
    const picture = await png(8, 8, pixels(8, 8, gradient(8, 8)));
    for (const i of [0, 2, 3]) site.set(`/news/media/${i}.png`, { body: picture, type: "image/png" });

    const cwd = tempDir();
    const crawl = await runCli(["crawl", "news", "--bundle", join(ROOT, "examples/news.json"), "--url", `${site.url}/news/archive/0`, "--delay-ms", "0", "--ignore-robots"], { cwd });
    expect(crawl.stderr).toBe("");
    expect(crawl.code).toBe(0);
    expect(crawl.stdout).toContain("pages: 1 main, 1 follow, 4 detail, 0 not modified, 0 failed");
    const items = (await runCli(["items", "--format", "json"], { cwd })).stdout;
    const stored = (JSON.parse(items) as { url: string; data: Record<string, unknown>; images: string[] }[]).sort((a, b) => a.url.localeCompare(b.url));
    expect(stored.map((i) => [i.data.title, i.data.date, i.data.published, i.images.length])).toEqual([
      ["Council opens library in Lyon", "2014-12-30", "2014-12-30", 1],
      ["Hospital report on the river in Hanoi", "2014-12-31", "2014-12-31", 0],
      ["Rowers win cup in Perth", "2014-12-29", "2014-12-29", 1],
      ["Students restore climate study in Quito", "2015-01-01", "2015-01-01", 1],
    ]);
    expect(stored[0]!.url).toBe(`${site.url}/news/wiki/Council_opens_library_in_Lyon`);
    expect(stored[1]!.data.thumbnail).toBeNull();
  });
});
