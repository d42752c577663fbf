import { bundleValue, importDefinitions, type ImportCounts } from "../../src/bundle/import.ts";
import { convertDdsFixture } from "../../src/bundle/dds.ts";
import { systemClock } from "../../src/ports.ts";
import { defineCommand } from "../command.ts";
import { bundleFile, readJsonFile } from "../input.ts";
import { collectAfterImportBatch } from "../memory.ts";

export default defineCommand({
  name: "import",
  args: "FILE",
  summary: "store a definitions bundle (all or nothing; '-' reads stdin)",
  details: "Definitions are upserted by name; items and runtimes are never touched. --from-dds reads a\ndjango-dynamic-scraper `dumpdata dynamic_scraper` fixture instead of a bundle.",
  positionals: [1, 1],
  flags: {
    "from-dds": { type: "bool", help: "FILE is a django-dynamic-scraper dumpdata fixture" },
  },
  async run(ctx) {
    const file = ctx.positionals[0]!;
    // A bundle is read a definition at a time (it may be huge); a DDS fixture is converted whole (they are small).
    const dds = ctx.flags["from-dds"] ? convertDdsFixture(readJsonFile(file)) : undefined;
    const database = await ctx.database();
    const report = await importDefinitions(database, dds ? bundleValue(dds.bundle) : bundleFile(file), systemClock, { onBatch: collectAfterImportBatch });
    ctx.printJson(dds ? { ...report, dds: dds.report } : report);
    const line = (what: string, c: ImportCounts) => `${what}: ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`;
    ctx.print(`imported ${file}`);
    ctx.print(`  ${line("classes", report.classes)}`);
    ctx.print(`  ${line("scrapers", report.scrapers)}`);
    ctx.print(`  ${line("sources", report.sources)}`);
    if (dds) {
      for (const warning of dds.report.warnings) ctx.note(`warning: ${warning}`);
      const orphans = dds.report.scrapersWithoutSource;
      if (orphans.length) {
        ctx.print(
          `${orphans.length} scraper${orphans.length === 1 ? " has" : "s have"} no source yet (DDS reference objects are not part of a dynamic_scraper fixture): ${orphans.join(", ")}`,
        );
        ctx.print(`  add sources to a bundle ({"sources": [{"name", "url", "scraper"}]}) and import it`);
      }
    }
  },
});
