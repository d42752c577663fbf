/**
 * One image worker thread (see cli/image-workers.ts). Its first message is photon's compiled module, which it
 * instantiates; every later one is a job, rendered with `renderJpegs` and answered with the JPEGs, their buffers
 * transferred. Listed as an entry point in cli/build.ts, so the compiled binary carries it.
 */
import type { Photon } from "../src/images/thumbnail.ts";
import { renderJpegs } from "../src/images/thumbnail.ts";
import { sendableError, type RenderReply, type WorkerMessage } from "./image-workers.ts";
import { loadPhoton } from "./photon.ts";

declare const self: Worker;

let photon: Promise<Photon> | undefined;

self.onmessage = async (event: MessageEvent<WorkerMessage>) => {
  const message = event.data;
  if ("module" in message) {
    photon = loadPhoton(message.module);
    return;
  }
  const { id, bytes, options } = message;
  let reply: RenderReply;
  try {
    if (!photon) throw new Error("image worker: a job came before photon's module");
    reply = { id, ok: true, rendered: renderJpegs(await photon, bytes, options) };
  } catch (e) {
    reply = { id, ok: false, error: sendableError(e) };
  }
  // Boxes of the same size share one JPEG, and a buffer may be listed only once.
  self.postMessage(reply, reply.ok ? [...new Set(reply.rendered.jpegs.map((jpeg) => jpeg.buffer as ArrayBuffer))] : []);
};
