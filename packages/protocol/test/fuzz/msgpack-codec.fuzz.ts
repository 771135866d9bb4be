// roomcast.v1 msgpack decoder (server side): client packets, tweaked and edited as bytes
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { msgpackCodecTarget } from "./targets/msgpack-codec.js";

fuzzSuite(msgpackCodecTarget, REGRESSIONS);
