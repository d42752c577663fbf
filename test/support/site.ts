/**
 * A test web site on 127.0.0.1 (random port): a route table of pages, changeable while it runs, that records every
 * request it gets (path, method, headers, body, time).
 */
export interface Hit {
  method: string;
  path: string;
  headers: Headers;
  body: string;
  at: number;
}

export type Page =
  | string
  | { body?: string | Uint8Array; status?: number; type?: string; headers?: Record<string, string> }
  | ((request: Request, hit: Hit) => Response | Promise<Response>);

export interface Site {
  readonly url: string;
  readonly hits: Hit[];
  /** Requests for a path (pathname plus query). */
  count(path: string): number;
  set(path: string, page: Page | undefined): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  xml: "application/xml; charset=utf-8",
  json: "application/json",
};

/** `routes` maps "/path" (optionally with its query) to a page; a string body's type is taken from its first character. */
export function startSite(routes: Record<string, Page>): Site {
  const table = new Map(Object.entries(routes));
  const hits: Hit[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const u = new URL(request.url);
      const path = u.pathname + u.search;
      const hit: Hit = { method: request.method, path, headers: request.headers, body: await request.text(), at: performance.now() };
      hits.push(hit);
      const page = table.get(path) ?? table.get(u.pathname);
      if (page === undefined) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
      if (typeof page === "function") return page(request, hit);
      if (typeof page === "string") return new Response(page, { headers: { "content-type": guessType(page) } });
      return new Response((page.body ?? "") as BodyInit, { status: page.status ?? 200, headers: { "content-type": page.type ?? TYPES.html!, ...page.headers } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    hits,
    count: (path) => hits.filter((h) => h.path === path).length,
    set: (path, page) => (page === undefined ? table.delete(path) : table.set(path, page)),
    close: async () => {
      await server.stop(true);
    },
  };
}

function guessType(body: string): string {
  const start = body.trimStart();
  if (start.startsWith("<?xml") || start.startsWith("<rss")) return TYPES.xml!;
  if (start.startsWith("{") || start.startsWith("[")) return TYPES.json!;
  return TYPES.html!;
}

export function html(body: string, title = "test"): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}
