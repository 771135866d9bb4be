// Engine.IO v4 framing: WebSocket frames and long-polling bodies, against a reading written from the spec
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { engineIoTarget } from "./targets/engine-io.js";

fuzzSuite(engineIoTarget, REGRESSIONS);
