/**
 * @module
 * What the admin's routes see: the API's variables, plus the request's session and the session keeper.
 */
import type { ApiBindings, ApiVariables } from "../deps.ts";
import type { AdminSessions, Session } from "./session.ts";

/** The admin's stylesheet and script, read by each platform its own way and handed over through the deps. */
export interface AdminAssets {
  css: string;
  js: string;
}

export interface AdminEnv {
  Bindings: ApiBindings;
  Variables: ApiVariables & { session: Session; sessions: AdminSessions };
}
