/**
 * Paced latency: N clients in one room, `rate` broadcasts a second, each carrying its send time
 * (monotonic clock, same machine); clients record receipt minus send time.
 *
 * With `opts.library` (workload "latency") the clients run each system's own client library as
 * its users run it (load/library-client.mjs) and also report the CPU they spent per received
 * message; without it (workload "latency-raw") they speak the wire protocol over bare ws
 * (load/client.mjs), which takes the client libraries out of the figure.
 */
import { Histogram } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

/** Merged latency of `clients`, plus their CPU per received message when they report it. */
export async function collect(clients) {
  const histogram = new Histogram();
  let received = 0;
  let cpuMs = 0;
  for (const reply of await Promise.all(clients.map((c) => c.request("latencyStop")))) {
    histogram.merge(reply.histogram);
    received += reply.received ?? 0;
    cpuMs += reply.cpuMs ?? 0;
  }
  const summary = histogram.summary();
  // µs of client CPU per message received, over every client process (same units as ms / 1000)
  if (received > 0) summary.clientCpuUsPerMessage = (cpuMs * 1000) / received;
  return summary;
}

export async function latency(system, opts, ctx) {
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, opts.clients, { processes: opts.clientProcesses, library: opts.library === true });
    await server.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.warmupMs });
    await Promise.all(fleet.children.map((c) => c.request("latencyStart")));
    const before = await server.request("stats");
    const { sent, loopDelayP99, loopDelayMax } = await measured(server, ctx, `latency-${system}`, () => server.request("paced", { room: "bench", rate: opts.rate, durationMs: opts.durationMs }));
    // Let in-flight broadcasts land.
    await new Promise((r) => setTimeout(r, 300));
    const after = await server.request("stats");
    const summary = await collect(fleet.children);
    const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
    return {
      ...summary,
      broadcasts: sent,
      expected: sent * opts.clients,
      // one broadcast per tick: each delivery is a write of its own (the chat-like cost, unlike fan-out's bursts)
      serverCpuUsPerDelivery: (cpuMs * 1000) / (sent * opts.clients),
      serverLoopDelayP99: loopDelayP99,
      serverLoopDelayMax: loopDelayMax,
    };
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
