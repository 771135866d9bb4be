import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingClient, type RecordingClient, waitFor } from "./support/redis-nodes.js";
import { redisForTest } from "./support/redis-server.js";

/*
 * The nodes run from the built packages (dist), as in production. CI builds before testing;
 * locally run `pnpm turbo run build --filter=@roomcast/redis-adapter...` first.
 */
const packages = fileURLToPath(new URL("../../", import.meta.url));
const built = ["protocol", "core", "redis-adapter", "client"].every((name) => existsSync(`${packages}${name}/dist/index.js`));
const script = fileURLToPath(new URL("./support/cluster-node.mjs", import.meta.url));
if (!built) console.warn("multi-process test skipped: build the packages first (pnpm turbo run build)");

let redis: Awaited<ReturnType<typeof redisForTest>>;
const children: ChildProcess[] = [];
const ports: number[] = [];
const clients: RecordingClient[] = [];

function startChild(): Promise<number> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, REDIS_URL: redis.url, PREFIX: `mp${process.pid}`, HEARTBEAT_INTERVAL: "200", HEARTBEAT_TIMEOUT: "1200" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  // A failed teardown must not leave node processes behind.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("node process did not start")), 15_000);
    child.once("exit", (code) => reject(new Error(`node process exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
}

function ask<T>(client: RecordingClient, event: string, ...args: unknown[]): Promise<T> {
  return client.socket.timeout(3000).emitWithAck(event, ...args) as Promise<T>;
}

describe.skipIf(!built)("nodes as separate processes over Redis", () => {
  beforeAll(async () => {
    redis = await redisForTest(true);
    for (let i = 0; i < 3; i++) ports.push(await startChild());
    for (const port of ports) clients.push(await recordingClient(port, ["hall"]));
    for (const client of clients) await waitFor(async () => (await ask<number>(client, "server-count").catch(() => 0)) === 3, "3 nodes", 10_000);
  }, 40_000);

  afterAll(async () => {
    for (const client of clients) client.socket.disconnect();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 3000).unref();
          }),
      ),
    );
    await redis?.stop();
  });

  it("delivers a broadcast from one process to clients of every process once", async () => {
    clients[1].socket.emit("say", "hall", "hello from node 1");
    await waitFor(() => clients.every((c) => c.count("said") === 1), "deliveries");
    expect(clients.map((c) => (c.events[0][1] as { text: string }).text)).toEqual(Array(3).fill("hello from node 1"));
    expect(await ask<number>(clients[0], "count-room", "hall")).toBe(3);
  });

  it("drops a killed process from serverCount on the others", async () => {
    children[2].kill("SIGKILL");
    // Each survivor notices on its own heartbeat clock, so wait for both.
    for (const survivor of [clients[0], clients[1]]) {
      await waitFor(async () => (await ask<number>(survivor, "server-count").catch(() => 0)) === 2, "serverCount 2", 15_000);
    }
    expect(await ask<number>(clients[0], "server-count")).toBe(2);
  }, 40_000);
});
