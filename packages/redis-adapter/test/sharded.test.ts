import { Cluster, type Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShardedAdapter, Emitter } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, sleep, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { RedisClusterServer } from "./support/redis-server.js";

let redisCluster: RedisClusterServer;
const nodes: RedisNode[] = [];
const clients: RecordingClient[] = [];
const extra: Cluster[] = [];

beforeAll(async () => {
  redisCluster = await RedisClusterServer.start(3);
  for (let i = 0; i < 3; i++) {
    const pub = new Cluster(redisCluster.startupNodes);
    const sub = new Cluster(redisCluster.startupNodes, { shardedSubscribers: true });
    nodes.push(await startNode(createShardedAdapter(pub, sub, { logger: quietLogger }), [pub as unknown as Redis, sub as unknown as Redis]));
  }
  for (const node of nodes) await waitFor(async () => (await node.adapter().serverCount()) === 3, "every node to see the others", 15_000);
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.socket.disconnect();
  await Promise.allSettled(nodes.map(stopNode));
  for (const cluster of extra) cluster.disconnect();
  await redisCluster?.stop();
});

/** Room names whose channels fall in different hash slots (so on different shards). */
const ROOMS = ["alpha", "bravo", "charlie", "delta", "echo"];

describe("createShardedAdapter on a Redis Cluster with 3 masters", () => {
  it("delivers room broadcasts across nodes once, whatever shard owns the room", async () => {
    const members = [await recordingClient(nodes[0].port, ROOMS), await recordingClient(nodes[1].port, ROOMS.slice(0, 3)), await recordingClient(nodes[2].port, ROOMS.slice(2))];
    clients.push(...members);
    // Sharded subscriptions are per shard; let them land before publishing.
    await sleep(300);
    // The room channels really are spread over the shards.
    const channels = ROOMS.map((room) => `roomcast#/#${room}#`);
    const perMaster = await Promise.all(
      redisCluster.nodes.map(async (master) => {
        const reply = (await master.cli("pubsub", "shardnumsub", ...channels)).trim().split("\n");
        let subscribed = 0;
        for (let i = 1; i < reply.length; i += 2) if (Number(reply[i]) > 0) subscribed++;
        return subscribed;
      }),
    );
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(ROOMS.length);
    expect(perMaster.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    for (const room of ROOMS) nodes[1].io.to(room).emit("in", room);
    const expected = [ROOMS, ROOMS.slice(0, 3), ROOMS.slice(2)];
    await waitFor(() => members.every((m, i) => m.count("in") === expected[i].length), "deliveries", 10_000);
    nodes[2].io.to(["alpha", "echo"]).emit("multi");
    await waitFor(() => members.every((m) => m.count("multi") === 1), "multi-room deliveries", 10_000);
    await sleep(150);
    expect(members.map((m) => m.events.map((e) => e[1] ?? e[0]).sort())).toEqual(expected.map((rooms) => [...rooms, "multi"].sort()));
  });

  it("runs requests (fetchSockets, serverSideEmit) over sharded channels", async () => {
    const sockets = await nodes[0].io.fetchSockets();
    expect(sockets.length).toBe(clients.length);
    nodes.forEach((node, i) => node.io.of("/").on("ping-node" as never, ((reply: (n: number) => void) => reply(i)) as never));
    expect([...(await nodes[2].io.serverSideEmitWithAck("ping-node" as never))].sort()).toEqual([0, 1]);
  });

  it("lets an Emitter in sharded mode reach the cluster's rooms", async () => {
    const client = new Cluster(redisCluster.startupNodes);
    extra.push(client);
    const emitter = new Emitter(client, { mode: "sharded" });
    emitter.to("delta").emit("from-emitter", 1);
    await waitFor(() => clients[0].count("from-emitter") === 1 && clients[2].count("from-emitter") === 1, "emitter deliveries", 10_000);
    expect(clients[1].count("from-emitter")).toBe(0);
  });
});
