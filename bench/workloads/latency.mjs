/**
 * Paced latency: N clients in one room, `rate` broadcasts a second, each carrying its send time
 * (monotonic clock, same machine); clients record receipt minus send time.
 */
import { Histogram } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

export async function collect(clients) {
  const histogram = new Histogram();
  for (const reply of await Promise.all(clients.map((c) => c.request("latencyStop")))) histogram.merge(reply.histogram);
  return histogram.summary();
}

export async function latency(system, opts, ctx) {
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, opts.clients, { processes: opts.clientProcesses });
    await server.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.warmupMs });
    await Promise.all(fleet.children.map((c) => c.request("latencyStart")));
    const { sent, loopDelayP99, loopDelayMax } = await measured(server, ctx, `latency-${system}`, () => server.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.durationMs }));
    // Let in-flight broadcasts land.
    await new Promise((r) => setTimeout(r, 300));
    const summary = await collect(fleet.children);
    return { ...summary, broadcasts: sent, expected: sent * opts.clients, serverLoopDelayP99: loopDelayP99, serverLoopDelayMax: loopDelayMax };
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
