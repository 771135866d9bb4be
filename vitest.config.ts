import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["source"] },
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    typecheck: { enabled: true, include: ["packages/*/test/**/*.test-d.ts"] },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results.json" }]] : ["default"],
  },
});
