/** The jobs queue's message shapes (worker/queue/messages.ts): what is taken, and what is refused, naming why. */
import { describe, expect, test } from "bun:test";
import { parseMessage } from "../../worker/queue/messages.ts";

const webhook = { type: "webhook", job: 7, source: 3, sent_at: "2025-01-01T12:00:00.000Z", url: "https://hooks.example.com/x", body: '{"event":"job.finished"}' };

describe("parseMessage", () => {
  const taken: [string, unknown][] = [
    ["a job", { type: "job", job: 1 }],
    ["a step handed on", { type: "step", job: 1, step: 2, carried: "t" }],
    ["a send of the main pages", { type: "send", job: 1, parent: null, after: 0 }],
    ["a finish", { type: "finish", job: 1 }],
    ["a job's webhook", webhook],
    ["a webhook of a job whose source is gone", { ...webhook, source: null }],
  ];
  test.each(taken)("takes %s", (_name, body) => {
    expect(parseMessage(body)).toEqual({ ok: true, message: body as never });
  });

  const refused: [string, unknown, string][] = [
    ["a webhook without its body", { ...webhook, body: undefined }, "body: Invalid input: expected string, received undefined"],
    ["a webhook with an empty body", { ...webhook, body: "" }, "body: Too small: expected string to have >=1 characters"],
    ["a webhook whose sent_at is not a time", { ...webhook, sent_at: "yesterday" }, "sent_at: Invalid ISO datetime"],
    ["a webhook of job 0", { ...webhook, job: 0 }, "job: Too small: expected number to be >0"],
    ["a webhook with a field of another shape", { ...webhook, step: 2 }, `(message): Unrecognized key: "step"`],
    ["a webhook without its source", { ...webhook, source: undefined }, "source: Invalid input: expected number, received undefined"],
  ];
  test.each(refused)("refuses %s", (_name, body, error) => {
    expect(parseMessage(body)).toEqual({ ok: false, error });
  });
});
