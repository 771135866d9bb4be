/** Acks: N clients, each keeping exactly one ack request in flight; the server acks with the payload. */
import { Histogram } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

export async function acks(system, opts, ctx) {
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, opts.clients, { processes: opts.clientProcesses });
    const replies = await measured(server, ctx, `acks-${system}`, () => Promise.all(fleet.children.map((c) => c.request("acks", { durationMs: opts.durationMs, warmupMs: opts.warmupMs }))));
    const histogram = new Histogram();
    let total = 0;
    let elapsed = 0;
    for (const r of replies) {
      histogram.merge(r.histogram);
      total += r.acks;
      elapsed = Math.max(elapsed, r.elapsedMs);
    }
    return { acks: total, acksPerSec: total / (elapsed / 1000), ...histogram.summary() };
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
