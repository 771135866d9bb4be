import { fileURLToPath } from "node:url";

/** Where `pnpm fuzz` keeps this package's failing cases, replayed by test/fuzz-regressions.test.ts. */
export const REGRESSIONS = fileURLToPath(new URL("../fuzz-regressions/", import.meta.url));
