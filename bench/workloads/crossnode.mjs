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
    // Redis's own idle cost (its timers, the nodes' heartbeats), to subtract from what broadcasts cost it
    const redisIdleStart = redis.cpuMs();
    await new Promise((r) => setTimeout(r, opts.redisIdleMs ?? 2000));
    const redisIdleMsPerSec = redisIdleStart === undefined ? undefined : (redis.cpuMs() - redisIdleStart) / ((opts.redisIdleMs ?? 2000) / 1000);
    const redisBefore = redis.cpuMs();
    const commandsBefore = await redis.commands();
    const redisT0 = Date.now();
    const [aBefore, bBefore] = await Promise.all(servers.map((s) => s.request("stats")));
    const { sent } = await measured(a, ctx, `crossnode-${system}-a`, () => a.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.durationMs }));
    if (ctx.profileDir) await b.request("profileStop", { file: join(ctx.profileDir, `crossnode-${system}-b.cpuprofile`) });
    await new Promise((r) => setTimeout(r, 500));
    const [aAfter, bAfter] = await Promise.all(servers.map((s) => s.request("stats")));
    const redisAfter = redis.cpuMs();
    const redisSeconds = (Date.now() - redisT0) / 1000;
    const commandsAfter = await redis.commands();
    // Redis commands per broadcast, by name ({ publish: 1, ... }); INFO itself left out
    const redisCommandsPerBroadcast = {};
    if (commandsBefore && commandsAfter) {
      for (const [name, calls] of Object.entries(commandsAfter)) {
        const d = calls - (commandsBefore[name] ?? 0) - (name === "info" ? 1 : 0);
        if (d > 0) redisCommandsPerBroadcast[name] = Number((d / sent).toFixed(3));
      }
    }
    const cpu = (x, y) => (y.cpu.user - x.cpu.user + y.cpu.system - x.cpu.system) / 1000;
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
      // Costs for the capacity model (docs/performance/CAPACITY.md): per broadcast on the emitting node
      // (its local deliveries included), per remote delivery on the other node (the bus message
      // shared by its `half` clients included), and Redis's per broadcast (one PUBLISH, a message
      // to each subscribed node: two here)
      nodeACpuUsPerBroadcast: (cpu(aBefore, aAfter) * 1000) / sent,
      nodeBCpuUsPerDelivery: (cpu(bBefore, bAfter) * 1000) / (sent * half),
      redisCpuUsPerBroadcast:
        redisBefore === undefined || redisAfter === undefined ? undefined : ((redisAfter - redisBefore - redisIdleMsPerSec * redisSeconds) * 1000) / sent,
      redisIdleMsPerSec,
      redisCommandsPerBroadcast,
    };
  } finally {
    await stopAll(fleets.flatMap((f) => f.children));
    await stopAll(servers);
    await redis.stop();
  }
}
