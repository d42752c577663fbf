/** @jsxImportSource hono/jsx */
/**
 * @module
 * Signing in with the API token, and out. A session that signs in gets a new id (never the one it had), so a
 * session id planted before signing in is worthless after it. Without a configured token there is nothing to
 * sign in to: the page says so.
 */
import { Hono } from "hono";
import type { AdminEnv } from "./env.ts";
import { Csrf, Empty, Errors, render } from "./layout.tsx";

/** Where to go after signing in: an admin path only (never another site, never `//host`). */
function nextPath(value: unknown): string {
  return typeof value === "string" && /^\/admin(?:\/[^\\]*)?$/.test(value) && !value.startsWith("//") && !value.includes("//") ? value : "/admin";
}

function SignInForm({ next, error, csrf }: { next: string; error?: string; csrf: Parameters<typeof Csrf>[0]["session"] }) {
  return (
    <form method="post" action="/admin/sign-in" class="card narrow">
      <Csrf session={csrf} />
      <input type="hidden" name="next" value={next} />
      <div class={`field${error ? " invalid" : ""}`}>
        <label for="f-token">API token</label>
        <input id="f-token" name="token" type="password" autocomplete="current-password" required autofocus />
        <small>
          The server's <code>DSCRAPER_API_TOKEN</code>.
        </small>
        <Errors messages={error ? [error] : undefined} />
      </div>
      <button>Sign in</button>
    </form>
  );
}

export const signInScreens = new Hono<AdminEnv>()
  .get("/sign-in", (c) => {
    const { session, sessions } = c.var;
    if (sessions.open) return render(c, "Sign in", <Empty>No API token is configured, so there is nothing to sign in to: the admin page is open.</Empty>);
    if (session.signedIn) return c.redirect(nextPath(c.req.query("next")), 303);
    return render(c, "Sign in", <SignInForm next={nextPath(c.req.query("next"))} csrf={session} />);
  })
  .post("/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const { sessions } = c.var;
    if (sessions.open) return c.redirect("/admin", 303);
    if (typeof form.token !== "string" || !sessions.isToken(form.token.trim())) {
      return render(c, "Sign in", <SignInForm next={nextPath(form.next)} error="That is not the API token." csrf={c.var.session} />, 401);
    }
    await sessions.start(c, true);
    return c.redirect(nextPath(form.next), 303);
  })
  .post("/sign-out", async (c) => {
    await c.var.sessions.start(c, false);
    return c.redirect("/admin/sign-in", 303);
  });
