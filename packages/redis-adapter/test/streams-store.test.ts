import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { Redis } from "ioredis";
import { createAdapter, createStreamsStore } from "../src/index.js";
import { quietLogger, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";
import { TcpProxy } from "./support/tcp-proxy.js";

interface RecoveryNode {
  io: Server;
  port: number;
  close(): Promise<void>;
}

let redis: RedisServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  // small stream nodes, so that `MAXLEN ~` trims after a few dozen entries in the trimming test
  redis = await RedisServer.start(["--stream-node-max-entries", "4"]);
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server with the Redis adapter and the streams store; sockets join `auth.rooms` on a fresh session. */
async function startNode(maxPackets?: number): Promise<RecoveryNode> {
  const pub = new Redis(redis.url);
  const sub = pub.duplicate();
  const io = new Server(0, {
    adapter: createAdapter(pub, sub, { logger: quietLogger, heartbeatInterval: 500 }),
    logger: quietLogger,
    connectionStateRecovery: { store: createStreamsStore(pub), maxPackets },
  });
  io.on("connection", (socket) => {
    if (socket.recovered) return;
    const auth = socket.handshake.auth as { rooms?: string[] };
    if (auth.rooms) socket.join(auth.rooms);
    socket.data = { joinedAt: auth.rooms };
  });
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  // the store hears the namespace's packets before the test sends any
  await (io.sockets.recovery!.store as unknown as { ready: Promise<void> }).ready;
  let closed = false;
  const node: RecoveryNode = {
    io,
    port: (http.address() as AddressInfo).port,
    close: async () => {
      if (closed) return;
      closed = true;
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
  cleanups.push(node.close);
  return node;
}

async function startProxy(target: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(target);
  cleanups.push(() => proxy.close());
  return proxy;
}

function client(port: number, rooms: string[]): { socket: ClientSocket; received: number[] } {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, auth: { rooms }, reconnectionDelay: 50, reconnectionDelayMax: 100 });
  cleanups.push(() => {
    socket.disconnect();
    socket.io.close();
  });
  const received: number[] = [];
  socket.on("n", (n: number) => received.push(n));
  return { socket, received };
}

function nextEvent(socket: ClientSocket, event: "connect" | "disconnect", ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Waits until Redis holds a session for the dropped socket (sessions are written asynchronously). */
async function sessionKept(): Promise<void> {
  await waitFor(async () => (await redis.cli("--scan", "--pattern", "*#session#*")).trim().length > 0, "a kept session");
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("RedisStreamsStore", () => {
  it("recovers on another node: same id, rooms and data; everything missed once, in order", async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const proxy = await startProxy(a.port);
    const { socket, received } = client(proxy.port, ["room"]);
    await nextEvent(socket, "connect");
    const id = socket.id;
    for (const n of range(0, 3)) b.io.to("room").emit("n", n);
    await waitFor(() => received.length === 3, "live events");

    socket.io.reconnection(false);
    proxy.point(c.port);
    proxy.cut();
    await nextEvent(socket, "disconnect");
    await sessionKept();
    for (const n of range(3, 8)) b.io.to("room").emit("n", n);
    b.io.to("other").emit("n", -1);

    socket.io.reconnection(true);
    socket.io.open();
    await nextEvent(socket, "connect");
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(id);
    a.io.to("room").emit("n", 8);
    await waitFor(() => received.includes(8), "a live event after the recovery");
    expect(received).toEqual(range(0, 9));
    const restored = c.io.sockets.sockets.get(id!)!;
    expect(restored.recovered).toBe(true);
    expect([...restored.rooms].sort()).toEqual([id, "room"].sort());
    expect(restored.data).toEqual({ joinedAt: ["room"] });
  });

  it("recovers after the node restarts (sessions written during shutdown)", async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const proxy = await startProxy(a.port);
    const { socket, received } = client(proxy.port, ["room"]);
    await nextEvent(socket, "connect");
    b.io.to("room").emit("n", 0);
    await waitFor(() => received.length === 1, "a live event");

    socket.io.reconnection(false);
    const down = nextEvent(socket, "disconnect");
    await a.close();
    await down;
    await sessionKept();
    for (const n of range(1, 4)) b.io.to("room").emit("n", n);
    const restarted = await startNode();
    proxy.point(restarted.port);
    socket.io.reconnection(true);
    socket.io.open();
    await nextEvent(socket, "connect");
    expect(socket.recovered).toBe(true);
    await waitFor(() => received.length === 4, "the replay");
    expect(received).toEqual(range(0, 4));
  });

  it("gives recovered === false on both sides once the stream was trimmed past the position", async () => {
    const [a, b] = await Promise.all([startNode(4), startNode(4)]);
    const flags: boolean[] = [];
    b.io.on("connection", (socket) => flags.push(socket.recovered));
    const proxy = await startProxy(a.port);
    const { socket, received } = client(proxy.port, ["room"]);
    await nextEvent(socket, "connect");
    const id = socket.id;
    socket.io.reconnection(false);
    proxy.point(b.port);
    proxy.cut();
    await nextEvent(socket, "disconnect");
    await sessionKept();
    for (const n of range(0, 60)) b.io.to("room").emit("n", n);
    await waitFor(async () => Number(await redis.cli("xlen", "{roomcast#/}#stream")) < 60, "the stream to be trimmed");
    socket.io.reconnection(true);
    socket.io.open();
    await nextEvent(socket, "connect");
    expect(socket.recovered).toBe(false);
    expect(socket.id).not.toBe(id);
    expect(flags).toEqual([false]);
    expect(received).toEqual([]);
  });

  it("delivers a steady broadcast from another node exactly once and without gaps while the client moves", async () => {
    const [a, b, c] = await Promise.all([startNode(), startNode(), startNode()]);
    const proxy = await startProxy(a.port);
    const { socket, received } = client(proxy.port, ["room"]);
    await nextEvent(socket, "connect");
    let next = 0;
    const timer = setInterval(() => b.io.to("room").emit("n", next++), 5);
    cleanups.push(() => clearInterval(timer));
    await waitFor(() => received.length >= 20, "live traffic");
    proxy.point(c.port);
    proxy.cut();
    await nextEvent(socket, "connect");
    expect(socket.recovered).toBe(true);
    const resumedAt = next;
    await waitFor(() => next >= resumedAt + 20, "traffic after the move");
    clearInterval(timer);
    const last = next - 1;
    await waitFor(() => received[received.length - 1] === last, "the last event");
    expect(received).toEqual(range(0, next));
  });
});
