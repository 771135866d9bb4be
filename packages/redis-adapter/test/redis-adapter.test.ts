import { PartialResponseError } from "@roomcast/core";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, RedisBus } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, sleep, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { redisForTest } from "./support/redis-server.js";

let redis: Awaited<ReturnType<typeof redisForTest>>;
let nodes: RedisNode[] = [];
let clients: RecordingClient[] = [];

beforeAll(async () => {
  redis = await redisForTest(true);
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  for (const client of clients) client.socket.disconnect();
  await Promise.allSettled(nodes.map(stopNode));
  nodes = [];
  clients = [];
});

/** `count` nodes on one Redis, each with its own prefix-isolated pair of clients. */
async function startCluster(count: number, prefix: string, opts = {}): Promise<RedisNode[]> {
  for (let i = 0; i < count; i++) {
    const pub = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    const sub = pub.duplicate();
    nodes.push(await startNode(createAdapter(pub, sub, { prefix, logger: quietLogger, ...opts }), [pub, sub]));
  }
  for (const node of nodes) await waitFor(async () => (await node.adapter().serverCount()) === count, "every node to see the others");
  return nodes;
}

async function client(node: number, rooms: string[] = []): Promise<RecordingClient> {
  const c = await recordingClient(nodes[node].port, rooms);
  clients.push(c);
  return c;
}

/** Waits until room subscriptions made by joins have reached Redis. */
async function subscriptionsSettled(prefix: string, room: string, expected: number): Promise<void> {
  const probe = new Redis(redis.url);
  try {
    await waitFor(async () => {
      const [, count] = (await probe.pubsub("NUMSUB", `${prefix}#/#${room}#`)) as [string, number];
      return Number(count) === expected;
    }, `${expected} subscriber(s) of ${room}`);
  } finally {
    probe.disconnect();
  }
}

describe("createAdapter (Redis pub/sub), 3 nodes", () => {
  it("delivers a room broadcast to each member on each node exactly once", async () => {
    const prefix = `t${Date.now()}a`;
    await startCluster(3, prefix);
    const members = [await client(0, ["room"]), await client(1, ["room"]), await client(2, ["room"]), await client(2, ["room", "x"])];
    const outsider = await client(1, ["x"]);
    await subscriptionsSettled(prefix, "room", 3);
    nodes[1].io.to("room").emit("hello", { from: 1 });
    nodes[2].io.to(["room", "x"]).emit("multi");
    await waitFor(() => members.every((m) => m.count("hello") === 1 && m.count("multi") === 1), "deliveries");
    await waitFor(() => outsider.count("multi") === 1, "multi-room delivery");
    await sleep(100);
    expect(members.map((m) => m.events.length)).toEqual([2, 2, 2, 2]);
    expect(outsider.count("hello")).toBe(0);
  });

  it("aggregates acks, fetches remote sockets and runs serverSideEmit across nodes", async () => {
    await startCluster(3, `t${Date.now()}b`);
    const a = await client(0, ["r"]);
    const b = await client(2, ["r"]);
    a.socket.on("poll", (cb: (r: string) => void) => cb("a"));
    b.socket.on("poll", (cb: (r: string) => void) => cb("b"));
    const replies = await nodes[1].io.to("r").timeout(3000).emitWithAck("poll");
    expect([...replies].sort()).toEqual(["a", "b"]);
    const sockets = await nodes[1].io.in("r").fetchSockets();
    expect(sockets.map((s) => s.id).sort()).toEqual([a.socket.id, b.socket.id].sort());
    nodes.forEach((node, i) => node.io.of("/").on("whoami" as never, ((reply: (n: number) => void) => reply(i)) as never));
    expect([...(await nodes[0].io.serverSideEmitWithAck("whoami" as never))].sort()).toEqual([1, 2]);
  });

  it("fails a request to a node that stopped answering with a partial result", async () => {
    await startCluster(3, `t${Date.now()}c`, { requestsTimeout: 1000 });
    // Cut node 2's subscriber: it stays in serverCount but hears nothing.
    const ended = new Promise((resolve) => nodes[2].clients[1].once("end", resolve));
    nodes[2].clients[1].disconnect();
    await ended;
    const err = await nodes[0].io.fetchSockets().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialResponseError);
    expect((err as PartialResponseError).data.missing).toEqual([nodes[2].adapter().uid]);
  });

  it("subscribes a node to a room only while it has members in it (counted)", async () => {
    const prefix = `t${Date.now()}d`;
    await startCluster(3, prefix);
    const channel = `${prefix}#/#sports#`;
    const heard = [0, 0, 0];
    nodes.forEach((node, i) =>
      node.clients[1].on("messageBuffer", (ch: Buffer) => {
        if (ch.toString() === channel) heard[i]++;
      }),
    );
    const fan = await client(1, ["sports"]);
    await client(2, ["chess"]);
    await subscriptionsSettled(prefix, "sports", 1);
    for (let i = 0; i < 10; i++) nodes[0].io.to("sports").emit("score", i);
    await waitFor(() => fan.count("score") === 10, "deliveries");
    await sleep(100);
    expect(heard).toEqual([0, 10, 0]);
    fan.socket.disconnect();
    await subscriptionsSettled(prefix, "sports", 0);
    nodes[0].io.to("sports").emit("score", 99);
    await sleep(100);
    expect(heard).toEqual([0, 10, 0]);
  });

  it("subscribes safely while the subscriber is between connect and ready", async () => {
    const pub = new Redis(redis.url);
    const sub = new Redis(redis.url);
    try {
      const bus = new RedisBus(pub, sub, "classic", { logger: quietLogger });
      const got: string[] = [];
      // The window in which ioredis would write SUBSCRIBE before its ready check's INFO.
      const subscribed = new Promise<void>((resolve) =>
        sub.once("connect", () => void Promise.resolve(bus.subscribe("race#", (payload) => got.push(Buffer.from(payload).toString()))).then(resolve)),
      );
      await subscribed;
      bus.publish("race#", Buffer.from("through"), false);
      await waitFor(() => got.length === 1, "the message");
      expect(got).toEqual(["through"]);
      expect(bus.metrics.errors).toBe(0);
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  });
});
