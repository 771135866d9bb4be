import type { FuzzTarget } from "@roomcast/fuzz";
import { jsonCodecTarget } from "./json-codec.js";
import { msgpackCodecTarget } from "./msgpack-codec.js";
import { serverPacketTarget } from "./server-packet.js";

/** This package's fuzz targets; each has a `<name>.fuzz.ts` run by `pnpm fuzz`. */
export const protocolTargets: readonly FuzzTarget[] = [jsonCodecTarget, msgpackCodecTarget, serverPacketTarget];
