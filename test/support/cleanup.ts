/** Preloaded by bunfig.toml: what tests leave in temp folders goes once the last test file is done. */
import { afterAll } from "bun:test";
import { removeTempFiles } from "./temp.ts";

afterAll(removeTempFiles);
