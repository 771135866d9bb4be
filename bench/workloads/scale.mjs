/**
 * Scale: as many idle connections as one server process will hold, up to `target`. One source
 * address has only the ephemeral port range (32768-60999 here, ~28k ports), so client sockets bind
 * to several 127.0.0.x addresses (`localAddress`). Clients are opened in steps; the run stops at
 * the target or at the first step that loses connections, and reports what the server held.
 *
 * The target is capped `fdHeadroom` below the server's open-files limit (a process cannot hold
 * more sockets than that, whatever the server), so that the memory and CPU read at the end are
 * those of a server holding its connections, not one refusing more. With every connection in
 * place, the server's CPU over `heartbeatWindowMs` is what idle connections cost: heartbeats every
 * `pingInterval` ms (answered by the clients) and nothing else.
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
  const server = await startServer(system, { pingInterval: opts.pingInterval });
  const fdSoft = typeof server.fdLimit?.soft === "number" ? server.fdLimit.soft : Infinity;
  const target = Math.min(opts.target, fdSoft - (opts.fdHeadroom ?? 1000));
  const children = [];
  let held = 0;
  let failed = 0;
  let lastError = "";
  const perAddress = Math.floor(portsPerAddress() * 0.8);
  const addresses = Array.from({ length: Math.max(2, Math.ceil(target / perAddress) + 1) }, (_, i) => `127.0.0.${i + 2}`);
  try {
    const empty = (await server.request("gc")).mem;
    for (let opened = 0; opened < target; ) {
      const n = Math.min(opts.step, target - opened);
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
    // Idle CPU: a whole number of heartbeat periods with every connection in place.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await server.request("stats");
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, opts.heartbeatWindowMs));
    const after = await server.request("stats");
    const windowMs = Date.now() - t0;
    const idleCpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
    // every system pings each connection once per pingInterval (bare ws as its README shows)
    const heartbeats = opts.pingInterval ? (held * windowMs) / opts.pingInterval : 0;
    const full = (await server.request("gc")).mem;
    return {
      target: opts.target,
      cappedTarget: target,
      held,
      heldAtEnd: after.connections,
      failed,
      lastError,
      sourceAddresses: addresses.length,
      serverFdLimit: server.fdLimit,
      heapPerConn: held ? (full.heapUsed - empty.heapUsed) / held : NaN,
      rssPerConn: held ? (full.rss - empty.rss) / held : NaN,
      rssMB: full.rss / 2 ** 20,
      pingInterval: opts.pingInterval,
      idleWindowMs: windowMs,
      // server CPU spent per second while idle, in ms (so 10 = 1% of one core)
      idleCpuMsPerSec: idleCpuMs / (windowMs / 1000),
      // per heartbeat (ping out, pong in, the sweep's share): µs
      cpuUsPerHeartbeat: heartbeats ? (idleCpuMs * 1000) / heartbeats : NaN,
    };
  } finally {
    await stopAll(children);
    await server.stop(10_000);
  }
}
