import { verifyImages } from "../../src/images/verify.ts";
import { UsageError } from "../args.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "images",
  args: "verify",
  summary: "check the image store against the items: orphan files and missing files (--fix removes orphans)",
  details: "Exit 0 when the store and the items agree (after --fix), 1 when problems remain.",
  positionals: [1, 1],
  flags: {
    fix: { type: "bool", help: "delete the files no item references" },
  },
  async run(ctx) {
    if (ctx.positionals[0] !== "verify") throw new UsageError(`unknown images command '${ctx.positionals[0]}' (use 'dscraper images verify')`);
    const report = await verifyImages(await ctx.database(), ctx.blobStore(), ctx.flags.fix === true);
    ctx.printJson(report);
    ctx.print(`${report.files} files, ${report.references} references from items`);
    const orphansLeft = report.orphans.length - report.removed.length;
    if (report.orphans.length) {
      ctx.print(`${report.orphans.length} orphan file${report.orphans.length === 1 ? "" : "s"} (no item uses them)${report.removed.length ? `, removed` : "; --fix removes them"}:`);
      for (const key of report.orphans) ctx.print(`  ${key}`);
    }
    if (report.missing.length) {
      ctx.print(`${report.missing.length} missing file${report.missing.length === 1 ? "" : "s"} (items refer to them):`);
      for (const m of report.missing) ctx.print(`  ${m.key} (item ${m.item_id})`);
    }
    if (!report.orphans.length && !report.missing.length) ctx.print("the store and the items agree");
    return orphansLeft > 0 || report.missing.length > 0 ? 1 : 0;
  },
});
