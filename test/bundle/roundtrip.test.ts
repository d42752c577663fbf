/** The bundle round trip as a user runs it, with a fixture that sets every field to a non-default value. */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli } from "../support/cli.ts";
import { tempDir } from "../support/temp.ts";

const FULL = join(ROOT, "test/fixtures/bundles/full.json");
const DDS = join(ROOT, "test/fixtures/dds/dumpdata.json");

describe("import / export round trip", () => {
  test("import(full); export equals the fixture, nothing lost", async () => {
    const cwd = tempDir();
    expect((await runCli(["import", FULL], { cwd })).code).toBe(0);
    const exported = await runCli(["export"], { cwd });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(JSON.parse(readFileSync(FULL, "utf8")));
  });

  test("export → import → export is byte-identical", async () => {
    const cwd = tempDir();
    await runCli(["import", FULL], { cwd });
    const first = await runCli(["export", "--out", "one.json"], { cwd });
    expect(first.code).toBe(0);
    const second = tempDir();
    expect((await runCli(["import", join(cwd, "one.json")], { cwd: second })).code).toBe(0);
    const again = await runCli(["export"], { cwd: second });
    expect(again.stdout).toBe(readFileSync(join(cwd, "one.json"), "utf8"));
  });

  test("definitions are kept as written: a bare-scheme pre_url context, a page type's namespaces", async () => {
    const cwd = tempDir();
    const bundle = {
      classes: [{ name: "Pic", attrs: [{ name: "base", attr_type: "B" }, { name: "image", attr_type: "I" }] }],
      scrapers: [
        {
          name: "pics",
          class: "Pic",
          page_types: [{ page_type: "MP", content_type: "XML", namespaces: { atom: "http://www.w3.org/2005/Atom", media: "http://search.yahoo.com/mrss/" } }],
          elems: [
            { attr: "base", x_path: "//atom:entry" },
            { attr: "image", x_path: "media:thumbnail/@url", processors: ["pre_url"], proc_ctxt: { pre_url: "http:" } },
          ],
        },
      ],
    };
    writeFileSync(join(cwd, "b.json"), JSON.stringify(bundle));
    const imported = await runCli(["import", "b.json"], { cwd });
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
    const exported = JSON.parse((await runCli(["export"], { cwd })).stdout);
    expect(exported.scrapers[0].elems[1].proc_ctxt).toEqual({ pre_url: "http:" });
    expect(exported.scrapers[0].page_types[0].namespaces).toEqual({ atom: "http://www.w3.org/2005/Atom", media: "http://search.yahoo.com/mrss/" });
    const again = tempDir();
    writeFileSync(join(again, "b.json"), JSON.stringify(exported));
    expect((await runCli(["import", "b.json"], { cwd: again })).code).toBe(0);
    expect(JSON.parse((await runCli(["export"], { cwd: again })).stdout)).toEqual(exported);
  });

  test("import --from-dds stores the converted definitions and says which scrapers have no source yet", async () => {
    const cwd = tempDir();
    const r = await runCli(["import", "--from-dds", DDS], { cwd });
    expect(r.stderr).not.toContain("    at ");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("classes: 2 created, 0 updated, 0 unchanged");
    expect(r.stdout).toContain("scrapers: 3 created, 0 updated, 0 unchanged");
    expect(r.stdout).toContain("3 scrapers have no source yet (DDS reference objects are not part of a dynamic_scraper fixture): Wikinews Scraper, Event API, Wikinews Follow");
    const json = await runCli(["import", "--from-dds", DDS, "--json"], { cwd });
    const report = JSON.parse(json.stdout);
    expect(report.scrapers).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(report.dds.scrapersWithoutSource).toHaveLength(3);
    expect(report.dds.runtimesSkipped).toBeGreaterThan(0);
    const exported = JSON.parse((await runCli(["export"], { cwd })).stdout);
    expect(exported.scrapers.map((s: { name: string }) => s.name)).toEqual(["Wikinews Scraper", "Event API", "Wikinews Follow"]);
  });

  test("a fixture that is not a DDS dump is refused at the row that is wrong", async () => {
    const cwd = tempDir();
    const r = await runCli(["import", "--from-dds", FULL], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("dscraper: invalid input");
  });
});
