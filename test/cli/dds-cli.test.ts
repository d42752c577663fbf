/**
 * A django-dynamic-scraper user's first steps (issue 8's "done when"): a DDS fixture that completes protocol-relative
 * image URLs with `'pre_url': 'http:'` (as DDS's own docs do), paginates by POST with an empty
 * `pagination_append_str` ({page} only in the form data) and has a mandatory helper attr with `save_to_db: false`
 * is imported with `--from-dds` and crawled against a local site, images and all.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageFileName } from "../../src/images/keys.ts";
import { gradient, pixels, png } from "../images/encoders.ts";
import { ROOT, runCli } from "../support/cli.ts";
import { html, startSite } from "../support/site.ts";
import { tempDir } from "../support/temp.ts";

const FIXTURE = join(ROOT, "test/fixtures/dds/open-news.json");
const PICTURE = await png(40, 30, pixels(40, 30, gradient(40, 30)));

const site = startSite({});
afterAll(() => site.close());
const host = site.url.replace(/^http:/, "");

const article = (title: string, slug: string, author?: string) =>
  `<div class="article"><h2>${title}</h2><a class="more" href="/articles/${slug}.html">more</a><img src="${host}/img/${slug}.png">${author ? `<span class="author" data-slug="${author}"></span>` : ""}</div>`;
const sections: Record<string, string> = {
  news: html(article("Bridge opens", "bridge", "jane") + article("Festival programme", "festival")),
  sports: html(article("Cup final", "cup", "john")),
};
site.set("/news/", (_request, hit) => {
  const section = new URLSearchParams(hit.body).get("section") ?? "";
  return new Response(sections[section] ?? html("<p>no such section</p>"), { headers: { "content-type": "text/html" } });
});
for (const slug of ["bridge", "festival", "cup"]) {
  site.set(`/articles/${slug}.html`, html(`<div class="description">About ${slug}</div>`));
  site.set(`/img/${slug}.png`, { body: PICTURE, type: "image/png" });
}

const FAST = ["--delay-ms", "0", "--ignore-robots", "--per-host", "4"];

describe("a DDS fixture, imported and crawled", () => {
  test("import --from-dds keeps pre_url 'http:', the empty append string and the helper attr; the crawl reads every item", async () => {
    const cwd = tempDir();
    const imported = await runCli(["import", "--from-dds", FIXTURE], { cwd });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("scrapers: 1 created");

    const exported = JSON.parse((await runCli(["export"], { cwd })).stdout);
    const scraper = exported.scrapers[0];
    expect(scraper).toMatchObject({ pagination_type: "FREE_LIST", pagination_append_str: "", pagination_page_replace: "'news', 'sports'" });
    expect(scraper.elems.find((e: { attr: string }) => e.attr === "thumbnail")).toMatchObject({ processors: ["pre_url"], proc_ctxt: { pre_url: "http:" } });
    expect(scraper.page_types.map((p: { namespaces: object }) => p.namespaces)).toEqual([{}, {}]);
    expect(exported.classes[0].attrs.find((a: { name: string }) => a.name === "author_slug")).toMatchObject({ save_to_db: false });

    // DDS reference objects are not in the fixture: the user adds a source.
    writeFileSync(join(cwd, "sources.json"), JSON.stringify({ sources: [{ name: "news", url: `${site.url}/news/`, scraper: "Article Scraper" }] }));
    expect((await runCli(["import", "sources.json"], { cwd })).code).toBe(0);

    const crawl = await runCli(["crawl", "news", "--images", "images", ...FAST], { cwd });
    expect(crawl.code).toBe(0);
    expect(crawl.stdout).toContain("pages: 2 main, 0 follow, 3 detail, 0 not modified, 0 failed");
    expect(crawl.stdout).toContain("items: 3 read, 3 saved, 0 updated, 0 unchanged, 0 dropped");
    expect(site.hits.filter((h) => h.path === "/news/").map((h) => [h.method, h.body])).toEqual([
      ["POST", "section=news"],
      ["POST", "section=sports"],
    ]);

    const items = JSON.parse((await runCli(["items", "--json"], { cwd })).stdout);
    const expected = async (title: string, slug: string) => ({
      title,
      url: `${site.url}/articles/${slug}.html`,
      description: `About ${slug}`,
      thumbnail: await imageFileName(`${site.url}/img/${slug}.png`),
    });
    // Detail pages are read concurrently: the items' order in the database is the order they were read in.
    const byTitle = (a: { title: string }, b: { title: string }) => a.title.localeCompare(b.title);
    expect(items.map((i: { data: { title: string } }) => i.data).sort(byTitle)).toEqual(
      [await expected("Bridge opens", "bridge"), await expected("Festival programme", "festival"), await expected("Cup final", "cup")].sort(byTitle),
    );
    expect(readdirSync(join(cwd, "images")).sort()).toEqual(items.map((i: { data: { thumbnail: string } }) => i.data.thumbnail).sort());
  });
});
