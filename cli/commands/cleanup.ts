import { cleanupItems } from "../../src/items/cleanup.ts";
import { systemClock } from "../../src/ports.ts";
import { UsageError } from "../args.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "cleanup",
  args: "",
  summary: "delete the items no crawl has seen for N days, with their images and runtimes (--days N)",
  details: "An item is seen when a crawl reads it, new or known, changed or not (a dry run sees nothing). --dry-run counts only.",
  positionals: [0, 0],
  flags: {
    days: { type: "int", min: 1, value: "N", help: "items not seen by a crawl for N days (required)" },
    source: { type: "string", value: "SOURCE", help: "only items of this source (id or name)" },
    "dry-run": { type: "bool", help: "count what would be deleted; delete nothing" },
  },
  async run(ctx) {
    const f = ctx.flags;
    if (f.days === undefined) throw new UsageError("'cleanup' needs --days N: the items no crawl has seen for N days are deleted");
    const database = await ctx.database();
    const report = await cleanupItems(database, ctx.blobStore(), { days: f.days, ...(f.source !== undefined ? { source: f.source } : {}), dry_run: f["dry-run"] === true }, systemClock.now());
    ctx.printJson(report);
    const verb = report.dry_run ? "would delete" : "deleted";
    ctx.print(`${verb} ${report.items} item(s) not seen since ${report.before}${report.source ? ` of source ${report.source}` : ""}: ${report.images} image file(s), ${report.runtimes} runtime(s)`);
  },
});
