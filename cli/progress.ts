/**
 * Crawl progress for people on stderr: a bar redrawn in place on a terminal, a plain line now and then otherwise,
 * and log records (JSON lines) printed above the bar.
 */
import type { CrawlProgress } from "../src/crawl/crawler.ts";
import type { LogRecord } from "../src/jobs/log.ts";
import { levelAtLeast } from "../src/jobs/log.ts";

export interface Progress {
  update(p: CrawlProgress): void;
  log(record: LogRecord): void;
  stop(): void;
}

export function progressReporter(options: { enabled: boolean; tty: boolean; write: (text: string) => void; now?: () => number }): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let last: CrawlProgress = { pagesDone: 0, pagesQueued: 0, items: 0, errors: 0 };
  let drawn = false;
  let lastLine = started;
  const line = () => {
    const secs = (now() - started) / 1000;
    const rate = secs > 0 ? last.pagesDone / secs : 0;
    return `pages ${last.pagesDone} done / ${last.pagesQueued} queued · items ${last.items} · errors ${last.errors} · ${rate.toFixed(1)} pages/s`;
  };
  const draw = () => {
    options.write(`\r\x1b[K${line()}`);
    drawn = true;
  };
  const timer = options.enabled && options.tty ? setInterval(draw, 200) : undefined;
  return {
    update(p) {
      last = p;
      if (options.enabled && !options.tty && now() - lastLine >= 5000) {
        lastLine = now();
        options.write(`${line()}\n`);
      }
    },
    log(record) {
      if (!options.enabled || !levelAtLeast(record.level, "WARNING")) return;
      options.write(`${drawn ? "\r\x1b[K" : ""}${JSON.stringify(record)}\n`);
      if (drawn) draw();
    },
    stop() {
      if (timer) clearInterval(timer);
      if (drawn) options.write(`\r\x1b[K${line()}\n`);
    },
  };
}
