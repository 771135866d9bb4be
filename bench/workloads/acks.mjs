/**
 * Acks, both directions, one request in flight per connection:
 * - client to server: N clients each emit "req" with an ack; the server acks with the payload, the
 *   reply triggers the next request. Counted by the clients.
 * - server to client (`opts.serverToClient`): the server emits "req" with an ack to each socket,
 *   the client answers at once, the ack triggers the next one. Counted by the server.
 * Server CPU per ack is the server's own cpuUsage over the counting window.
 */
import { Histogram } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function clientToServer(server, fleet, opts, ctx, system) {
  let before;
  let after;
  const replies = await measured(server, ctx, `acks-${system}`, () =>
    Promise.all([
      ...fleet.children.map((c) => c.request("acks", { durationMs: opts.durationMs, warmupMs: opts.warmupMs })),
      // Server CPU over (about) the clients' counting window: acks/s is bounded by the clients
      // on a shared machine, CPU per ack is the server's own cost.
      (async () => {
        await sleep(opts.warmupMs);
        before = await server.request("stats");
        await sleep(opts.durationMs);
        after = await server.request("stats");
      })(),
    ]).then((all) => all.slice(0, fleet.children.length)),
  );
  const histogram = new Histogram();
  let total = 0;
  let elapsed = 0;
  for (const r of replies) {
    histogram.merge(r.histogram);
    total += r.acks;
    elapsed = Math.max(elapsed, r.elapsedMs);
  }
  const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
  return { acks: total, acksPerSec: total / (elapsed / 1000), ...histogram.summary(), serverCpuMsPer1000: cpuMs / (total / 1000) };
}

async function serverToClient(server, opts, ctx, system) {
  const r = await measured(server, ctx, `acks-out-${system}`, () => server.request("acksOut", { durationMs: opts.durationMs, warmupMs: opts.warmupMs }));
  const histogram = new Histogram();
  histogram.merge(r.histogram);
  const { p50, p99 } = histogram.summary();
  return { acks: r.acks, acksPerSec: r.acks / (r.elapsedMs / 1000), p50, p99, serverCpuMsPer1000: r.cpuMs / (r.acks / 1000) };
}

export async function acks(system, opts, ctx) {
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, opts.clients, { processes: opts.clientProcesses });
    const result = await clientToServer(server, fleet, opts, ctx, system);
    if (opts.serverToClient) {
      await sleep(200);
      result.serverToClient = await serverToClient(server, opts, ctx, system);
    }
    return result;
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
