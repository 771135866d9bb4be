/**
 * Memory: N idle connections, each a member of one room (1000 rooms of N/1000). The server
 * collects garbage (--expose-gc, several passes) before each reading; per-connection figures are
 * the difference to the empty server divided by N.
 */
import { startClients, startServer, stopAll } from "../lib/fleet.mjs";

export async function memory(system, opts) {
  const server = await startServer(system);
  let fleet;
  try {
    const empty = (await server.request("gc")).mem;
    const rooms = Array.from({ length: Math.min(1000, opts.connections) }, (_, i) => `room-${i}`);
    fleet = await startClients(system, server, opts.connections, { processes: opts.clientProcesses, rooms });
    // Give lazily allocated per-connection state a moment to appear, then measure.
    await new Promise((r) => setTimeout(r, 500));
    const full = (await server.request("gc")).mem;
    const n = opts.connections;
    return {
      connections: n,
      heapPerConn: (full.heapUsed - empty.heapUsed) / n,
      rssPerConn: (full.rss - empty.rss) / n,
      externalPerConn: (full.external - empty.external) / n,
      heapUsedMB: full.heapUsed / 2 ** 20,
      rssMB: full.rss / 2 ** 20,
    };
  } finally {
    await stopAll(fleet?.children ?? []);
    await server.stop();
  }
}
