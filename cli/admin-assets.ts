/**
 * The admin page's stylesheet and script for the binary: imported as text, which `bun build --compile` embeds in
 * the binary (and `bun` reads from the source tree). The Worker imports the same files through wrangler's Text
 * rule (worker/admin-assets.ts); both hand them to the platform-free app through its deps.
 */
import css from "../src/api/admin/assets/admin.css" with { type: "text" };
import js from "../src/api/admin/assets/admin.js" with { type: "text" };
import type { AdminAssets } from "../src/api/admin/env.ts";

export const ADMIN_ASSETS: AdminAssets = { css, js };
