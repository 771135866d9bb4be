// roomcast.v1 JSON decoder (server side): client packets, tweaked and edited as text
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { jsonCodecTarget } from "./targets/json-codec.js";

fuzzSuite(jsonCodecTarget, REGRESSIONS);
