import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { recordingClient, type RecordingClient, type RedisNode, sleep, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";

// This file kills its Redis, so it never uses a shared REDIS_URL.
let server: RedisServer;
const nodes: RedisNode[] = [];
const clients: RecordingClient[] = [];
const warnings: string[] = [];
const logger = { warn: (message: string) => warnings.push(message) };

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  for (const client of clients) client.socket.disconnect();
  await Promise.allSettled(nodes.map(stopNode));
  await server?.kill();
});

describe("Redis killed and restarted during traffic", () => {
  it("keeps every node up, resubscribes, resumes broadcasts and counts the losses", async () => {
    for (let i = 0; i < 3; i++) {
      const pub = new Redis(server.url, { maxRetriesPerRequest: 2, retryStrategy: (times) => Math.min(times * 100, 500) });
      const sub = new Redis(server.url, { retryStrategy: (times) => Math.min(times * 100, 500) });
      nodes.push(await startNode(createAdapter(pub, sub, { logger }), [pub, sub]));
    }
    for (const node of nodes) await waitFor(async () => (await node.adapter().serverCount()) === 3, "cluster");
    for (const node of nodes) clients.push(await recordingClient(node.port, ["live"]));
    await waitFor(async () => Number(((await server.cli("pubsub", "numsub", "roomcast#/#live#")).split("\n")[1] ?? "0")) === 3, "room subscriptions");

    let sequence = 0;
    const traffic = setInterval(() => {
      nodes[0].io.to("live").emit("tick", ++sequence);
      nodes[1].io.volatile.to("live").emit("volatile-tick", sequence);
    }, 25);
    try {
      await waitFor(() => clients.every((c) => c.count("tick") >= 3), "traffic before the outage");

      await server.kill();
      await sleep(1000);
      await server.restart();

      // Broadcasts resume once the clients are back and subscribed again (a room channel, so
      // this proves the resubscription too).
      const resumedFrom = sequence;
      await waitFor(
        () => clients.every((c) => c.events.some((e) => e[0] === "tick" && (e[1] as number) > resumedFrom + 2)),
        "broadcasts to resume on every node",
        15_000,
      );
    } finally {
      clearInterval(traffic);
    }

    const transport = nodes.map((node) => node.adapter().metrics.transport);
    expect(transport.every((t) => t.errors > 0 && t.reconnects >= 1)).toBe(true);
    const lost0 = transport[0].publishFailures + transport[0].dropped + transport[0].queuedWhileDown;
    const lost1 = transport[1].publishFailures + transport[1].dropped + transport[1].queuedWhileDown;
    expect(lost0).toBeGreaterThan(0);
    expect(transport[1].dropped).toBeGreaterThan(0); // volatile ticks are dropped while Redis is down
    expect(lost1).toBeGreaterThan(0);
    expect(warnings.some((w) => w.includes("lost"))).toBe(true);
    expect(warnings.some((w) => w.includes("connection restored"))).toBe(true);
    // The cluster is whole again.
    for (const node of nodes) expect(await node.adapter().serverCount()).toBe(3);
  });
});
