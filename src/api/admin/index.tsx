/** @jsxImportSource hono/jsx */
/**
 * @module
 * The admin page: server-rendered screens (hono/jsx, one file per screen) under `/admin/`, on the same app and the
 * same core functions as the JSON routes. Forms work without JavaScript (POST → redirect, or the form again with
 * its errors); `assets/admin.js` adds rows, confirms deletes and follows running jobs.
 *
 * Middleware, in order: security headers (CSP) on every answer; the static files (open); the session (every
 * visitor gets one, for its form token); on a POST, hono/csrf's Origin check and then the form token; then
 * signing in is required, but for the sign-in page itself. Errors become pages (`errorPage`).
 */
import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { ConflictError, DscraperError, NotFoundError, UnavailableError } from "../../errors.ts";
import { bundleScreens } from "./bundles.tsx";
import { classScreens } from "./classes.tsx";
import { dashboard } from "./dashboard.tsx";
import type { AdminAssets, AdminEnv } from "./env.ts";
import { itemScreens } from "./items.tsx";
import { jobScreens } from "./jobs.tsx";
import { Empty, render } from "./layout.tsx";
import { logScreens } from "./logs.tsx";
import { scraperScreens } from "./scrapers.tsx";
import { adminHeaders } from "./security.ts";
import { CSRF_FIELD, type AdminSessions } from "./session.ts";
import { signInScreens } from "./sign-in.tsx";
import { sourceScreens } from "./sources.tsx";

export type { AdminAssets } from "./env.ts";

const OPEN_PATHS = new Set(["/admin/sign-in"]);

export function adminRoutes(sessions: AdminSessions, assets: AdminAssets) {
  const admin = new Hono<AdminEnv>();
  admin.use(adminHeaders);
  admin.get("/static/:name{admin\\.(css|js)}", (c) => {
    const css = c.req.param("name").endsWith(".css");
    return c.body(css ? assets.css : assets.js, 200, {
      "content-type": css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
    });
  });
  admin.use(async (c, next) => {
    c.set("sessions", sessions);
    c.set("session", (await sessions.read(c)) ?? (await sessions.start(c, false)));
    await next();
  });
  admin.use(csrf());
  admin.use(async (c, next) => {
    if (c.req.method !== "POST") return next();
    const form = await c.req.parseBody({ all: true });
    const token = form[CSRF_FIELD];
    if (!sessions.checkFormToken(c.var.session, Array.isArray(token) ? token[0] : token)) {
      return render(
        c,
        "This form has expired",
        <Empty>
          The form was not sent from this admin page's current session (it may be older than the session, or from another site). Go back, reload the page
          and send it again.
        </Empty>,
        403,
      );
    }
    return next();
  });
  admin.use(async (c, next) => {
    if (c.var.session.signedIn || OPEN_PATHS.has(c.req.path)) return next();
    const back = c.req.method === "GET" ? `?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}` : "";
    return c.redirect(`/admin/sign-in${back}`, 303);
  });
  admin.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 403) {
      return render(c, "Refused", <Empty>This form was sent from another site (its Origin is not this server's), so it was refused.</Empty>, 403);
    }
    if (err instanceof HTTPException && err.status < 500) return render(c, "Bad request", <Empty>{err.message || "The request could not be read."}</Empty>, 400);
    if (err instanceof NotFoundError) return render(c, "Not found", <Empty>{err.message}</Empty>, 404);
    if (err instanceof ConflictError) return render(c, "Not possible now", <Empty>{err.message}</Empty>, 409);
    if (err instanceof UnavailableError) return render(c, "Not available", <Empty>{err.message}</Empty>, 503);
    if (err instanceof DscraperError) return render(c, "Invalid input", <Empty>{err.message}</Empty>, 400);
    c.var.deps.log({
      time: c.var.deps.clock.now().toISOString(),
      level: "ERROR",
      msg: `internal error: ${err instanceof Error ? err.message : String(err)}`,
      request_id: c.var.requestId,
      method: c.req.method,
      path: c.req.path,
      ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
    });
    return render(c, "Something went wrong", <Empty>An internal error happened (request {c.var.requestId}); the server's log has the details.</Empty>, 500);
  });

  admin
    .route("/", signInScreens)
    .route("/", dashboard)
    .route("/classes", classScreens)
    .route("/scrapers", scraperScreens)
    .route("/sources", sourceScreens)
    .route("/jobs", jobScreens)
    .route("/items", itemScreens)
    .route("/logs", logScreens)
    .route("/bundles", bundleScreens);
  admin.all("*", (c) => (c.req.path === "/admin/" ? c.redirect("/admin", 301) : render(c, "Not found", <Empty>There is no admin page at {c.req.path}.</Empty>, 404)));
  return admin;
}
