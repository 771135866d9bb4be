import { defineConfig } from "vitest/config";

// `pnpm fuzz` (tools/fuzz/src/cli.mjs): the fuzz targets, one file each, ROOMCAST_FUZZ_JOBS at a
// time. Workspace packages resolve to their sources, as in vitest.config.ts.
const conditions = ["source"];
const jobs = Number(process.env.ROOMCAST_FUZZ_JOBS ?? 2);

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["packages/*/test/fuzz/*.fuzz.ts"],
    pool: "forks",
    maxWorkers: jobs,
    minWorkers: 1,
    // each target's test sets its own timeout from its budget
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
