/**
 * Fan-out: N clients in one room receive M broadcasts of a 64-byte payload, emitted in bursts.
 * At most `window` bursts are in flight: the runner asks for the next burst when every client has
 * received an earlier one, so socket buffers stay bounded and the pipe stays full.
 */
import { nowMs } from "../lib/histogram.mjs";
import { measured, startClients, startServer, stopAll } from "../lib/fleet.mjs";

async function sendBursts(server, clients, { bursts, burstSize, window }) {
  await Promise.all(clients.map((c) => c.request("fanout", { burstSize, total: bursts * burstSize })));
  const done = new Uint32Array(bursts);
  let completed = 0;
  let sent = 0;
  const offs = [];
  const finished = new Promise((resolve, reject) => {
    for (const c of clients) {
      offs.push(
        c.on("burst-done", ({ burst }) => {
          if (++done[burst] !== clients.length) return;
          completed++;
          if (completed === bursts) resolve();
          else if (sent < bursts) {
            sent++;
            server.request("burst", { room: "bench", count: burstSize }).catch(reject);
          }
        }, reject),
      );
    }
  });
  for (; sent < Math.min(window, bursts); sent++) await server.request("burst", { room: "bench", count: burstSize });
  await finished;
  for (const off of offs) off();
}

export async function fanout(system, opts, ctx) {
  const { clients: n, broadcasts, burstSize } = opts;
  const server = await startServer(system);
  let fleet;
  try {
    fleet = await startClients(system, server, n, { processes: opts.clientProcesses });
    const clients = fleet.children;
    // Warm-up round so the JIT has compiled the broadcast path before it is measured.
    await sendBursts(server, clients, { bursts: 2, burstSize, window: 2 });
    const { before, after, elapsedMs } = await measured(server, ctx, `fanout-${system}`, async () => {
      const before = await server.request("stats");
      const t0 = nowMs();
      await sendBursts(server, clients, { bursts: Math.ceil(broadcasts / burstSize), burstSize, window: opts.window ?? 2 });
      const elapsedMs = nowMs() - t0;
      return { before, elapsedMs, after: await server.request("stats") };
    });
    const deliveries = n * Math.ceil(broadcasts / burstSize) * burstSize;
    const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
    return {
      deliveries,
      elapsedMs,
      deliveriesPerSec: deliveries / (elapsedMs / 1000),
      serverCpuMs: cpuMs,
      cpuMsPer1000: cpuMs / (deliveries / 1000),
      serverCpuShare: cpuMs / elapsedMs,
    };
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
