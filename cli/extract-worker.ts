/**
 * One extraction thread (see cli/extract-workers.ts): it reads one page at a time with the core's `readPage`. It
 * says `ready` once loaded; then it gets a run's definitions (compiled here once, kept until the pool says the run
 * is over) and pages of that run, answering each with the follow links as soon as they are read and then the
 * page's output. Listed as an entry point in cli/build.ts, so the compiled binary carries it.
 */
import { pageReader, readPage, type PageOutput, type PageReader } from "../src/crawl/read-page.ts";
import type { FromThread, ToThread } from "./extract-workers.ts";
import { collectAfterThreadPage } from "./memory.ts";

declare const self: Worker;

/** By run key: the compiled reader, or why the definitions did not compile. */
const readers = new Map<number, PageReader | Error>();

const post = (message: FromThread) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToThread>) => {
  const message = event.data;
  if (message.kind === "definitions") {
    const { classBody, scraperBody, timeZone } = message.definitions;
    try {
      readers.set(message.key, pageReader({ classBody, scraperBody }, { timeZone, now: () => new Date() }));
    } catch (e) {
      readers.set(message.key, e instanceof Error ? e : new Error(String(e)));
    }
    return;
  }
  if (message.kind === "forget") {
    readers.delete(message.key);
    return;
  }
  const { id, input } = message;
  const reader = readers.get(message.key);
  let output: PageOutput;
  if (reader === undefined) output = broken(`extraction thread: no definitions for run ${message.key}`);
  else if (reader instanceof Error) output = broken(reader.message);
  else {
    try {
      output = readPage(reader, input, (links) => post({ kind: "links", id, links }));
    } catch (e) {
      output = broken(e instanceof Error ? e.message : String(e));
    }
  }
  post({ kind: "read", id, output });
  collectAfterThreadPage();
};

function broken(message: string): PageOutput {
  return { ok: false, error: { kind: "internal", message } };
}

post({ kind: "ready" });
