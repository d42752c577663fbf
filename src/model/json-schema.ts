/**
 * @module
 * The bundle's JSON Schema, generated from the zod schemas (the input side: defaults are optional).
 */
import { z } from "zod";
import { bundleSchema } from "./bundle.ts";

export function bundleJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(bundleSchema, { io: "input", unrepresentable: "any" }),
    title: "dscraper definitions bundle",
  };
}
