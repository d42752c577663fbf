import { defineCommand } from "../command.ts";
import { SERVE_FLAGS, startService, stopSignals } from "../service.ts";

export default defineCommand({
  name: "serve",
  args: "",
  summary: "the HTTP API, the scheduler (a tick every minute) and a pool of job workers, until SIGINT or SIGTERM",
  details: [
    "Auth: DSCRAPER_API_TOKEN (Authorization: Bearer …) on every route but /api/health. Without a token the API is open",
    "and served on loopback only: --host other than 127.0.0.1, ::1 or localhost is refused (exit 2).",
    "Jobs live in the database: at start, the running jobs of a process that is gone are marked failed and the queued",
    "ones are taken up again. SIGINT or SIGTERM stops cleanly (running jobs end cancelled); a second one exits at once.",
    "Log lines (jobs, one per request, the service's own) go to stdout as JSON, or as text with --log-format pretty.",
    "With --notify, once a day (the first time at start) it also runs the checker tests of the ACTIVE scrapers and",
    "check-last-saves / check-last-deletes, and POSTs what fails to the webhook.",
  ].join("\n"),
  positionals: [0, 0],
  flags: SERVE_FLAGS,
  async run(ctx) {
    const signals = stopSignals();
    await signals.until(await startService(ctx));
  },
});
