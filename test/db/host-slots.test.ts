/**
 * Politeness shared through the database (what the Worker's isolates claim before each request), against a real
 * libSQL file and a real libSQL server over HTTP: lanes per host, the delay after a request, Retry-After pauses,
 * leases of holders that never come back, robots.txt answers kept until they expire, and image downloads claimed
 * by one holder at a time. Delays are long (a
 * minute) so that nothing depends on how fast the machine is: the answers are about which wait applies, not how
 * long anything took.
 */
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/connect.ts";
import {
  cachedRobots,
  claimHostSlot,
  claimImageDownloads,
  hostRelease,
  imageDownloadsDone,
  pruneHostState,
  runStatements,
  saveRobots,
  type HostClaim,
} from "../../src/db/host-slots.ts";
import { DATABASE_BACKENDS } from "../support/temp.ts";

const MINUTE = 60_000;
const claim = (database: Database, holder: string, over: Partial<HostClaim> = {}) =>
  claimHostSlot(database, { host: "x.test:80", lanes: 1, holder, delayMs: 0, leaseMs: MINUTE, ...over });

describe.each(DATABASE_BACKENDS)("host slots ($name)", ({ open }) => {
  test("one lane: a second holder finds the host busy until the first gives it back", async () => {
    const database = await open();
    expect(await claim(database, "a")).toEqual({ lane: 0 });
    expect(await claim(database, "b")).toMatchObject({ reason: "busy" });
    await runStatements(database, [hostRelease("x.test:80", "a", 0)]);
    expect(await claim(database, "b")).toEqual({ lane: 0 });
  });

  test("two lanes: two holders at once, a third waits; hosts do not share lanes", async () => {
    const database = await open();
    const results = [await claim(database, "a", { lanes: 2 }), await claim(database, "b", { lanes: 2 }), await claim(database, "c", { lanes: 2 })];
    expect(results).toEqual([{ lane: 0 }, { lane: 1 }, expect.objectContaining({ reason: "busy" })]);
    expect(await claim(database, "c", { host: "y.test:80" })).toEqual({ lane: 0 });
  });

  test("claims at the same moment from many holders: the lanes go to as many of them as there are lanes", async () => {
    const database = await open();
    await claim(database, "warm-up", { lanes: 2, leaseMs: 0 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(database, `h${i}`, { lanes: 2 })));
    expect(results.filter((r) => "lane" in r).map((r) => (r as { lane: number }).lane).sort()).toEqual([0, 1]);
  });

  test("the delay holds after a request's start and after its release, for every holder, the same one too", async () => {
    const database = await open();
    expect(await claim(database, "a", { delayMs: MINUTE })).toEqual({ lane: 0 });
    // The holder itself (its next request: a redirect, the page after robots.txt) waits for the delay as well.
    const again = await claim(database, "a", { delayMs: MINUTE });
    expect(again).toMatchObject({ reason: "delay" });
    expect((again as { waitMs: number }).waitMs).toBeGreaterThan(0);
    expect((again as { waitMs: number }).waitMs).toBeLessThanOrEqual(MINUTE);
    await runStatements(database, [hostRelease("x.test:80", "a", MINUTE)]);
    expect(await claim(database, "b", { delayMs: MINUTE })).toMatchObject({ reason: "delay" });
  });

  test("a Retry-After pause longer than the delay holds the host that long", async () => {
    const database = await open();
    await claim(database, "a");
    await runStatements(database, [hostRelease("x.test:80", "a", 0, 10 * MINUTE)]);
    const next = await claim(database, "b");
    expect(next).toMatchObject({ reason: "delay" });
    expect((next as { waitMs: number }).waitMs).toBeGreaterThan(MINUTE);
  });

  test("a holder that never gives its lane back loses it when its lease runs out", async () => {
    const database = await open();
    expect(await claim(database, "gone", { leaseMs: 0 })).toEqual({ lane: 0 });
    expect(await claim(database, "b")).toEqual({ lane: 0 });
    // A release by the holder that lost the lane does not free it from under the new one.
    await runStatements(database, [hostRelease("x.test:80", "gone", 0)]);
    expect(await claim(database, "c")).toMatchObject({ reason: "busy" });
  });

  test("releases sent along with a claim go first (a step's earlier request frees the lane for its next)", async () => {
    const database = await open();
    await claim(database, "a");
    expect(await claimHostSlot(database, { host: "x.test:80", lanes: 1, holder: "b", delayMs: 0, leaseMs: MINUTE }, [hostRelease("x.test:80", "a", 0)])).toEqual({ lane: 0 });
  });

  test("a claim can read robots.txt stored meanwhile, in the same round trip", async () => {
    const database = await open();
    const now = new Date();
    await runStatements(database, [saveRobots("http://x.test", { status: 404, location: null, body: "" }, new Date(now.getTime() + MINUTE))]);
    expect(await claimHostSlot(database, { host: "x.test:80", lanes: 1, holder: "a", delayMs: 0, leaseMs: MINUTE }, [], "http://x.test")).toEqual({
      lane: 0,
      robots: { status: 404, location: null, body: "" },
    });
  });

  test("an image is downloaded by one holder at a time; given back (or its lease out), it is the next one's", async () => {
    const database = await open();
    expect(await claimImageDownloads(database, ["a.jpg", "b.jpg"], "one", MINUTE)).toEqual(new Set(["a.jpg", "b.jpg"]));
    expect(await claimImageDownloads(database, ["b.jpg", "c.jpg"], "two", MINUTE)).toEqual(new Set(["c.jpg"]));
    // The holder asking again keeps what it holds.
    expect(await claimImageDownloads(database, ["a.jpg"], "one", MINUTE)).toEqual(new Set(["a.jpg"]));
    await runStatements(database, [imageDownloadsDone("one")]);
    expect(await claimImageDownloads(database, ["b.jpg"], "two", MINUTE)).toEqual(new Set(["b.jpg"]));
    await claimImageDownloads(database, ["d.jpg"], "gone", 0);
    expect(await claimImageDownloads(database, ["d.jpg"], "two", MINUTE)).toEqual(new Set(["d.jpg"]));
  });

  test("robots.txt answers are shared until they expire", async () => {
    const database = await open();
    const now = new Date();
    await runStatements(database, [saveRobots("http://x.test", { status: 200, location: null, body: "User-agent: *\nCrawl-delay: 2\n" }, new Date(now.getTime() + MINUTE))]);
    await runStatements(database, [saveRobots("http://old.test", { status: 301, location: "http://x.test/robots.txt", body: "" }, new Date(now.getTime() - 1))]);
    expect(await cachedRobots(database, "http://x.test", now)).toEqual({ status: 200, location: null, body: "User-agent: *\nCrawl-delay: 2\n" });
    expect(await cachedRobots(database, "http://old.test", now)).toBeUndefined();
    await pruneHostState(database, now);
    const left = await database.client.execute("SELECT origin FROM robots_cache");
    expect(left.rows.map((r) => r.origin)).toEqual(["http://x.test"]);
  });
});
