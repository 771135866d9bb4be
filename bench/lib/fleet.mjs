/** Starting and stopping one system's server process and its client processes. */
import { join } from "node:path";
import { Child, waitFor } from "./child.mjs";

const SERVER = new URL("../servers/server.mjs", import.meta.url);
const CLIENT = new URL("../load/client.mjs", import.meta.url);
/* clients on each system's own library (see load/library-client.mjs) */
const LIBRARY_CLIENT = new URL("../load/library-client.mjs", import.meta.url);

/** `pingInterval` (ms) replaces the system's default heartbeat period where it has one. */
export async function startServer(system, { redisPort, name, pingInterval } = {}) {
  const execArgv = ["--expose-gc"];
  const child = new Child(SERVER, {
    args: [JSON.stringify({ system, host: "127.0.0.1", redisPort, pingInterval })],
    execArgv,
    name: `${name ?? system} server`,
  });
  const ready = await Promise.race([child.once("ready"), child.exit.then(() => { throw new Error(`${system} server died on start`); })]);
  child.port = ready.port;
  child.fdLimit = ready.fdLimit;
  return child;
}

/**
 * Forks `processes` client processes sharing `count` connections, connects them all and waits
 * until the server reports every connection in place. `library`: the clients run the system's own
 * client library (library-client.mjs) instead of speaking its wire protocol over bare ws.
 */
export async function startClients(system, server, count, { processes = 1, rooms, localAddresses, timeoutMs = 60_000, expectOnServer = true, concurrency, library = false } = {}) {
  const children = [];
  const share = Math.ceil(count / processes);
  for (let p = 0, left = count; p < processes && left > 0; p++, left -= share) {
    const n = Math.min(share, left);
    const child = new Child(library ? LIBRARY_CLIENT : CLIENT, {
      args: [JSON.stringify({ system, url: `ws://127.0.0.1:${server.port}`, count: n, rooms, localAddresses, concurrency })],
      name: `${system} clients #${p}`,
    });
    children.push(child);
  }
  await Promise.all(children.map((c) => c.once("started")));
  const results = await Promise.all(children.map((c) => c.request("connect")));
  const failed = results.reduce((a, r) => a + r.failed, 0);
  if (failed > 0 && expectOnServer) {
    throw new Error(`${system}: ${failed} of ${count} connections failed (${results.find((r) => r.lastError)?.lastError})`);
  }
  if (expectOnServer) {
    await waitFor(async () => (await server.request("stats")).connections >= count, timeoutMs, `${system}: ${count} connections on the server`, 100);
  }
  return { children, failed, lastError: results.find((r) => r.lastError)?.lastError };
}

export async function stopAll(children) {
  await Promise.all(children.filter(Boolean).map((c) => c.stop()));
}

/**
 * Runs the measured phase `fn`, with the server's CPU profiler on when profiling was asked for:
 * only the phase is profiled, not process start-up or connection set-up.
 */
export async function measured(server, ctx, name, fn) {
  if (!ctx?.profileDir) return fn();
  await server.request("profileStart");
  try {
    return await fn();
  } finally {
    await server.request("profileStop", { file: join(ctx.profileDir, `${name}.cpuprofile`) }).catch(() => {});
  }
}
