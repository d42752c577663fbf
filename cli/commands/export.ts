import { writeFileSync } from "node:fs";
import { bundleJson, exportBundle } from "../../src/bundle/export.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "export",
  args: "",
  summary: "print the stored definitions as a bundle (stdout, or --out FILE)",
  positionals: [0, 0],
  flags: {
    out: { type: "string", value: "FILE", help: "write the bundle to FILE instead of stdout" },
  },
  async run(ctx) {
    const text = bundleJson(await exportBundle(await ctx.database()));
    if (ctx.flags.out) {
      writeFileSync(ctx.flags.out, text);
      ctx.note(`wrote ${ctx.flags.out}`);
    } else ctx.write(text);
  },
});
