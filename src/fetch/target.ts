/**
 * @module
 * The URL a request goes to: only http(s), without fragment, and with credentials moved out of the URL into an
 * Authorization header, so that they are neither logged with the URL nor carried along by a redirect.
 */
import { InvalidUrlError } from "./errors.ts";

/** Parses a URL to fetch; credentials in it move to an Authorization header (unless one is set) and out of the URL. */
export function parseTarget(raw: string, headers?: Headers): URL {
  const url = tryUrl(raw);
  if (url === null) throw new InvalidUrlError(raw, `${raw}: not a valid URL`);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidUrlError(raw, `${raw}: only http and https URLs can be fetched`);
  if (url.username !== "" || url.password !== "") {
    if (headers !== undefined && !headers.has("authorization")) {
      headers.set("authorization", `Basic ${base64(`${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`)}`);
    }
    url.username = "";
    url.password = "";
  }
  if (url.hash !== "") url.hash = "";
  return url;
}

export function tryUrl(raw: string, base?: URL): URL | null {
  try {
    return new URL(raw, base);
  } catch {
    return null;
  }
}

function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
