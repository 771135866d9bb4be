import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Server } from "@roomcast/core";
import { Cluster, type Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createShardedAdapter, createStreamsStore, type RedisStreamsStore } from "../src/index.js";
import { closeClients, connected, numbers, range, trackedClient, type TrackedClient } from "./support/recovery-clients.js";
import { quietLogger, sleep, waitFor } from "./support/redis-nodes.js";
import { RedisClusterServer } from "./support/redis-server.js";
import { heardOn, type Heard, joinRoomsOnRequest, readStreamWith } from "./support/scoped-nodes.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/*
 * The same room-scoped delivery on a Redis Cluster, next to the sharded adapter (SPUBLISH per
 * room). The store's own channels stay classic pub/sub: its scripts run on the shard that owns the
 * namespace's keys and PUBLISH there, and the cluster bus carries each message to the node every
 * subscriber connection is on, in the order that shard published it (docs/RECOVERY.md).
 */

let cluster: RedisClusterServer;
const cleanups: (() => Promise<void> | void)[] = [];
let prefixes = 0;

beforeAll(async () => {
  cluster = await RedisClusterServer.start(3);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface ClusterNode {
  name: string;
  io: Server;
  url: string;
  port: number;
  store(): RedisStreamsStore;
  storeHeard: Heard;
}

/** A node with the sharded adapter and the streams store, each on clients of their own; `prefix` keeps tests apart. */
async function clusterNode(name: string, prefix: string): Promise<ClusterNode> {
  const pub = new Cluster(cluster.startupNodes);
  const sub = new Cluster(cluster.startupNodes, { shardedSubscribers: true });
  const storeClient = new Cluster(cluster.startupNodes);
  const storeHeard: Heard = new Map();
  const duplicate = storeClient.duplicate.bind(storeClient);
  const copies: Cluster[] = [];
  // the store's subscriber is a duplicate of its client: listen to what it reads
  storeClient.duplicate = (...args: Parameters<Cluster["duplicate"]>) => {
    const copy = duplicate(...args);
    copy.on("messageBuffer", (channel: Buffer) => storeHeard.set(channel.toString(), (storeHeard.get(channel.toString()) ?? 0) + 1));
    copies.push(copy);
    return copy;
  };
  const io = new Server(0, {
    adapter: createShardedAdapter(pub as unknown as Redis, sub as unknown as Redis, { prefix, logger: quietLogger, heartbeatInterval: 500 }),
    logger: quietLogger,
    socketio: true,
    connectionStateRecovery: { store: createStreamsStore(storeClient as unknown as Redis, { prefix }) },
  });
  joinRoomsOnRequest(io);
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  const store = (): RedisStreamsStore => io.sockets.recovery!.store as RedisStreamsStore;
  await store().ready;
  cleanups.push(async () => {
    await io.close();
    for (const client of [pub, sub, storeClient, ...copies]) client.disconnect();
  });
  const port = (http.address() as AddressInfo).port;
  return { name, io, port, url: `http://127.0.0.1:${port}`, store, storeHeard };
}

async function threeNodes(): Promise<{ nodes: ClusterNode[]; prefix: string }> {
  const prefix = `scoped${++prefixes}`;
  return { nodes: await Promise.all(["a", "b", "c"].map((name) => clusterNode(name, prefix))), prefix };
}

/** The values of the namespace's stream, in its order, that went to any of `rooms`. */
async function streamValues(prefix: string, rooms: string[]): Promise<number[]> {
  const probe = new Cluster(cluster.startupNodes);
  try {
    const entries = await readStreamWith(probe as unknown as Redis, prefix);
    return entries.filter((entry) => entry.rooms.some((room) => rooms.includes(room))).map((entry) => entry.value as number);
  } finally {
    probe.disconnect();
  }
}

function client(kind: "roomcast" | "socket.io", url: string, rooms: string[], label: string): TrackedClient {
  const tracked = trackedClient(kind, url, rooms, label);
  cleanups.push(() => closeClients([tracked]));
  return tracked;
}

describe("room-scoped delivery with the Redis Streams store on a Redis Cluster (sharded adapter)", () => {
  it("reaches only the nodes with members in the room, once each and in order", { timeout: 30_000 }, async () => {
    const {
      nodes: [a, b, c],
      prefix,
    } = await threeNodes();
    const members = [client("roomcast", a.url, ["r"], "a-r"), client("socket.io", c.url, ["r", "s"], "c-r+s")];
    const bystander = client("socket.io", b.url, ["s"], "b-s");
    await connected([...members, bystander]);
    await waitFor(() => [a, b, c].every((n) => n.store().metrics.roomChannels >= 1), "the room channels");
    await sleep(200);

    for (const n of range(0, 100)) (n % 2 === 0 ? a : b).io.to(n % 10 === 9 ? ["r", "s"] : ["r"]).emit("n", n);
    await waitFor(() => members.every((m) => m.received.length === 100), "the room's packets at its members");
    await waitFor(() => bystander.received.length === 10, "the packets to both rooms at b");
    await sleep(200);
    // two origins: the stream's order, whatever order the appends reached Redis in
    const order = await streamValues(prefix, ["r", "s"]);
    expect([...order].sort((x, y) => x - y)).toEqual(range(0, 100));
    for (const member of members) expect(numbers(member.received)).toEqual(order);
    expect(numbers(bystander.received)).toEqual(order.filter((n) => n % 10 === 9));
    expect(heardOn(b.storeHeard, (channel) => channel.endsWith("#packets#r#"))).toBe(0);
    expect(b.store().metrics.heard).toBe(10);
  });

  it("catches up a room its node subscribes to late, and a resume across nodes gets everything once", { timeout: 30_000 }, async () => {
    const {
      nodes: [a, b, c],
    } = await threeNodes();
    const proxy = await TcpProxy.start(a.port);
    cleanups.push(() => proxy.close());
    const mover = client("socket.io", `http://127.0.0.1:${proxy.port}`, ["r"], "mover");
    const joiner = client("socket.io", b.url, [], "joiner");
    await connected([mover, joiner]);
    let next = 0;
    const timer = setInterval(() => c.io.to("r").emit("n", next++), 3);
    cleanups.push(() => clearInterval(timer));
    await waitFor(() => mover.received.length >= 20, "live traffic");

    await joiner.socket.timeout(5000).emitWithAck("join", "r");
    const afterJoin = next;
    proxy.point(b.port);
    proxy.cut();
    await waitFor(() => mover.connects.length === 2 && mover.socket.connected, "the resume on b");
    expect(mover.connects[1].recovered).toBe(true);
    await waitFor(() => next >= afterJoin + 100, "traffic after the join and the resume");
    clearInterval(timer);
    const last = next - 1;
    await waitFor(() => mover.received.at(-1) === last && joiner.received.at(-1) === last, "the last packet");
    await sleep(100);
    expect(numbers(mover.received)).toEqual(range(0, last + 1));
    const joined = numbers(joiner.received);
    expect(joined[0]).toBeLessThanOrEqual(afterJoin);
    expect(joined).toEqual(range(joined[0], last + 1));
  });
});
