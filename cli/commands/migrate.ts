import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "migrate",
  args: "",
  summary: "apply the database migrations to --db",
  positionals: [0, 0],
  flags: {},
  async run(ctx) {
    const applied = await ctx.database().then((d) => d.applied);
    ctx.printJson({ applied });
    ctx.print(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
  },
});
