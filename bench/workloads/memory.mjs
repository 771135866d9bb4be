/**
 * Memory: N idle connections, each a member of one room (1000 rooms of N/1000), heartbeats on.
 * Systems that have a heartbeat run it every `opts.pingInterval` ms, and the reading is taken after
 * `opts.heartbeatRounds` periods, so that every connection has been pinged and has answered (bare
 * ws has no heartbeat). The server collects garbage (--expose-gc, several passes) before each
 * reading; per-connection figures are the difference to the empty server divided by N.
 */
import { startClients, startServer, stopAll } from "../lib/fleet.mjs";

export async function memory(system, opts) {
  const server = await startServer(system, { pingInterval: opts.pingInterval });
  let fleet;
  try {
    const empty = (await server.request("gc")).mem;
    const rooms = Array.from({ length: Math.min(1000, opts.connections) }, (_, i) => `room-${i}`);
    fleet = await startClients(system, server, opts.connections, { processes: opts.clientProcesses, rooms });
    // Let heartbeats run and lazily allocated per-connection state appear, then measure.
    await new Promise((r) => setTimeout(r, 500 + (opts.pingInterval ?? 0) * (opts.heartbeatRounds ?? 0)));
    const full = (await server.request("gc")).mem;
    const { connections } = await server.request("stats");
    const n = opts.connections;
    return {
      connections: n,
      // a heartbeat that closed connections would make the figures meaningless: report it
      connectionsAtReading: connections,
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
