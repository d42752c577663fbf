/** The webhook notifier against a real local HTTP server. */
import { afterAll, describe, expect, test } from "bun:test";
import { webhookNotifier } from "../../src/check/webhook.ts";
import { UnavailableError, ValidationError } from "../../src/errors.ts";
import { VERSION } from "../../src/version.ts";
import { startSite } from "../support/site.ts";

const hook = startSite({
  "/hook": { status: 204 },
  "/accepted": { status: 202, body: "queued" },
  "/broken": { status: 500, body: "oops" },
  "/moved": { status: 302, headers: { location: "/hook" } },
  // Never answers: only the notifier's own time limit can end a request to it.
  "/slow": () => new Promise<Response>(() => {}),
});
const closed = startSite({});
const closedUrl = closed.url;
await closed.close();
afterAll(() => hook.close());

const alert = { type: "checker_tests", subject: "1 failing checker test", failures: [{ scraper: "q", attr: "author", result: "ERROR", detail: "no match" }] };

describe("webhookNotifier", () => {
  test("POSTs {type, subject, failures, sent_at} as JSON with dscraper's User-Agent", async () => {
    const at = new Date("2024-05-01T12:00:00Z");
    await webhookNotifier(`${hook.url}/hook`, undefined, { now: () => at }).notify(alert);
    const hit = hook.hits.findLast((h) => h.path === "/hook")!;
    expect(hit.method).toBe("POST");
    expect(hit.headers.get("content-type")).toBe("application/json");
    expect(hit.headers.get("user-agent")).toBe(`dscraper/${VERSION}`);
    expect(JSON.parse(hit.body)).toEqual({ ...alert, sent_at: "2024-05-01T12:00:00.000Z" });
  });

  test("any 2xx answer is a delivery", async () => {
    await webhookNotifier(`${hook.url}/accepted`).notify(alert);
    expect(hook.count("/accepted")).toBe(1);
  });

  test.each([
    ["a 500 answer", "/broken", /^webhook http:\/\/127\.0\.0\.1:\d+\/broken answered HTTP 500$/],
    ["a redirect (a POST turned GET would lose the alert)", "/moved", /answered HTTP 302 \(redirects are not followed: give the final URL\)$/],
  ])("%s → UnavailableError naming the URL and status", async (_, path, message) => {
    const error = await webhookNotifier(`${hook.url}${path}`)
      .notify(alert)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toMatch(message);
  });

  test("a host that refuses the connection → UnavailableError naming the URL", async () => {
    const error = await webhookNotifier(`${closedUrl}/hook`)
      .notify(alert)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toStartWith(`webhook ${closedUrl}/hook could not be reached: `);
  });

  test("a hook slower than the timeout → UnavailableError", async () => {
    const error = await webhookNotifier(`${hook.url}/slow`, undefined, { timeoutMs: 100 })
      .notify(alert)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toBe(`webhook ${hook.url}/slow: no answer within 100 ms`);
  });

  test("credentials and the query (where hooks keep their secret) stay out of error messages", async () => {
    const u = new URL(`${hook.url}/broken?token=s3cret`);
    u.username = "user";
    u.password = "pw";
    const error = (await webhookNotifier(u.href)
      .notify(alert)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(`webhook ${hook.url}/broken?… answered HTTP 500`);
  });

  test("the fetch function can be given (the Worker passes its own)", async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    await webhookNotifier("https://hooks.example/x", async (url, init) => {
      seen.push({ url, init });
      return new Response(null, { status: 200 });
    }).notify(alert);
    expect(seen.map((s) => [s.url, s.init.method])).toEqual([["https://hooks.example/x", "POST"]]);
  });

  test.each([
    ["not a URL", "hooks.example/x", /is not a valid URL/],
    ["another scheme", "ftp://hooks.example/x", /must be http:\/\/ or https:\/\/, not ftp:/],
    ["empty", "", /is not a valid URL/],
  ])("%s is refused up front with a ValidationError", (_, url, message) => {
    let error: unknown;
    try {
      webhookNotifier(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.message).toMatch(message);
  });
});
