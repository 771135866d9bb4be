import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "@roomcast/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter, createStreamsStore } from "../src/index.js";
import { closeClients, connected, range, trackedClient, type TrackedClient } from "./support/recovery-clients.js";
import { quietLogger, sleep, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";

/*
 * A Redis outage with connection-state recovery on (docs/RECOVERY.md, "Redis outages"): the
 * test's own redis-server is killed for 3 seconds while two nodes broadcast, then started again.
 * Every client that stays connected ends with every event, or is told it missed some: a forced
 * resynchronisation (close 4005) after which it comes back with recovered === false.
 */

const OUTAGE_MS = 3000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface PacedNode {
  name: string;
  io: Server;
  port: number;
  /** What the node logged as warnings. */
  warnings: string[];
  /** The next number this node's pacer would send. */
  next: number;
  startPacing(): void;
  stopPacing(): void;
}

/**
 * A node that broadcasts `{ from: name, n }` to "room" every 20 ms once started. `maxRetriesPerRequest`: node
 * "a" lets ioredis fail its commands during the outage (the store's own queue retries them), node
 * "b" keeps ioredis's default (commands wait in ioredis's queue).
 */
async function startNode(name: string, redisUrl: string, maxRetriesPerRequest: number | undefined, maxPackets: number | undefined): Promise<PacedNode> {
  const pub = new Redis(redisUrl, maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest });
  const sub = pub.duplicate();
  const warnings: string[] = [];
  const io = new Server(0, {
    adapter: createAdapter(pub, sub, { logger: quietLogger }),
    logger: { warn: (message: string) => warnings.push(message), error: () => {} },
    socketio: true,
    connectionStateRecovery: { store: createStreamsStore(pub), maxPackets },
  });
  io.on("connection", (socket) => {
    if (!socket.recovered) socket.join("room");
  });
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  await (io.sockets.recovery!.store as unknown as { ready: Promise<void> }).ready;
  let timer: NodeJS.Timeout | undefined;
  const node: PacedNode = {
    name,
    io,
    port: (http.address() as AddressInfo).port,
    warnings,
    next: 0,
    startPacing: () => (timer = setInterval(() => io.to("room").emit("n", { from: name, n: node.next++ }), 20)),
    stopPacing: () => clearInterval(timer),
  };
  cleanups.push(async () => {
    clearInterval(timer);
    await io.close();
    pub.disconnect();
    sub.disconnect();
  });
  return node;
}

type Sent = { from: string; n: number };

/** The numbers one sender's events carry in `values`. */
function from(values: unknown[], sender: string): number[] {
  return (values as Sent[]).filter((value) => value.from === sender).map((value) => value.n);
}

/** Runs traffic through an outage of the test's redis-server; returns the clients and the nodes. */
async function outage(redis: RedisServer, maxPackets?: number): Promise<{ clients: TrackedClient[]; nodes: PacedNode[] }> {
  const nodes = [await startNode("a", redis.url, 1, maxPackets), await startNode("b", redis.url, undefined, maxPackets)];
  const clients: TrackedClient[] = [];
  for (let i = 0; i < 6; i++) {
    const node = nodes[i % 2];
    clients.push(trackedClient(i % 3 === 2 ? "socket.io" : "roomcast", `http://127.0.0.1:${node.port}`, [], `client ${i} on ${node.name}`));
  }
  cleanups.push(() => closeClients(clients));
  await connected(clients);
  for (const node of nodes) node.startPacing();
  await waitFor(() => clients.every((c) => from(c.received, "a").length >= 10 && from(c.received, "b").length >= 10), "traffic before the outage");

  await redis.kill();
  await sleep(OUTAGE_MS);
  await redis.restart();
  // traffic goes on after Redis is back: wait for events sent from now on to reach everyone
  const marks = nodes.map((node) => node.next + 25);
  await waitFor(() => clients.every((c) => nodes.every((node, i) => from(c.received, node.name).some((n) => n >= marks[i]))), "traffic after the outage", 20_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(clients.map((c) => ({ label: c.label, connects: c.connects, a: from(c.received, "a").slice(-3), b: from(c.received, "b").slice(-3) })))} marks ${marks}`);
  });
  for (const node of nodes) node.stopPacing();
  const lasts = nodes.map((node) => node.next - 1);
  await waitFor(() => clients.every((c) => nodes.every((node, i) => from(c.received, node.name).includes(lasts[i]))), "the last events", 10_000);
  await sleep(200);
  return { clients, nodes };
}

describe("a Redis outage with recovery on", () => {
  it("delivers every event late, once and in order, when Redis comes back with its data", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "roomcast-outage-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const redis = await RedisServer.start(["--appendonly", "yes", "--appendfsync", "always"], dir);
    cleanups.push(() => redis.kill());
    const { clients, nodes } = await outage(redis);
    for (const client of clients) {
      expect(client.connects.length, client.label).toBe(1);
      for (const node of nodes) expect(from(client.received, node.name), `${client.label}, from ${node.name}`).toEqual(range(0, node.next));
    }
    for (const node of nodes) expect(node.io.sockets.recovery!.stats.resynced, node.name).toBe(0);
  });

  it("tells every client that missed events, when Redis comes back without its data: it resynchronises with recovered === false", { timeout: 60_000 }, async () => {
    const redis = await RedisServer.start();
    cleanups.push(() => redis.kill());
    const { clients, nodes } = await outage(redis);
    expectToldOrComplete(clients, nodes);
  });

  it("tells the clients of the events a node could not keep waiting for Redis (over maxPackets), though Redis kept its data", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "roomcast-outage-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const redis = await RedisServer.start(["--appendonly", "yes", "--appendfsync", "always"], dir);
    cleanups.push(() => redis.kill());
    // 150 events per node go out during the outage: 40 wait, the rest are dropped
    const { clients, nodes } = await outage(redis, 40);
    expectToldOrComplete(clients, nodes);
    for (const node of nodes) expect(node.warnings.some((warning) => warning.includes("events are being dropped")), node.name).toBe(true);
    // the gap markers reached both nodes
    for (const node of nodes) expect(node.warnings.filter((warning) => warning.includes("a node lost events while Redis was unreachable")).length, node.name).toBeGreaterThan(0);
  });
});

/** Each client has every event, or was resynchronised (recovered === false); within a session nothing is missing or doubled. */
function expectToldOrComplete(clients: TrackedClient[], nodes: PacedNode[]): void {
  let resynchronised = 0;
  for (const client of clients) {
    const complete = nodes.every((node) => from(client.received, node.name).join() === range(0, node.next).join());
    const resumed = client.connects.slice(1);
    // a client either has everything, or came back with a fresh session (and knows it)
    if (!complete) expect(resumed.some((connect) => !connect.recovered), `${client.label} missed events without being told`).toBe(true);
    resynchronised += resumed.filter((connect) => !connect.recovered).length;
    // within each session, each sender's events come once, in order, with no hole
    const bounds = [...client.sessionStarts, client.received.length];
    for (let s = 0; s + 1 < bounds.length; s++) {
      const session = client.received.slice(bounds[s], bounds[s + 1]);
      for (const node of nodes) {
        const got = from(session, node.name);
        if (got.length > 0) expect(got, `${client.label}, session ${s}, from ${node.name}`).toEqual(range(got[0], got[0] + got.length));
      }
    }
  }
  // each resynchronisation (close 4005) ends in one fresh session
  expect(resynchronised).toBeGreaterThan(0);
  expect(nodes.reduce((sum, node) => sum + node.io.sockets.recovery!.stats.resynced, 0)).toBe(resynchronised);
}
