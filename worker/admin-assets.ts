/**
 * The admin page's stylesheet and script for the Worker: wrangler's esbuild refuses `with { type: "text" }`, so
 * the files come in through the `[[rules]] type = "Text"` rule for `**\/admin/assets/*` in wrangler.toml, and are
 * handed to the app through its deps (`app.ts`).
 */
import css from "../src/api/admin/assets/admin.css";
import js from "../src/api/admin/assets/admin.js";
import type { AdminAssets } from "../src/api/admin/env.ts";

export const ADMIN_ASSETS: AdminAssets = { css, js };
