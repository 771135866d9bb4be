import { defineConfig } from "vitest/config";

// Part of the Redis adapter's suite once more, on ioredis 6 (the adapter takes ioredis 5 or 6 as a
// peer; the main run uses 5). The tests import "ioredis"; here it resolves to the `ioredis6` alias
// installed beside ioredis 5. One file for each way the adapter uses ioredis, to keep the run
// short: pub/sub and requests across nodes, sharded pub/sub on a Redis Cluster, the emitter, the
// streams store (Lua scripts, buffers, expiring keys), and Redis killed and restarted (reconnect
// and resubscribe). Tests whose nodes are child processes would load ioredis 5 by themselves.
// Workspace packages resolve to their sources, as in vitest.config.ts.
const conditions = ["source"];

export default defineConfig({
  resolve: { conditions, alias: [{ find: /^ioredis$/, replacement: "ioredis6" }] },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["redis-adapter", "sharded", "emitter", "streams-store", "redis-faults"].map((name) => `packages/redis-adapter/test/${name}.test.ts`),
    setupFiles: ["packages/redis-adapter/test/support/ioredis6-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default"],
  },
});
