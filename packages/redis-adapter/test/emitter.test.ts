import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, Emitter } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { redisForTest } from "./support/redis-server.js";

let redis: Awaited<ReturnType<typeof redisForTest>>;
const nodes: RedisNode[] = [];
const clients: RecordingClient[] = [];
let emitterClient: Redis;
let emitter: Emitter;
const prefix = `emitter${Date.now()}`;

beforeAll(async () => {
  redis = await redisForTest(true);
  for (let i = 0; i < 2; i++) {
    const pub = new Redis(redis.url);
    const sub = pub.duplicate();
    const node = await startNode(createAdapter(pub, sub, { prefix, logger: quietLogger }), [pub, sub]);
    node.io.of("/admin");
    nodes.push(node);
  }
  clients.push(await recordingClient(nodes[0].port, ["a"]), await recordingClient(nodes[1].port, ["a", "b"]), await recordingClient(nodes[1].port, ["c"]));
  // A process with no server and no sockets: only a Redis connection.
  emitterClient = new Redis(redis.url);
  emitter = new Emitter(emitterClient, { prefix });
  await waitFor(async () => Number(((await emitterClient.pubsub("NUMSUB", `${prefix}#/#a#`)) as [string, number])[1]) === 2, "room subscriptions");
});

afterAll(async () => {
  for (const client of clients) client.socket.disconnect();
  await emitter?.close();
  await Promise.allSettled(nodes.map(stopNode));
  emitterClient?.disconnect();
  await redis?.stop();
});

describe("Emitter", () => {
  it("emits to rooms on every node, honouring except", async () => {
    emitter.to("a").except("b").emit("news", { n: 1 });
    emitter.emit("everyone");
    await waitFor(() => clients.every((c) => c.count("everyone") === 1), "broadcast to all");
    expect(clients.map((c) => c.count("news"))).toEqual([1, 0, 0]);
    expect(clients[0].events.find((e) => e[0] === "news")).toEqual(["news", { n: 1 }]);
  });

  it("reaches a single socket by id", async () => {
    emitter.to(clients[2].socket.id!).emit("dm", "psst");
    await waitFor(() => clients[2].count("dm") === 1, "direct message");
    expect(clients[0].count("dm") + clients[1].count("dm")).toBe(0);
  });

  it("makes sockets join and leave rooms, and disconnects them", async () => {
    emitter.in("c").socketsJoin("vip");
    await waitFor(() => nodes[1].io.of("/").adapter.rooms.get("vip")?.size === 1, "join");
    emitter.to("vip").emit("vip-only");
    await waitFor(() => clients[2].count("vip-only") === 1, "vip delivery");
    emitter.in("vip").socketsLeave("vip");
    await waitFor(() => !nodes[1].io.of("/").adapter.rooms.has("vip"), "leave");
    emitter.in("c").disconnectSockets();
    await waitFor(() => !clients[2].socket.connected, "disconnect");
    expect(clients[0].socket.connected && clients[1].socket.connected).toBe(true);
  });

  it("runs serverSideEmit listeners of every node and targets other namespaces", async () => {
    const heard: string[] = [];
    nodes.forEach((node, i) => node.io.of("/admin").on("audit" as never, ((what: string) => heard.push(`${i}:${what}`)) as never));
    emitter.of("/admin").serverSideEmit("audit", "login");
    await waitFor(() => heard.length === 2, "server-side listeners");
    expect(heard.sort()).toEqual(["0:login", "1:login"]);
    expect(() => emitter.emit("x", () => {})).toThrow(/acks/);
    expect(() => emitter.emit("connect")).toThrow(/reserved/);
    expect(emitter.metrics.publishFailures).toBe(0);
  });

  it("holds nothing after a membership change that no node hears", async () => {
    const client = new Redis(redis.url);
    const lonely = new Emitter(client, { prefix: `${prefix}-nobody`, orderingTimeout: 60_000, logger: quietLogger });
    try {
      lonely.in("a").socketsJoin("b");
      lonely.to("b").emit("after-join");
      expect(lonely.metrics.heldOperations).toBeGreaterThan(0);
      // The PUBLISH of the join reached no subscriber: nobody will confirm it, and nothing waits.
      await waitFor(() => lonely.metrics.heldOperations === 0, "the held emit to go out");
      expect(lonely.metrics).toMatchObject({ orderingHolds: 1, orderingTimeouts: 0 });
    } finally {
      await lonely.close();
      client.disconnect();
    }
  });

  it("subscribes for confirmations on its first join only, and close() releases that connection", async () => {
    const client = new Redis(redis.url);
    const own = new Emitter(client, { prefix, logger: quietLogger });
    const responseChannels = async () => (await client.pubsub("CHANNELS", `${prefix}-response#/#emitter-*`)) as string[];
    const before = await responseChannels();
    try {
      own.to("a").emit("plain");
      own.in("c").socketsLeave("nothing");
      expect(await responseChannels()).toEqual(before);
      own.in("c").socketsJoin("confirmed");
      await waitFor(async () => (await responseChannels()).length === before.length + 1, "the response subscription");
      await waitFor(() => own.metrics.orderingHolds === 1 && own.metrics.heldOperations === 0, "the join's confirmations");
      await own.close();
      await waitFor(async () => (await responseChannels()).length === before.length, "the subscriber to go");
      expect(own.metrics.orderingTimeouts).toBe(0);
    } finally {
      await own.close();
      client.disconnect();
    }
  });
});
