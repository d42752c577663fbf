/**
 * A real browser for the admin page's tests: Debian's Chromium driven by playwright-core (no browser download).
 * Missing Chromium is a failure with the command that installs it, never a silent skip: CI installs it in
 * `.ci/run`. Every page records what must never happen with scraped content: dialogs (an `alert` that ran),
 * requests to any host but 127.0.0.1 (blocked too), uncaught page errors and CSP violations.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadPhoton } from "../../cli/photon.ts";
import { ROOT } from "./cli.ts";

export const CHROMIUM = process.env.DSCRAPER_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(ROOT, "test/artifacts");

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the admin page's browser tests need it. ` +
        "Install Debian's package with `apt-get update && apt-get install -y chromium` (CI's .ci/run does), or point DSCRAPER_CHROMIUM at a Chromium binary.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
}

/** What a page did that scraped content must never make it do. */
export interface Watch {
  /** Alerts and prompts: never ours, so a script that ran. */
  dialogs: string[];
  /** The admin's own "Delete?" confirmations (accepted). */
  confirms: string[];
  /** Requests to hosts other than 127.0.0.1 (each was blocked). */
  outside: string[];
  pageErrors: string[];
  /** Console messages about the Content-Security-Policy. */
  csp: string[];
}

export async function newPage(browser: Browser, options: { width?: number; height?: number; javaScript?: boolean } = {}): Promise<{ page: Page; watch: Watch; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, javaScriptEnabled: options.javaScript ?? true });
  const page = await context.newPage();
  // Generous: a loaded 2-core CI machine runs crawls, wrangler and this browser at once.
  page.setDefaultTimeout(60_000);
  const watch: Watch = { dialogs: [], confirms: [], outside: [], pageErrors: [], csp: [] };
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== "127.0.0.1") {
      watch.outside.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on("dialog", (dialog) => {
    if (dialog.type() === "confirm") {
      watch.confirms.push(dialog.message());
      void dialog.accept();
    } else {
      watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    }
  });
  page.on("pageerror", (e) => watch.pageErrors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) watch.csp.push(m.text());
  });
  return { page, watch, close: () => context.close() };
}

/** Saves a full-page screenshot under test/artifacts/ and returns how many distinct colours it holds. */
export async function screenshot(page: Page, name: string): Promise<{ path: string; colours: number; width: number; height: number }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  const png = await page.screenshot({ path, fullPage: true });
  // The binary's loader initialises the package's one wasm instance first (see test/images/encoders.ts).
  await loadPhoton();
  const { PhotonImage } = await import("@cf-wasm/photon/others");
  const image = PhotonImage.new_from_byteslice(new Uint8Array(png));
  try {
    const pixels = image.get_raw_pixels();
    const colours = new Set<number>();
    for (let i = 0; i < pixels.length; i += 4) colours.add((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!);
    return { path, colours: colours.size, width: image.get_width(), height: image.get_height() };
  } finally {
    image.free();
  }
}
