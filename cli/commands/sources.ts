import { sourcesWithRuntimes } from "../../src/db/definitions.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "sources",
  args: "",
  summary: "list the sources with their scrapers and runtimes",
  positionals: [0, 0],
  flags: {},
  async run(ctx) {
    const rows = await sourcesWithRuntimes(await ctx.database());
    ctx.printJson(
      rows.map(({ source, scraper, runtime }) => ({
        id: source.id,
        name: source.name,
        url: source.url,
        urls: source.urls,
        scraper,
        scraper_id: source.scraper_id,
        active: source.active,
        created_at: source.created_at.toISOString(),
        updated_at: source.updated_at.toISOString(),
        runtime: runtime && {
          next_action_time: runtime.next_action_time.toISOString(),
          next_action_factor: runtime.next_action_factor,
          num_zero_actions: runtime.num_zero_actions,
        },
      })),
    );
    if (rows.length === 0) ctx.print("no sources (import a bundle with 'dscraper import FILE')");
    for (const { source, scraper, status, runtime } of rows) {
      const next = runtime ? `next run ${runtime.next_action_time.toISOString()} (factor ${runtime.next_action_factor ?? "-"}, ${runtime.num_zero_actions} empty runs)` : "no runtime";
      ctx.print(`${source.id}  ${source.name}  scraper ${scraper} (${status})${source.active ? "" : " inactive"}  ${next}`);
    }
  },
});
