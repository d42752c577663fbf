import { bundleJsonSchema } from "../../src/model/json-schema.ts";
import { defineCommand } from "../command.ts";

export default defineCommand({
  name: "schema",
  args: "",
  summary: "print the JSON Schema of the definitions bundle",
  positionals: [0, 0],
  flags: {},
  async run(ctx) {
    ctx.write(`${JSON.stringify(bundleJsonSchema(), null, 2)}\n`);
  },
});
