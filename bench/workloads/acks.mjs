/** Acks: N clients, each keeping exactly one ack request in flight; the server acks with the payload. */
import { Histogram } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

export async function acks(system, opts, ctx) {
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, opts.clients, { processes: opts.clientProcesses });
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
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
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
