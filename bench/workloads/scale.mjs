/**
 * Scale: as many idle connections as one server process will hold, up to `target`. One source
 * address has only the ephemeral port range (32768-60999 here, ~28k ports), so client sockets bind
 * to several 127.0.0.x addresses (`localAddress`). Clients are opened in steps; the run stops at
 * the target or at the first step that loses connections, and reports what the server held.
 */
import { readFileSync } from "node:fs";
import { startServer, stopAll } from "../lib/fleet.mjs";
import { Child, waitFor } from "../lib/child.mjs";

const CLIENT = new URL("../load/client.mjs", import.meta.url);

function portsPerAddress() {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    return high - low + 1;
  } catch {
    return 28_000;
  }
}

export async function scale(system, opts) {
  const server = await startServer(system);
  const children = [];
  let held = 0;
  let failed = 0;
  let lastError = "";
  const perAddress = Math.floor(portsPerAddress() * 0.8);
  const addresses = Array.from({ length: Math.max(2, Math.ceil(opts.target / perAddress) + 1) }, (_, i) => `127.0.0.${i + 2}`);
  try {
    const empty = (await server.request("gc")).mem;
    for (let opened = 0; opened < opts.target; ) {
      const n = Math.min(opts.step, opts.target - opened);
      const child = new Child(CLIENT, {
        args: [JSON.stringify({ system, url: `ws://127.0.0.1:${server.port}`, count: n, localAddresses: addresses, concurrency: 128 })],
        name: `${system} scale clients #${children.length}`,
      });
      children.push(child);
      await child.once("started");
      const result = await child.request("connect");
      opened += n;
      failed += result.failed;
      if (result.lastError) lastError = result.lastError;
      const expected = opened - failed;
      held = await waitFor(
        async () => {
          const { connections } = await server.request("stats");
          return connections >= expected ? connections : 0;
        },
        opts.settleMs,
        `${system}: ${expected} connections on the server`,
        200,
      ).catch(async () => (await server.request("stats")).connections);
      if (result.failed > 0 || held < expected) break;
    }
    const full = (await server.request("gc")).mem;
    return {
      target: opts.target,
      held,
      failed,
      lastError,
      sourceAddresses: addresses.length,
      serverFdLimit: server.fdLimit,
      heapPerConn: held ? (full.heapUsed - empty.heapUsed) / held : NaN,
      rssMB: full.rss / 2 ** 20,
    };
  } finally {
    await stopAll(children);
    await server.stop(10_000);
  }
}
