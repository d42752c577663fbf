/**
 * `--notify URL` (DSCRAPER_NOTIFY_URL): the webhook that alerts go to, for run-checker-tests, check-last-saves,
 * check-last-deletes and serve's daily round.
 */
import { webhookNotifier } from "../src/check/webhook.ts";
import { ValidationError } from "../src/errors.ts";
import type { Alert, Notifier } from "../src/ports.ts";
import { UsageError, type FlagSpecs } from "./args.ts";

/** `--notify URL` of the commands that raise alerts (run-checker-tests, check-last-saves, check-last-deletes). */
export const NOTIFY_FLAGS = {
  notify: { type: "string", value: "URL", env: "DSCRAPER_NOTIFY_URL", help: "POST the failures as JSON to this webhook, when there are any" },
} as const satisfies FlagSpecs;

/** The webhook of `--notify`, checked before any work is done so that a typo is not found after a long run. */
export function notifierOf(url: string | undefined): Notifier | undefined {
  if (url === undefined) return undefined;
  try {
    return webhookNotifier(url);
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(`--notify: ${e.issues[0]!.message}`);
    throw e;
  }
}

/**
 * Sends the alert. A hook that fails does not throw: the results are printed all the same (they are what the user
 * ran the command for), the failure is said on stderr whatever --quiet says, and the command exits 1.
 */
export async function deliver(notifier: Notifier, alert: Alert): Promise<{ notified: boolean; notify_error?: string }> {
  try {
    await notifier.notify(alert);
    return { notified: true };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`dscraper: ${message}\n`);
    return { notified: false, notify_error: message };
  }
}
