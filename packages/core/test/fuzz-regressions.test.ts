import { regressionSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./fuzz/regressions-dir.js";
import { coreTargets } from "./fuzz/targets/index.js";

// Every failing case `pnpm fuzz` found in the Socket.IO dialect's decoders and the live server,
// shrunk; see docs/FUZZING.md.
regressionSuite(coreTargets, REGRESSIONS);
