/**
 * The admin page over HTTP, on the binary's app (a real Bun.serve, a real database and queue): signing in and out,
 * the session cookie, the three CSRF layers, the security headers, the session on the API's reads, the image
 * route's keys, the open admin without a token, and cancelling a job from its page.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { importBundle } from "../../src/bundle/import.ts";
import { sourceWith } from "../../src/db/definition-pages.ts";
import { jobById } from "../../src/db/jobs.ts";
import { startApi, TEST_TOKEN, type ApiServer } from "../support/api.ts";
import { html, startSite } from "../support/site.ts";

const servers: ApiServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});
async function server(options: Parameters<typeof startApi>[0] = {}) {
  const s = await startApi(options);
  servers.push(s);
  return s;
}

/** A browser's cookie jar for one server, and its form posts (with the page's own Origin unless told). */
function visitor(api: ApiServer) {
  let cookie = "";
  const keep = (r: Response) => {
    const set = r.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0]!;
    return r;
  };
  return {
    get cookie() {
      return cookie;
    },
    get: async (path: string) => keep(await fetch(`${api.url}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} })),
    /** The form token of a page. */
    token: async (path = "/admin/sign-in") => {
      const r = keep(await fetch(`${api.url}${path}`, { headers: cookie ? { cookie } : {} }));
      return /name="_csrf" value="([^"]*)"/.exec(await r.text())?.[1] ?? "";
    },
    post: async (path: string, form: Record<string, string>, origin: string | null = api.url) =>
      keep(
        await fetch(`${api.url}${path}`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) },
          body: new URLSearchParams(form),
        }),
      ),
  };
}

async function signedIn(api: ApiServer) {
  const v = visitor(api);
  const r = await v.post("/admin/sign-in", { _csrf: await v.token(), token: TEST_TOKEN, next: "/admin/sources" });
  expect(r.status).toBe(303);
  expect(r.headers.get("location")).toBe("/admin/sources");
  return v;
}

describe("signing in", () => {
  test("pages redirect to the sign-in page, which sets a session cookie; the token signs in with a new session id", async () => {
    const api = await server();
    const v = visitor(api);
    const r = await v.get("/admin/items?class=1");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/admin/sign-in?next=%2Fadmin%2Fitems%3Fclass%3D1");
    const set = r.headers.get("set-cookie")!;
    expect(set).toContain("HttpOnly");
    expect(set).toContain("SameSite=Strict");
    expect(set).not.toContain("Secure");
    const anonymous = v.cookie;
    const wrong = await v.post("/admin/sign-in", { _csrf: await v.token(), token: "nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("That is not the API token.");
    const ok = await v.post("/admin/sign-in", { _csrf: await v.token(), token: TEST_TOKEN, next: "https://evil.example/" });
    expect(ok.headers.get("location")).toBe("/admin");
    expect(v.cookie).not.toBe(anonymous);
    expect((await v.get("/admin")).status).toBe(200);
    expect((await v.get("/")).headers.get("location")).toBe("/admin");
  });

  test("sign out ends the session: pages need signing in again", async () => {
    const api = await server();
    const v = await signedIn(api);
    const out = await v.post("/admin/sign-out", { _csrf: await v.token("/admin") });
    expect(out.headers.get("location")).toBe("/admin/sign-in");
    expect((await v.get("/admin")).status).toBe(303);
  });

  test("a cookie signed with another token is no session", async () => {
    const api = await server();
    const other = await server({ token: "another-token-987654321" });
    const v = await signedIn(api);
    const r = await fetch(`${other.url}/admin`, { redirect: "manual", headers: { cookie: v.cookie } });
    expect(r.status).toBe(303);
  });
});

describe("forms are protected three ways", () => {
  test("a POST without the form token, or with another session's, is refused (403) and changes nothing", async () => {
    const api = await server();
    const v = await signedIn(api);
    const other = await signedIn(api);
    const form = { name: "Evil", "attrs[0].name": "base", "attrs[0].attr_type": "B" };
    expect((await v.post("/admin/classes", form)).status).toBe(403);
    expect((await v.post("/admin/classes", { ...form, _csrf: await other.token("/admin") })).status).toBe(403);
    expect((await api.fetch("/api/classes").then((r) => r.json())) as { total: number }).toMatchObject({ total: 0 });
    const ok = await v.post("/admin/classes", { ...form, _csrf: await v.token("/admin") });
    expect(ok.status).toBe(303);
  });

  test("a form posted from another origin (another port of 127.0.0.1) is refused even with a valid token", async () => {
    const api = await server();
    const v = await signedIn(api);
    const token = await v.token("/admin");
    const r = await v.post("/admin/classes", { _csrf: token, name: "X", "attrs[0].name": "base", "attrs[0].attr_type": "B" }, "http://127.0.0.1:8080");
    expect(r.status).toBe(403);
  });
});

describe("headers and the API", () => {
  test("every admin page carries a CSP without inline scripts, framing refused, nosniff", async () => {
    const api = await server();
    const v = await signedIn(api);
    for (const path of ["/admin", "/admin/sign-in", "/admin/scrapers/new", "/admin/static/admin.js", "/admin/nowhere"]) {
      const r = await v.get(path);
      const csp = r.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const page = await (await v.get("/admin/scrapers/new")).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page).not.toMatch(/\sstyle=/);
    expect(page).not.toMatch(/\son[a-z]+=/);
  });

  test("a signed-in session reads the API (GET), but writes still need the bearer token", async () => {
    const api = await server();
    const v = await signedIn(api);
    const read = await fetch(`${api.url}/api/export`, { headers: { cookie: v.cookie } });
    expect(read.status).toBe(200);
    const write = await fetch(`${api.url}/api/classes`, { method: "POST", headers: { cookie: v.cookie, "content-type": "application/json" }, body: JSON.stringify({ name: "X", attrs: [] }) });
    expect(write.status).toBe(401);
    const anonymous = visitor(api);
    await anonymous.get("/admin/sign-in");
    expect((await fetch(`${api.url}/api/export`, { headers: { cookie: anonymous.cookie } })).status).toBe(401);
  });
});

describe("images", () => {
  test("served from the store as image/jpeg with nosniff; keys that are not the store's image names are refused", async () => {
    const api = await server();
    const v = await signedIn(api);
    const name = `${"a".repeat(40)}.jpg`;
    await api.images.put(name, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "image/jpeg");
    await api.images.put(`thumbs/small/${name}`, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), "image/jpeg");
    for (const key of [name, `thumbs/small/${name}`]) {
      const r = await v.get(`/admin/items/image/${key}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/jpeg");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
    }
    // (fetch itself resolves literal ../ before sending, so traversal reaches the server percent-encoded.)
    for (const key of ["..%2F..%2Fetc%2Fpasswd", `..%2F..%2F${name}`, `thumbs%2F..%2F${name}`, "x.jpg", `${name}.png`, `full/${name}x`, `thumbs/a%2Fb/${name}`]) {
      expect((await v.get(`/admin/items/image/${key}`)).status).toBe(404);
    }
    expect((await v.get(`/admin/items/image/${"b".repeat(40)}.jpg`)).status).toBe(404);
    expect((await fetch(`${api.url}/admin/items/image/${name}`, { redirect: "manual" })).status).toBe(303);
  });
});

describe("without a token (the binary on loopback)", () => {
  test("the admin is open and says so; forms still need their token", async () => {
    const api = await server({ token: null });
    const v = visitor(api);
    const r = await v.get("/admin");
    expect(r.status).toBe(200);
    const page = await r.text();
    expect(page).toContain("No API token is configured");
    expect(page).not.toContain("Sign out");
    expect(await (await v.get("/admin/sign-in")).text()).toContain("nothing to sign in to");
    expect((await v.post("/admin/classes", { name: "X" })).status).toBe(403);
  });
});

describe("jobs", () => {
  test("crawl now queues a job and leads to its page; cancel stops it; the live panel stops polling once it ended", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const site = startSite({
      "/slow/": async () => {
        await held;
        return new Response(html("<div class='q'><span>late</span></div>"), { headers: { "content-type": "text/html" } });
      },
    });
    try {
      const api = await server();
      await importBundle(
        api.database,
        {
          classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "text", attr_type: "S" }] }],
          scrapers: [{ name: "q", class: "Q", status: "ACTIVE", page_types: [{ page_type: "MP" }], elems: [{ attr: "base", x_path: "//div" }, { attr: "text", x_path: "span/text()" }] }],
          sources: [{ name: "slow", url: `${site.url}/slow/`, scraper: "q" }],
        },
        api.clock,
      );
      const id = (await sourceWith(api.database, { name: "slow" }))!.source.id;
      const v = await signedIn(api);
      const crawl = await v.post(`/admin/sources/${id}/crawl`, { _csrf: await v.token("/admin") });
      expect(crawl.status).toBe(303);
      const jobPath = crawl.headers.get("location")!;
      expect(jobPath).toMatch(/^\/admin\/jobs\/\d+$/);
      const jobId = Number(jobPath.split("/").pop());
      await waitFor(async () => (await jobById(api.database, jobId))?.status === "running");
      const live = await (await v.get(`${jobPath}/live`)).text();
      expect(live).toContain(`data-poll="${jobPath}/live"`);
      const again = await v.post(`/admin/sources/${id}/crawl`, { _csrf: await v.token("/admin") });
      expect(again.status).toBe(409);
      expect(await again.text()).toContain(String(jobId));
      const cancel = await v.post(`${jobPath}/cancel`, { _csrf: await v.token("/admin") });
      expect(cancel.headers.get("location")).toBe(`${jobPath}?done=cancelled`);
      release();
      await waitFor(async () => (await jobById(api.database, jobId))?.status === "cancelled");
      const ended = await (await v.get(`${jobPath}/live`)).text();
      expect(ended).not.toContain("data-poll");
      expect(ended).toContain('data-status="cancelled"');
    } finally {
      release();
      await site.close();
    }
  }, 120_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(50);
  }
}


describe("scrapers", () => {
  test("pause/activate, clone and the checker test from the scraper's page", async () => {
    const site = startSite({ "/gone": { status: 404, body: "gone" } });
    try {
      const api = await server();
      await importBundle(
        api.database,
        {
          classes: [{ name: "Q", attrs: [{ name: "base", attr_type: "B" }, { name: "url", attr_type: "U", id_field: true }] }],
          scrapers: [
            {
              name: "q",
              class: "Q",
              status: "ACTIVE",
              page_types: [{ page_type: "MP" }],
              elems: [{ attr: "base", x_path: "//div" }, { attr: "url", x_path: "a/@href" }],
              checkers: [{ attr: "url", checker_type: "404", checker_ref_url: `${site.url}/gone` }],
            },
          ],
        },
        api.clock,
      );
      const v = await signedIn(api);
      const paused = await v.post("/admin/scrapers/1/status", { _csrf: await v.token("/admin"), status: "PAUSED" });
      expect(paused.headers.get("location")).toBe("/admin/scrapers/1?done=status");
      expect(((await (await api.fetch("/api/scrapers/1")).json()) as { status: string }).status).toBe("PAUSED");
      expect((await v.post("/admin/scrapers/1/status", { _csrf: await v.token("/admin"), status: "BOGUS" })).status).toBe(400);
      const clone = await v.post("/admin/scrapers/1/clone", { _csrf: await v.token("/admin") });
      expect(clone.headers.get("location")).toBe("/admin/scrapers/2?done=cloned");
      const tested = await v.post("/admin/scrapers/1/checker-test", { _csrf: await v.token("/admin") });
      expect(tested.status).toBe(200);
      const page = await tested.text();
      expect(page).toContain('id="checker-test"');
      expect(page).toMatch(/<span class="pill OK">OK<\/span>/);
    } finally {
      await site.close();
    }
  });
});
