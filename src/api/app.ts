/**
 * @module
 * The HTTP API (INTERFACE.md "HTTP API"): one hono app, platform-free. The binary (`dscraper serve`) and the
 * Worker each build it with their own ports (`ApiDeps`) and serve `app.fetch`. Cross-cutting concerns are
 * middleware registered here once, in this order: the deps, request id, access log, who is calling (token or
 * not), rate limit, auth, body limit; errors of every kind become `{"error": …}` in `onError`. Each resource is a
 * sub-app in its own file, mounted below; `typeof` the mounted app (`Api`) describes the whole API for hono's
 * typed client, and the OpenAPI document is read off the same routes.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { accessLog } from "./access-log.ts";
import { adminRoutes } from "./admin/index.tsx";
import { AdminSessions, sessionReads } from "./admin/session.ts";
import { identify, requireAuth } from "./auth.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { errorResponse, notFound, onError } from "./errors.ts";
import { bundleRoutes } from "./bundles.ts";
import { classRoutes } from "./classes.ts";
import { healthRoutes } from "./health-routes.ts";
import { HealthChecks, healthReport } from "./health.ts";
import { itemRoutes } from "./items.ts";
import { logMarkerRoutes, logRoutes } from "./logs.ts";
import { PageCache } from "./lists.ts";
import { itemJobRoutes, sourceJobRoutes } from "./job-triggers.ts";
import { jobRoutes } from "./jobs.ts";
import { documentRoutes } from "./openapi.ts";
import { rateLimit } from "./rate-limit.ts";
import { scraperRoutes } from "./scrapers.ts";
import { sourceRoutes } from "./sources.ts";
import { statsRoutes } from "./stats.ts";

export function createApp(deps: ApiDeps) {
  const { settings } = deps;
  const app = new Hono<ApiEnv>();
  const pages = new PageCache();
  const health = new HealthChecks(
    () => healthReport({ database: async () => deps.database, images: deps.images, queue: deps.queue, ...(deps.extraChecks ? { extra: deps.extraChecks } : {}) }),
    deps.clock,
  );
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("pages", pages);
    c.set("health", health);
    await next();
  });
  app.use(requestId());
  app.use(accessLog);
  app.use(identify(settings.token));
  const sessions = new AdminSessions(settings.token, () => deps.clock.now());
  app.use(sessionReads(sessions));
  app.use(rateLimit({ rate: settings.rateLimit, burst: settings.burst, clock: deps.clock }));
  app.use(requireAuth);
  const limitBody = bodyLimit({
    maxSize: settings.bodyLimit,
    onError: (c) => errorResponse(c, 413, "payload_too_large", `the request body is over the limit of ${settings.bodyLimit} bytes`),
  });
  // Reads carry no body to limit: one layer less on the hottest routes.
  app.use((c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : limitBody(c, next)));
  app.onError(onError);
  app.notFound(notFound);

  const api = app
    .route("/api/health", healthRoutes)
    .route("/api/classes", classRoutes)
    .route("/api/scrapers", scraperRoutes)
    .route("/api/sources", sourceRoutes)
    .route("/api/items", itemRoutes)
    .route("/api/logs", logRoutes)
    .route("/api/log-markers", logMarkerRoutes)
    .route("/api/stats", statsRoutes)
    .route("/api", bundleRoutes)
    .route("/api/jobs", jobRoutes)
    .route("/api/sources", sourceJobRoutes)
    .route("/api/items", itemJobRoutes);
  // The document describes the routes that carry hono-openapi's descriptions: the admin's carry none.
  return api
    .route("/api", documentRoutes(api))
    .route("/admin", adminRoutes(sessions, deps.adminAssets))
    .get("/", (c) => c.redirect("/admin", 302));
}

export type Api = ReturnType<typeof createApp>;
