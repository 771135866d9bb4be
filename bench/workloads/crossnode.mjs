/**
 * Cross-node: two server processes of one system joined through Redis, clients split between
 * them, paced broadcasts emitted on node A. Latency is reported separately for clients on A
 * (local delivery) and on B (through Redis: the figure the target is about).
 */
import { startRedis } from "../lib/redis.mjs";
import { join } from "node:path";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";
import { collect } from "./latency.mjs";

export async function crossnode(system, opts, ctx) {
  const redis = await startRedis();
  const servers = [];
  const fleets = [];
  try {
    for (const node of ["a", "b"]) {
      servers.push(await startServer(system, { redisPort: redis.port, name: `crossnode-${system}-${node}` }));
    }
    const half = Math.ceil(opts.clients / 2);
    for (const server of servers) fleets.push(await startClients(system, server, half, { processes: 1 }));
    const [a] = servers;
    // Warm-up also gives room subscriptions time to settle.
    await a.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.warmupMs });
    await Promise.all(fleets.flatMap((f) => f.children).map((c) => c.request("latencyStart")));
    const [b] = servers.slice(1);
    if (ctx.profileDir) await b.request("profileStart");
    const { sent } = await measured(a, ctx, `crossnode-${system}-a`, () => a.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.durationMs }));
    if (ctx.profileDir) await b.request("profileStop", { file: join(ctx.profileDir, `crossnode-${system}-b.cpuprofile`) });
    await new Promise((r) => setTimeout(r, 500));
    const local = await collect(fleets[0].children);
    const remote = await collect(fleets[1].children);
    return {
      broadcasts: sent,
      expectedPerNode: sent * half,
      remoteSamples: remote.samples,
      remoteP50: remote.p50,
      remoteP99: remote.p99,
      localP50: local.p50,
      localP99: local.p99,
      // What the hop through Redis adds: on one machine both groups share everything else.
      hopP50: remote.p50 - local.p50,
    };
  } finally {
    await stopAll(fleets.flatMap((f) => f.children));
    await stopAll(servers);
    await redis.stop();
  }
}
