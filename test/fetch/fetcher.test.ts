/**
 * The polite fetcher against real servers on 127.0.0.1 that misbehave on purpose. No test asserts how long
 * anything took: delays, backoffs and Retry-After run on a test clock (the times asserted are the clock's, at
 * which the fetcher started each request, and the sleeps it asked for), and limits are shown by holding requests
 * at a gate and counting what the fetcher started. Settings are shrunk (small backoff, no delay) unless a test is
 * about them.
 */
import { describe, expect, test } from "bun:test";
import { ValidationError } from "../../src/errors.ts";
import {
  AbortedError,
  FetchError,
  InvalidUrlError,
  NetworkError,
  RedirectError,
  RobotsDisallowedError,
  TimeoutError,
  TooLargeError,
} from "../../src/fetch/errors.ts";
import { DEFAULT_FETCH_SETTINGS, Fetcher, type FetchEvent, type FetchFn, type FetchSettings, type PageRequest, type PageResponse } from "../../src/fetch/fetcher.ts";
import { VERSION } from "../../src/version.ts";
import {
  gaps,
  gate,
  gatedFetch,
  settledFlag,
  testClock,
  tick,
  timedFetch,
  until,
} from "../support/test-clock.ts";
import {
  closedPort,
  endlessBody,
  gzipBomb,
  startMisbehavingServer,
  startRawHttpServer,
} from "../support/misbehaving-server.ts";

const MiB = 1024 * 1024;

function settings(over: Partial<FetchSettings> = {}): FetchSettings {
  return { ...DEFAULT_FETCH_SETTINGS, delayMs: 0, perHost: 16, backoffMs: 5, timeoutMs: 5000, ...over };
}

function get(url: string, more: Partial<PageRequest> = {}): PageRequest {
  return { method: "GET", url, ...more };
}

const text = (r: PageResponse) => new TextDecoder().decode(r.body);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

function redirect(location: string, status = 302): Response {
  return new Response(null, { status, headers: { location } });
}

function recorder(): { events: FetchEvent[]; onEvent: (e: FetchEvent) => void } {
  const events: FetchEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

describe("responses and retries", () => {
  test("a plain GET: body, headers, final URL, one attempt, a User-Agent naming dscraper and its version", async () => {
    const s = startMisbehavingServer({ "/page": () => new Response("<p>hi</p>", { headers: { "content-type": "text/html" } }) });
    const r = await new Fetcher(settings()).fetch(get(s.url("/page#top")));
    expect(r).toMatchObject({ url: s.url("/page"), status: 200, attempts: 1, redirects: 0 });
    expect(text(r)).toBe("<p>hi</p>");
    expect(r.headers.get("content-type")).toBe("text/html");
    expect(s.to("/page")[0]?.headers["user-agent"]).toBe(`dscraper/${VERSION}`);
    expect(s.to("/robots.txt")[0]?.headers["user-agent"]).toBe(`dscraper/${VERSION}`);
  });

  test("the request's own User-Agent wins, whatever its case", async () => {
    const s = startMisbehavingServer({ "/page": () => new Response("ok") });
    await new Fetcher(settings({ obeyRobots: false })).fetch(get(s.url("/page"), { headers: { "USER-AGENT": "mine/1" } }));
    expect(s.to("/page")[0]?.headers["user-agent"]).toBe("mine/1");
  });

  test("404 is a response, not retried", async () => {
    const s = startMisbehavingServer({});
    const r = await new Fetcher(settings()).fetch(get(s.url("/gone")));
    expect(r.status).toBe(404);
    expect(r.attempts).toBe(1);
    expect(s.to("/gone")).toHaveLength(1);
  });

  test("503 then 200: retried after a backoff", async () => {
    const s = startMisbehavingServer({ "/flaky": (_, { hit }) => new Response(hit === 1 ? "down" : "up", { status: hit === 1 ? 503 : 200 }) });
    const { events, onEvent } = recorder();
    const clock = testClock();
    const timed = timedFetch(clock);
    const fetcher = new Fetcher(settings({ backoffMs: 40 }), timed.fetchFn, { onEvent, random: () => 0.5, now: clock.now, sleep: clock.sleep });
    const r = await fetcher.fetch(get(s.url("/flaky")));
    expect([r.status, text(r), r.attempts]).toEqual([200, "up", 2]);
    expect(events.filter((e) => e.type === "retry")).toEqual([{ type: "retry", url: s.url("/flaky"), attempt: 1, waitMs: 40, reason: "HTTP 503" }]);
    // The backoff is the one sleep, and the second attempt starts when it is over.
    expect(clock.sleeps).toEqual([40]);
    expect(gaps(timed.starts("/flaky"))).toEqual([40]);
  });

  test("503 forever: the last 503 is returned after `attempts` attempts, the backoff doubling", async () => {
    const s = startMisbehavingServer({ "/down": () => new Response("still down", { status: 503 }) });
    const { events, onEvent } = recorder();
    const r = await new Fetcher(settings({ attempts: 3, backoffMs: 10 }), undefined, { onEvent, random: () => 0.5 }).fetch(get(s.url("/down")));
    expect([r.status, text(r), r.attempts]).toEqual([503, "still down", 3]);
    expect(s.to("/down")).toHaveLength(3);
    expect(events.flatMap((e) => (e.type === "retry" ? [e.waitMs] : []))).toEqual([10, 20]);
  });

  test("the backoff is jittered between half and one and a half times its base", async () => {
    const s = startMisbehavingServer({ "/down": () => new Response("", { status: 500 }) });
    const waits = async (random: number) => {
      const { events, onEvent } = recorder();
      await new Fetcher(settings({ attempts: 2, backoffMs: 20, obeyRobots: false }), undefined, { onEvent, random: () => random }).fetch(get(s.url("/down")));
      return events.flatMap((e) => (e.type === "retry" ? [e.waitMs] : []));
    };
    expect(await waits(0)).toEqual([10]);
    expect(await waits(0.999)).toEqual([30]);
  });

  test("429 with Retry-After: 1, then 200: waits that second", async () => {
    const s = startMisbehavingServer({
      "/busy": (_, { hit }) => (hit === 1 ? new Response("slow down", { status: 429, headers: { "retry-after": "1" } }) : new Response("ok")),
    });
    const { events, onEvent } = recorder();
    const clock = testClock();
    const timed = timedFetch(clock);
    const r = await new Fetcher(settings(), timed.fetchFn, { onEvent, now: clock.now, sleep: clock.sleep }).fetch(get(s.url("/busy")));
    expect([r.status, r.attempts]).toEqual([200, 2]);
    expect(clock.sleeps).toEqual([1000]);
    expect(gaps(timed.starts("/busy"))).toEqual([1000]);
    expect(events.filter((e) => e.type === "retry")).toEqual([{ type: "retry", url: s.url("/busy"), attempt: 1, waitMs: 1000, reason: "HTTP 429" }]);
  });

  test("Retry-After as an HTTP-date", async () => {
    const clock = testClock();
    const s = startMisbehavingServer({
      "/busy": (_, { hit }) =>
        hit > 1 ? new Response("ok") : new Response("", { status: 503, headers: { "retry-after": new Date(clock.now() + 2000).toUTCString() } }),
    });
    const { events, onEvent } = recorder();
    const timed = timedFetch(clock);
    const r = await new Fetcher(settings(), timed.fetchFn, { onEvent, now: clock.now, sleep: clock.sleep }).fetch(get(s.url("/busy")));
    expect(r.status).toBe(200);
    // The test clock stands on a whole second, so the date says exactly two seconds from the answer.
    expect(events.flatMap((e) => (e.type === "retry" ? [e.waitMs] : []))).toEqual([2000]);
    expect(gaps(timed.starts("/busy"))).toEqual([2000]);
  });

  test("Retry-After is capped by maxRetryAfterMs", async () => {
    const s = startMisbehavingServer({
      "/busy": (_, { hit }) => (hit === 1 ? new Response("", { status: 429, headers: { "retry-after": "120" } }) : new Response("ok")),
    });
    const clock = testClock();
    const timed = timedFetch(clock);
    const r = await new Fetcher(settings({ maxRetryAfterMs: 200 }), timed.fetchFn, { now: clock.now, sleep: clock.sleep }).fetch(get(s.url("/busy")));
    expect(r.status).toBe(200);
    expect(clock.sleeps).toEqual([200]);
    expect(gaps(timed.starts("/busy"))).toEqual([200]);
  });

  test("a Retry-After also holds back every later request to that host", async () => {
    const s = startMisbehavingServer({
      "/limited": (_, { hit }) => (hit === 1 ? new Response("", { status: 429, headers: { "retry-after": "1" } }) : new Response("ok")),
      "/other": () => new Response("other"),
    });
    const clock = testClock();
    const timed = timedFetch(clock);
    let other: Promise<PageResponse> | undefined;
    // /other is asked for the moment the 429 has been read, while the host's pause is on.
    const onEvent = (e: FetchEvent) => {
      if (e.type === "retry") other = fetcher.fetch(get(s.url("/other")));
    };
    const fetcher = new Fetcher(settings(), timed.fetchFn, { onEvent, now: clock.now, sleep: clock.sleep });
    expect((await fetcher.fetch(get(s.url("/limited")))).status).toBe(200);
    expect((await other)?.status).toBe(200);
    const [throttledAt = 0] = timed.starts("/limited");
    expect(timed.starts("/other")).toEqual([throttledAt + 1000]);
  });

  test("a network error (closed port) is retried, then a NetworkError", async () => {
    const url = `http://127.0.0.1:${closedPort()}/page`;
    const { events, onEvent } = recorder();
    const e = await rejection(new Fetcher(settings({ obeyRobots: false, attempts: 3 }), undefined, { onEvent }).fetch(get(url)));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e).toBeInstanceOf(FetchError);
    expect(e).toMatchObject({ kind: "network", url, attempts: 3, code: "fetch_failed" });
    expect(events.filter((x) => x.type === "request" && x.error !== undefined)).toHaveLength(3);
    expect(events.filter((x) => x.type === "retry")).toHaveLength(2);
  });

  test("…and with robots.txt obeyed, an unreachable host is still a NetworkError (robots.txt retried, page not tried)", async () => {
    const url = `http://127.0.0.1:${closedPort()}/page`;
    const { events, onEvent } = recorder();
    const e = await rejection(new Fetcher(settings({ attempts: 2 }), undefined, { onEvent }).fetch(get(url)));
    expect(e).toBeInstanceOf(NetworkError);
    expect((e as NetworkError).message).toContain("robots.txt could not be fetched");
    expect(events.filter((x) => x.type === "request").map((x) => x.url)).toEqual([
      url.replace("/page", "/robots.txt"),
      url.replace("/page", "/robots.txt"),
    ]);
    expect(events).toContainEqual({ type: "robots", host: new URL(url).host, status: 0 });
  });

  test("headers slower than timeoutMs: retried, then a TimeoutError", async () => {
    // The server never answers: only the fetcher's own time limit can end these attempts.
    const s = startMisbehavingServer({ "/slow": () => new Promise<Response>(() => {}) });
    const { events, onEvent } = recorder();
    const e = await rejection(new Fetcher(settings({ timeoutMs: 200, attempts: 2 }), undefined, { onEvent }).fetch(get(s.url("/slow"))));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e).toMatchObject({ kind: "timeout", attempts: 2, timeoutMs: 200 });
    expect(s.to("/slow")).toHaveLength(2);
    expect(events.flatMap((x) => (x.type === "request" && x.url === s.url("/slow") ? [x.error] : []))).toEqual(["timeout after 200 ms", "timeout after 200 ms"]);
  });

  test("a body slower than timeoutMs: the limit covers the body too", async () => {
    const s = startMisbehavingServer({
      "/trickle": () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              controller.enqueue(new TextEncoder().encode("a"));
              await Bun.sleep(100);
            },
          }),
        ),
    });
    // The body never ends: only the time limit, applied to the body too, can end these attempts.
    const e = await rejection(new Fetcher(settings({ timeoutMs: 300, attempts: 2 })).fetch(get(s.url("/trickle"))));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(s.to("/trickle")).toHaveLength(2);
  });

  test("a body that stops short of its Content-Length is a TimeoutError, not a hang", async () => {
    const raw = startRawHttpServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    const e = await rejection(new Fetcher(settings({ obeyRobots: false, timeoutMs: 200, attempts: 2 })).fetch(get(`${raw.origin}/short`)));
    expect(e).toBeInstanceOf(TimeoutError);
    expect(raw.connections()).toBe(2);
  });

  test("a URL that cannot be fetched is an InvalidUrlError, without a request", async () => {
    const fetcher = new Fetcher(settings());
    for (const url of ["mailto:someone@example.com", "not a url", "ftp://127.0.0.1/x"]) {
      const e = await rejection(fetcher.fetch(get(url)));
      expect(e).toBeInstanceOf(InvalidUrlError);
      expect(e).toMatchObject({ kind: "invalid_url", url });
    }
  });

  test("settings out of range are a ValidationError naming the setting", () => {
    expect(() => new Fetcher(settings({ concurrency: 0 }))).toThrow(ValidationError);
    let caught: unknown;
    try {
      new Fetcher(settings({ perHost: 1.5, timeoutMs: 0 }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).issues.map((i) => i.path)).toEqual(["perHost", "timeoutMs"]);
  });

  test("events report each attempt with its status and time", async () => {
    const s = startMisbehavingServer({ "/page": () => new Response("ok") });
    const { events, onEvent } = recorder();
    await new Fetcher(settings(), undefined, { onEvent }).fetch(get(s.url("/page")));
    expect(events.map((e) => e.type)).toEqual(["request", "robots", "request"]);
    expect(events[0]).toMatchObject({ type: "request", url: s.url("/robots.txt"), attempt: 1, status: 404 });
    expect(events[1]).toEqual({ type: "robots", host: `127.0.0.1:${s.port}`, status: 404 });
    expect(events[2]).toMatchObject({ type: "request", url: s.url("/page"), attempt: 1, status: 200 });
    expect(typeof (events[2] as { ms: number }).ms).toBe("number");
  });
});

describe("redirects", () => {
  const chain = (req: Request) => {
    const [, , last, n] = new URL(req.url).pathname.split("/").map(Number);
    return (n ?? 0) < (last ?? 0) ? redirect(`/chain/${last}/${(n ?? 0) + 1}`) : new Response(`end of ${last}`);
  };

  test("a chain of 10 is followed; the final URL and the count come back", async () => {
    const s = startMisbehavingServer({ "/chain/*": chain });
    const r = await new Fetcher(settings()).fetch(get(s.url("/chain/10/0")));
    expect([r.status, text(r), r.url, r.redirects]).toEqual([200, "end of 10", s.url("/chain/10/10"), 10]);
  });

  test("a chain of 11 is a RedirectError", async () => {
    const s = startMisbehavingServer({ "/chain/*": chain });
    const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/chain/11/0"))));
    expect(e).toBeInstanceOf(RedirectError);
    expect((e as Error).message).toContain("more than 10 redirects");
    expect(s.to("/chain/11/11")).toHaveLength(0);
  });

  test("a loop is a RedirectError as soon as it closes", async () => {
    const s = startMisbehavingServer({ "/a": () => redirect("/b"), "/b": () => redirect("/a"), "/self": () => redirect("/self", 301) });
    const fetcher = new Fetcher(settings());
    const e = await rejection(fetcher.fetch(get(s.url("/a"))));
    expect(e).toBeInstanceOf(RedirectError);
    expect((e as Error).message).toContain("loop");
    expect(s.to("/a")).toHaveLength(1);
    expect(await rejection(fetcher.fetch(get(s.url("/self"))))).toBeInstanceOf(RedirectError);
  });

  test.each([["file:///etc/passwd"], ["ftp://127.0.0.1/x"], ["javascript:alert(1)"], ["data:text/html,hi"]])(
    "a redirect to %s is a RedirectError",
    async (target) => {
      const s = startMisbehavingServer({ "/jump": () => redirect(target) });
      const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/jump"))));
      expect(e).toBeInstanceOf(RedirectError);
      expect(e).toMatchObject({ kind: "redirect", url: s.url("/jump") });
    },
  );

  test("a redirect without a Location is a RedirectError", async () => {
    const s = startMisbehavingServer({ "/nowhere": () => new Response(null, { status: 302 }) });
    const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/nowhere"))));
    expect(e).toBeInstanceOf(RedirectError);
    expect((e as Error).message).toContain("without a Location");
  });

  test.each([
    [301, "GET", ""],
    [302, "GET", ""],
    [303, "GET", ""],
    [307, "POST", "a=1&b=2"],
    [308, "POST", "a=1&b=2"],
  ])("a POST answered %i arrives as %s with body %j", async (status, method, body) => {
    const s = startMisbehavingServer({ "/form": () => redirect("/target", status), "/target": () => new Response("done") });
    const r = await new Fetcher(settings()).fetch({
      method: "POST",
      url: s.url("/form"),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=2",
    });
    expect(r.status).toBe(200);
    const arrived = s.to("/target")[0];
    expect(arrived?.method).toBe(method);
    expect(arrived?.body).toBe(body);
    expect(arrived?.headers["content-type"]).toBe(method === "POST" ? "application/x-www-form-urlencoded" : undefined);
    expect(s.to("/form")[0]?.body).toBe("a=1&b=2");
  });

  test("a POST body given as bytes is sent as such", async () => {
    const s = startMisbehavingServer({ "/bytes": () => new Response("ok") });
    await new Fetcher(settings()).fetch({ method: "POST", url: s.url("/bytes"), body: new TextEncoder().encode("raw bytes") });
    expect(s.to("/bytes")[0]?.body).toBe("raw bytes");
  });

  test("Cookie and Authorization reach a same-origin target but not another origin", async () => {
    const other = startMisbehavingServer({ "/echo": () => new Response("other") });
    const s = startMisbehavingServer({
      "/away": () => redirect(other.url("/echo")),
      "/here": () => redirect("/echo"),
      "/echo": () => new Response("here"),
    });
    const headers = { Cookie: "session=1", Authorization: "Bearer secret", "X-Custom": "kept" };
    const fetcher = new Fetcher(settings());
    await fetcher.fetch(get(s.url("/here"), { headers }));
    expect(s.to("/echo")[0]?.headers).toMatchObject({ cookie: "session=1", authorization: "Bearer secret", "x-custom": "kept" });
    const r = await fetcher.fetch(get(s.url("/away"), { headers }));
    expect(r.url).toBe(other.url("/echo"));
    const arrived = other.to("/echo")[0]?.headers ?? {};
    expect(arrived.cookie).toBeUndefined();
    expect(arrived.authorization).toBeUndefined();
    expect(arrived["x-custom"]).toBe("kept");
  });

  test("credentials in the URL become Basic auth for that origin only, and leave the URL", async () => {
    const other = startMisbehavingServer({ "/echo": () => new Response("other") });
    const s = startMisbehavingServer({ "/away": () => redirect(other.url("/echo")) });
    const url = s.url("/away").replace("http://", "http://user:p%40ss@");
    const r = await new Fetcher(settings()).fetch(get(url));
    expect(s.to("/away")[0]?.headers.authorization).toBe(`Basic ${btoa("user:p@ss")}`);
    expect(other.to("/echo")[0]?.headers.authorization).toBeUndefined();
    expect(r.url).toBe(other.url("/echo"));
  });

  test("every hop is checked against its own host's robots.txt", async () => {
    const other = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nDisallow: /private\n"), "/private": () => new Response("secret") });
    const s = startMisbehavingServer({ "/go": () => redirect(other.url("/private")) });
    const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/go"))));
    expect(e).toBeInstanceOf(RobotsDisallowedError);
    expect(e).toMatchObject({ url: other.url("/private") });
    expect(other.to("/private")).toHaveLength(0);
  });
});

describe("size limits", () => {
  test("a 50 MB page streamed without Content-Length is stopped at the cap", async () => {
    const body = endlessBody(50 * 1000 * 1000);
    const s = startMisbehavingServer({ "/huge": () => new Response(body.stream) });
    const e = await rejection(new Fetcher(settings({ maxBytes: MiB })).fetch(get(s.url("/huge"))));
    expect(e).toBeInstanceOf(TooLargeError);
    expect(e).toMatchObject({ kind: "too_large", limit: MiB });
    expect(s.to("/huge")).toHaveLength(1); // not retried
    await Bun.sleep(50);
    expect(body.pulled()).toBeLessThan(25 * 1000 * 1000); // the stream was cancelled, not drained
  });

  test("a gzip bomb is decoded only up to the cap: memory stays small and decoding stops", async () => {
    const decoded = 256 * MiB;
    const bomb = await gzipBomb(decoded);
    expect(bomb.byteLength).toBeLessThan(2 * MiB);
    const s = startMisbehavingServer({
      "/bomb": () => new Response(bomb, { headers: { "content-encoding": "gzip", "content-type": "text/html" } }),
    });
    // Counts the decoded bytes the fetcher pulls out of the response: decoding happens as they are pulled.
    let decodedRead = 0;
    const counting: FetchFn = async (input, init) => {
      const response = await fetch(input, init);
      if (response.body === null) return response;
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          decodedRead += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return new Response(response.body.pipeThrough(counter), { status: response.status, headers: response.headers });
    };
    Bun.gc(true);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 1);
    const e = await rejection(new Fetcher(settings({ maxBytes: MiB }), counting).fetch(get(s.url("/bomb"))));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(e).toBeInstanceOf(TooLargeError);
    expect((e as Error).message).toContain("after decoding");
    expect(peak - baseline).toBeLessThan(64 * MiB);
    // Of 256 MiB, about the cap was decoded: the rest of the stream was cancelled, not decoded and dropped.
    expect(decodedRead).toBeGreaterThan(MiB);
    expect(decodedRead).toBeLessThan(16 * MiB);
  });

  test("a Content-Length over the cap is refused before the body is read", async () => {
    // The server declares 50 MB, sends 3 bytes and stalls: reading the body would end in a timeout instead.
    const raw = startRawHttpServer("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 52428800\r\n\r\nabc");
    const e = await rejection(new Fetcher(settings({ obeyRobots: false, maxBytes: MiB, timeoutMs: 3000 })).fetch(get(`${raw.origin}/declared`)));
    expect(e).toBeInstanceOf(TooLargeError);
    expect((e as Error).message).toContain("Content-Length: 52428800");
    expect(raw.connections()).toBe(1);
  });

  test("a body of exactly the cap passes; a request's own maxBytes overrides the setting", async () => {
    const s = startMisbehavingServer({ "/1000": () => new Response("x".repeat(1000)), "/2000": () => new Response("x".repeat(2000)) });
    const fetcher = new Fetcher(settings({ maxBytes: 1000 }));
    expect((await fetcher.fetch(get(s.url("/1000")))).body.byteLength).toBe(1000);
    expect(await rejection(fetcher.fetch(get(s.url("/2000"))))).toBeInstanceOf(TooLargeError);
    expect((await fetcher.fetch(get(s.url("/2000"), { maxBytes: 5000 }))).body.byteLength).toBe(2000);
    expect(await rejection(fetcher.fetch(get(s.url("/1000"), { maxBytes: 999 })))).toBeInstanceOf(TooLargeError);
  });
});

describe("robots.txt", () => {
  test("a disallowed path is a RobotsDisallowedError and never requested; obeyRobots: false fetches it", async () => {
    const s = startMisbehavingServer({
      "/robots.txt": () => new Response("User-agent: *\nDisallow: /private\n"),
      "/private/page": () => new Response("secret"),
      "/public": () => new Response("public"),
    });
    const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/private/page"))));
    expect(e).toBeInstanceOf(RobotsDisallowedError);
    expect(e).toMatchObject({ kind: "robots", url: s.url("/private/page") });
    expect((e as Error).message).toContain(`${s.origin}/robots.txt`);
    expect(s.to("/private/page")).toHaveLength(0);
    expect((await new Fetcher(settings()).fetch(get(s.url("/public")))).status).toBe(200);

    const free = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nDisallow: /\n"), "/private/page": () => new Response("secret") });
    const r = await new Fetcher(settings({ obeyRobots: false })).fetch(get(free.url("/private/page")));
    expect(text(r)).toBe("secret");
    expect(free.to("/robots.txt")).toHaveLength(0);
  });

  test("the dscraper group wins over *, matched case-insensitively", async () => {
    const s = startMisbehavingServer({
      "/robots.txt": () => new Response("User-agent: *\nAllow: /\n\nUser-agent: DScraper\nDisallow: /\n"),
      "/page": () => new Response("page"),
    });
    expect(await rejection(new Fetcher(settings()).fetch(get(s.url("/page"))))).toBeInstanceOf(RobotsDisallowedError);
    const other = new Fetcher(settings({ userAgent: "otherbot/2.0" }));
    expect((await other.fetch(get(s.url("/page")))).status).toBe(200);
  });

  test("robots.txt answering 500 disallows the whole host, and the error says why", async () => {
    const s = startMisbehavingServer({ "/robots.txt": () => new Response("oops", { status: 500 }), "/page": () => new Response("page") });
    const fetcher = new Fetcher(settings({ attempts: 2 }));
    const e = await rejection(fetcher.fetch(get(s.url("/page"))));
    expect(e).toBeInstanceOf(RobotsDisallowedError);
    expect((e as Error).message).toContain("could not be fetched (HTTP 500)");
    expect((e as Error).message).toContain("RFC 9309");
    expect(s.to("/robots.txt")).toHaveLength(2); // retried like any 5xx
    expect(s.to("/page")).toHaveLength(0);
    expect(await fetcher.allowed(s.url("/anything"))).toBe(false);
  });

  test.each([
    [401, true],
    [403, true],
    [404, true],
    [410, true],
    [429, false],
    [500, false],
    [503, false],
  ])("robots.txt answering %i: allowed %p (RFC 9309 §2.3.1; 429 counts as a server error)", async (status, allowed) => {
    const s = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nDisallow: /\n", { status }) });
    expect(await new Fetcher(settings({ attempts: 1 })).allowed(s.url("/page"))).toBe(allowed);
  });

  test("robots.txt answering 404 allows everything", async () => {
    const s = startMisbehavingServer({ "/page": () => new Response("page") });
    const fetcher = new Fetcher(settings());
    expect(await fetcher.allowed(s.url("/page"))).toBe(true);
    expect((await fetcher.fetch(get(s.url("/page")))).status).toBe(200);
  });

  test("robots.txt is fetched once per host within the TTL, even by concurrent requests and other Fetchers", async () => {
    const s = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nDisallow: /no\n"), "/p/*": () => new Response("ok") });
    const fetcher = new Fetcher(settings());
    await Promise.all([1, 2, 3, 4, 5].map((n) => fetcher.fetch(get(s.url(`/p/${n}`)))));
    await fetcher.fetch(get(s.url("/p/6")));
    await new Fetcher(settings()).fetch(get(s.url("/p/7")));
    expect(s.to("/robots.txt")).toHaveLength(1);
    // …but the cache is per user agent: another agent may be given another answer.
    await new Fetcher(settings({ userAgent: "otherbot/1" })).fetch(get(s.url("/p/8")));
    expect(s.to("/robots.txt")).toHaveLength(2);
  });

  test("robots.txt is fetched again once the TTL has passed", async () => {
    const s = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nDisallow: /no\n"), "/p": () => new Response("ok") });
    let clock = 1_000_000;
    const fetcher = new Fetcher(settings({ robotsTtlMs: 60_000 }), undefined, { now: () => clock });
    await fetcher.fetch(get(s.url("/p")));
    clock += 59_999;
    await fetcher.fetch(get(s.url("/p")));
    expect(s.to("/robots.txt")).toHaveLength(1);
    clock += 2;
    await fetcher.fetch(get(s.url("/p")));
    expect(s.to("/robots.txt")).toHaveLength(2);
  });

  test("when a refresh of robots.txt fails, the copy already read is kept (RFC 9309 §2.4)", async () => {
    const s = startMisbehavingServer({
      "/robots.txt": (_, { hit }) => (hit === 1 ? new Response("User-agent: *\nDisallow: /no\n") : new Response("", { status: 503 })),
      "/*": () => new Response("ok"),
    });
    let clock = 1_000_000;
    const fetcher = new Fetcher(settings({ robotsTtlMs: 1000, attempts: 1 }), undefined, { now: () => clock });
    expect(await fetcher.allowed(s.url("/yes"))).toBe(true);
    clock += 5000;
    expect((await fetcher.fetch(get(s.url("/yes")))).status).toBe(200);
    expect(await fetcher.allowed(s.url("/no"))).toBe(false);
    expect(s.to("/robots.txt")).toHaveLength(2);
  });

  test("Crawl-delay: 0.5 spaces the requests to that host", async () => {
    const t = startMisbehavingServer({ "/robots.txt": () => new Response("User-agent: *\nCrawl-delay: 0.5\n"), "/p/*": () => new Response("ok") });
    const clock = testClock();
    const timed = timedFetch(clock);
    const fetcher = new Fetcher(settings({ delayMs: 0 }), timed.fetchFn, { now: clock.now, sleep: clock.sleep });
    await Promise.all([1, 2, 3].map((n) => fetcher.fetch(get(t.url(`/p/${n}`)))));
    const pages = timed.starts("/p/*");
    expect(pages).toHaveLength(3);
    // The first page waits out the delay after robots.txt itself, each next page after the one before.
    expect(pages[0]).toBe((timed.starts("/robots.txt")[0] ?? 0) + 500);
    expect(gaps(pages)).toEqual([500, 500]);
  });

  test("robots.txt redirects are followed, to another host too", async () => {
    const other = startMisbehavingServer({ "/rules.txt": () => new Response("User-agent: *\nDisallow: /secret\n") });
    const s = startMisbehavingServer({ "/robots.txt": () => redirect(other.url("/rules.txt"), 301), "/*": () => new Response("ok") });
    const fetcher = new Fetcher(settings());
    expect(await fetcher.allowed(s.url("/secret/x"))).toBe(false);
    expect(await fetcher.allowed(s.url("/open"))).toBe(true);
  });

  test("more than five robots.txt redirects count as no robots.txt (everything allowed)", async () => {
    const s = startMisbehavingServer({
      "/robots.txt": () => redirect("/r/1"),
      "/r/*": (req) => redirect(`/r/${Number(new URL(req.url).pathname.slice(3)) + 1}`),
    });
    expect(await new Fetcher(settings()).allowed(s.url("/page"))).toBe(true);
    expect(s.requests.filter((r) => r.path.startsWith("/r/"))).toHaveLength(5);
  });

  test("a robots.txt over 500 KiB is cut there", async () => {
    const filler = "# padding padding padding padding padding padding padding\n".repeat(Math.ceil((600 * 1024) / 58));
    const s = startMisbehavingServer({ "/robots.txt": () => new Response(`User-agent: *\nDisallow: /early\n${filler}Disallow: /late\n`) });
    const fetcher = new Fetcher(settings());
    expect(await fetcher.allowed(s.url("/early"))).toBe(false);
    expect(await fetcher.allowed(s.url("/late"))).toBe(true);
  });
});

describe("politeness", () => {
  test("the per-host delay spaces request starts to one host while two hosts run in parallel", async () => {
    const slowish = () => new Response("ok");
    const a = startMisbehavingServer({ "/*": slowish });
    const b = startMisbehavingServer({ "/*": slowish });
    const clock = testClock();
    const started: { origin: string; at: number }[] = [];
    const fetchFn: FetchFn = (input, init) => {
      started.push({ origin: new URL(input).origin, at: clock.now() });
      return fetch(input, init);
    };
    const fetcher = new Fetcher(settings({ obeyRobots: false, delayMs: 300, perHost: 1 }), fetchFn, { now: clock.now, sleep: clock.sleep });
    await Promise.all([1, 2, 3].flatMap((n) => [fetcher.fetch(get(a.url(`/${n}`))), fetcher.fetch(get(b.url(`/${n}`)))]));
    const startsTo = (origin: string) => started.filter((x) => x.origin === origin).map((x) => x.at);
    for (const s of [a, b]) {
      expect(s.requests).toHaveLength(3);
      for (const gap of gaps(startsTo(s.origin))) expect(gap).toBeGreaterThanOrEqual(300);
    }
    // In parallel: both hosts start at once, and no host ever waits longer than its own delay (one host after
    // the other would start the second host 900 ms in).
    expect(startsTo(b.origin)[0]).toBe(startsTo(a.origin)[0] ?? Number.NaN);
    expect(clock.sleeps.length).toBeGreaterThan(0);
    for (const ms of clock.sleeps) expect(ms).toBeLessThanOrEqual(300);
  });

  test("the global limit holds across hosts", async () => {
    const a = startMisbehavingServer({ "/*": () => new Response("ok") });
    const b = startMisbehavingServer({ "/*": () => new Response("ok") });
    const gated = gatedFetch();
    const fetcher = new Fetcher(settings({ obeyRobots: false, concurrency: 3, perHost: 16 }), gated.fetchFn);
    const all = Promise.all(Array.from({ length: 12 }, (_, n) => fetcher.fetch(get((n % 2 ? a : b).url(`/${n}`)))));
    await tick();
    expect(gated.calls).toHaveLength(3); // as many as the limit, started at once; the others wait
    gated.open();
    await all;
    expect(gated.most()).toBe(3);
    expect(a.requests.length + b.requests.length).toBe(12);
  });

  test("the per-host limit holds while hosts run side by side", async () => {
    const a = startMisbehavingServer({ "/*": () => new Response("ok") });
    const b = startMisbehavingServer({ "/*": () => new Response("ok") });
    const gated = gatedFetch();
    const fetcher = new Fetcher(settings({ obeyRobots: false, concurrency: 16, perHost: 2 }), gated.fetchFn);
    const all = Promise.all(Array.from({ length: 12 }, (_, n) => fetcher.fetch(get((n % 2 ? a : b).url(`/${n}`)))));
    await tick();
    expect([gated.mostTo(a.origin), gated.mostTo(b.origin)]).toEqual([2, 2]);
    gated.open();
    await all;
    expect([gated.mostTo(a.origin), gated.mostTo(b.origin)]).toEqual([2, 2]);
    expect(a.requests.length + b.requests.length).toBe(12);
  });

  test("waiting requests are served first in, first out", async () => {
    const s = startMisbehavingServer({ "/*": () => new Response("ok") });
    const fetcher = new Fetcher(settings({ concurrency: 1, perHost: 1 }));
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => fetcher.fetch(get(s.url(`/${n}`)))));
    expect(s.requests.map((r) => r.path)).toEqual(["/robots.txt", "/1", "/2", "/3", "/4", "/5", "/6"]);
  });

  test("with no delay and room to spare, requests do not wait for one another", async () => {
    const s = startMisbehavingServer({ "/*": () => new Response("ok") });
    const clock = testClock("hold");
    const gated = gatedFetch();
    const fetcher = new Fetcher(settings({ obeyRobots: false, concurrency: 16, perHost: 16 }), gated.fetchFn, { now: clock.now, sleep: clock.sleep });
    const all = Promise.all(Array.from({ length: 16 }, (_, n) => fetcher.fetch(get(s.url(`/${n}`)))));
    await tick();
    // All 16 are sent before any has an answer, and nothing waited for a timer.
    expect(gated.calls).toHaveLength(16);
    expect(clock.sleeps).toEqual([]);
    gated.open();
    expect((await all).map((r) => r.status)).toEqual(Array(16).fill(200));
  });
});

describe("cancellation", () => {
  /** A route that answers only when the test opens its gate. */
  const held = () => {
    const g = gate();
    return { ...g, route: () => g.promise.then(() => new Response("slow")) };
  };

  test("an already aborted signal: AbortError at once, no request", async () => {
    const s = startMisbehavingServer({});
    const e = await rejection(new Fetcher(settings()).fetch(get(s.url("/x")), AbortSignal.abort()));
    expect(e).toBeInstanceOf(AbortedError);
    expect(s.requests).toHaveLength(0);
  });

  test("a request waiting for its host's turn is cancelled without being sent", async () => {
    const slow = held();
    const s = startMisbehavingServer({ "/slow": slow.route, "/next": () => new Response("next") });
    const fetcher = new Fetcher(settings({ obeyRobots: false, perHost: 1 }));
    const first = fetcher.fetch(get(s.url("/slow")));
    const controller = new AbortController();
    const second = fetcher.fetch(get(s.url("/next")), controller.signal);
    const outcome = settledFlag(second);
    await until(() => s.to("/slow").length === 1);
    controller.abort(new Error("Ctrl-C"));
    await tick();
    // Over while /slow is still held: the abort did not wait for the host's turn.
    expect(outcome.settled).toBe(true);
    const e = await rejection(second);
    expect(e).toBeInstanceOf(AbortedError);
    expect(e).toMatchObject({ name: "AbortError", kind: "aborted" });
    expect((e as Error).cause).toEqual(new Error("Ctrl-C"));
    slow.open();
    expect((await first).status).toBe(200);
    // The queue moved on: the host still serves the next request.
    expect((await fetcher.fetch(get(s.url("/next")))).status).toBe(200);
    expect(s.to("/next")).toHaveLength(1);
  });

  test("a request waiting for a global slot is cancelled and the queue moves on", async () => {
    const slow = held();
    const a = startMisbehavingServer({ "/slow": slow.route });
    const b = startMisbehavingServer({ "/x": () => new Response("x") });
    const fetcher = new Fetcher(settings({ obeyRobots: false, concurrency: 1 }));
    const first = fetcher.fetch(get(a.url("/slow")));
    const controller = new AbortController();
    const waiting = fetcher.fetch(get(b.url("/x")), controller.signal);
    const outcome = settledFlag(waiting);
    const after = fetcher.fetch(get(b.url("/x")));
    await until(() => a.to("/slow").length === 1);
    controller.abort();
    await tick();
    expect(outcome.settled).toBe(true);
    expect(await rejection(waiting)).toBeInstanceOf(AbortedError);
    expect(b.to("/x")).toHaveLength(0);
    slow.open();
    expect((await first).status).toBe(200);
    expect((await after).status).toBe(200);
    expect(b.to("/x")).toHaveLength(1);
  });

  test("a request waiting out the per-host delay is cancelled at once", async () => {
    const s = startMisbehavingServer({ "/*": () => new Response("ok") });
    // On this clock the delay never passes: only the abort can end the wait.
    const clock = testClock("hold");
    const fetcher = new Fetcher(settings({ obeyRobots: false, delayMs: 5000, perHost: 1 }), undefined, { now: clock.now, sleep: clock.sleep });
    await fetcher.fetch(get(s.url("/1")));
    const controller = new AbortController();
    const second = fetcher.fetch(get(s.url("/2")), controller.signal);
    await clock.sleeping();
    expect(clock.sleeps).toEqual([5000]);
    controller.abort();
    const e = await rejection(second);
    expect(e).toBeInstanceOf(AbortedError);
    expect(s.requests).toHaveLength(1);
  });

  test("a request in flight is cancelled", async () => {
    const slow = held();
    const s = startMisbehavingServer({ "/slow": slow.route });
    const controller = new AbortController();
    const inFlight = new Fetcher(settings({ obeyRobots: false })).fetch(get(s.url("/slow")), controller.signal);
    await until(() => s.to("/slow").length === 1);
    controller.abort();
    // The server has not answered (its gate is shut): only the abort can end the request.
    expect(await rejection(inFlight)).toBeInstanceOf(AbortedError);
    slow.open();
  });

  test("a request waiting between attempts is cancelled, and so is one waiting for robots.txt", async () => {
    const robots = held();
    const s = startMisbehavingServer({
      "/down": () => new Response("", { status: 503 }),
      "/robots.txt": robots.route,
    });
    const clock = testClock("hold");
    const backingOff = new AbortController();
    const retrying = new Fetcher(settings({ obeyRobots: false, backoffMs: 5000 }), undefined, { now: clock.now, sleep: clock.sleep, random: () => 0.5 }).fetch(
      get(s.url("/down")),
      backingOff.signal,
    );
    await clock.sleeping();
    expect(clock.sleeps).toEqual([5000]);
    backingOff.abort();
    expect(await rejection(retrying)).toBeInstanceOf(AbortedError);
    expect(s.to("/down")).toHaveLength(1);

    const onRobots = new AbortController();
    const waiting = new Fetcher(settings()).fetch(get(s.url("/down")), onRobots.signal);
    await until(() => s.to("/robots.txt").length === 1);
    onRobots.abort();
    expect(await rejection(waiting)).toBeInstanceOf(AbortedError);
    expect(s.to("/down")).toHaveLength(1);
    robots.open();
  });
});
