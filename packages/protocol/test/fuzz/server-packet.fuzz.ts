// client-side decoding of server packets: the light JSON path against the full one, and msgpack
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { serverPacketTarget } from "./targets/server-packet.js";

fuzzSuite(serverPacketTarget, REGRESSIONS);
