import type { Photon } from "../src/images/thumbnail.ts";

let loading: Promise<Photon> | undefined;

export function loadPhoton(): Promise<Photon> {
  loading ??= import("@cf-wasm/photon/node").then((photon) => {
    if (!process.env.STUBPHOTON) return photon satisfies Photon;
    const fake = { get_width: () => 60, get_height: () => 90, get_bytes_jpeg: () => new Uint8Array(2888), free() {} };
    return { ...photon, PhotonImage: { new_from_byteslice: () => fake } } as unknown as Photon;
  });
  return loading;
}
