/** The API described: /api/openapi.json from the routes' zod schemas, /api/docs rendered from it, /api/schema.json. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bundleJsonSchema } from "../../src/model/json-schema.ts";
import { startApi, type ApiServer } from "../support/api.ts";

let api: ApiServer;
beforeAll(async () => {
  api = await startApi({ settings: { rateLimit: 0 } });
});
afterAll(() => api.close());

type Doc = { openapi: string; info: { title: string; version: string }; security: unknown; paths: Record<string, Record<string, { security?: unknown; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>> };

describe("GET /api/openapi.json", () => {
  let doc: Doc;
  beforeAll(async () => {
    const response = await api.fetch("/api/openapi.json");
    expect(response.status).toBe(200);
    doc = (await response.json()) as Doc;
  });

  test("OpenAPI 3.1 with every route of this API, bearer auth on all but health", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("dscraper");
    expect(doc.security).toEqual([{ bearer: [] }]);
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes).toEqual(
      expect.arrayContaining([
        "GET /api/health",
        "GET /api/classes",
        "POST /api/classes",
        "GET /api/classes/{id}",
        "PUT /api/classes/{id}",
        "DELETE /api/classes/{id}",
        "POST /api/scrapers/{id}/clone",
        "POST /api/scrapers/{id}/checker-test",
        "GET /api/sources/{id}",
        "GET /api/items",
        "GET /api/items/export",
        "DELETE /api/items/{id}",
        "GET /api/logs",
        "POST /api/log-markers",
        "DELETE /api/log-markers/{id}",
        "GET /api/stats",
        "POST /api/import",
        "GET /api/export",
        "GET /api/schema.json",
        "GET /api/openapi.json",
        "GET /api/docs",
      ]),
    );
    expect(doc.paths["/api/health"]!.get!.security).toEqual([]);
  });

  test("bodies and parameters come from the same zod schemas as the bundle (a name's pattern has no regex flags in it)", () => {
    type Patterned = { allOf?: { pattern?: string }[] };
    const body = doc.paths["/api/scrapers"]!.post!.requestBody!.content["application/json"]!.schema as { properties: Record<string, Patterned>; required: string[] };
    const bundleScraper = (bundleJsonSchema() as { properties: { scrapers: { items: { properties: Record<string, Patterned> } } } }).properties.scrapers.items;
    const patterns = body.properties.name!.allOf!.map((p) => p.pattern);
    expect(patterns).toEqual(bundleScraper.properties.name!.allOf!.map((p) => p.pattern));
    // No flags after a closing slash (`…$/s`): each pattern is the expression alone, as JSON Schema wants it.
    expect(patterns).toEqual(["^(?:\\S(?:.*\\S)?)?$", "^(?:(?![\\p{Cc}\\p{Zl}\\p{Zp}\\p{Bidi_Control}\\p{Cs}]).)*$"]);
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(bundleScraper.properties).sort());
    expect(body.required).toEqual(expect.arrayContaining(["name", "class", "page_types", "elems"]));
    expect(doc.paths["/api/items"]!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(["query:page", "query:per_page", "query:class", "query:source", "query:q"]);
    expect(doc.paths["/api/items/{id}"]!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(["path:id"]);
  });

  test("validation errors are documented in the error shape", () => {
    const schema = doc.paths["/api/classes"]!.post!.responses["400"]!.content!["application/json"]!.schema as { properties: { error: { properties: Record<string, unknown> } } };
    expect(Object.keys(schema.properties.error.properties)).toEqual(["code", "message", "issues"]);
  });
});

describe("GET /api/docs", () => {
  test("an HTML reference of every route, with no script and no outside request, under a strict CSP", async () => {
    const response = await api.fetch("/api/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    const html = await response.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<style|style=|\son\w+=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const op of ["POST</b> <code>/api/scrapers/{id}/clone</code>", "GET</b> <code>/api/items/export</code>", "DELETE</b> <code>/api/sources/{id}</code>"]) expect(html).toContain(op);
    // Field descriptions and rules of the bundle's schemas are shown.
    expect(html).toContain("<code>x_path</code>");
    const css = await api.fetch("/api/docs.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain("body{");
  });
});

describe("GET /api/schema.json", () => {
  test("is the bundle's JSON Schema (as `dscraper schema` prints it)", async () => {
    expect(await (await api.fetch("/api/schema.json")).json()).toEqual(bundleJsonSchema());
  });
});

describe("hono's typed client", () => {
  test("calls the API with the types of its routes", async () => {
    const response = await api.client.api.items.$get({ query: { per_page: "2" } });
    expect(response.status).toBe(200);
    if (response.status === 200) {
      const page = await response.json();
      expect(page).toEqual({ items: [], page: 1, per_page: 2, total: 0, total_capped: false });
    }
    const health = await api.client.api.health.$get();
    expect((await health.json()).status).toBe("ok");
  });
});
