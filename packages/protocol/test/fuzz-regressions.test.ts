import { regressionSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./fuzz/regressions-dir.js";
import { protocolTargets } from "./fuzz/targets/index.js";

// Every failing case `pnpm fuzz` found in this package's decoders, shrunk; see docs/FUZZING.md.
regressionSuite(protocolTargets, REGRESSIONS);
