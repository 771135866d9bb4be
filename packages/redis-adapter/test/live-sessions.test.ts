import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { Redis } from "ioredis";
import { Packr } from "msgpackr";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, createStreamsStore } from "../src/index.js";
import { FreezableProxy } from "./support/freezable-proxy.js";
import { quietLogger, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";

/*
 * Live sessions of the Redis Streams store (docs/RECOVERY.md, "Crashes"): written while the
 * socket is connected, fenced once another node resumed them. Nodes run in this process; the
 * network between them, their clients and Redis goes through relays that can be frozen.
 */

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", moreTypes: false });

interface LiveNode {
  io: Server;
  port: number;
  close(): Promise<void>;
}

let redis: RedisServer;
let run = 0;
let prefix = "";
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node whose Redis connections go to `redisPort` (a relay, or Redis itself). */
async function startNode(redisPort = redis.port): Promise<LiveNode> {
  const pub = new Redis({ host: "127.0.0.1", port: redisPort });
  const sub = pub.duplicate();
  const io = new Server(0, {
    adapter: createAdapter(pub, sub, { logger: quietLogger, prefix }),
    logger: quietLogger,
    connectionStateRecovery: { store: createStreamsStore(pub, { prefix }) },
  });
  io.on("connection", (socket) => {
    if (!socket.recovered) socket.join((socket.handshake.auth as { rooms: string[] }).rooms);
    socket.on("join", (room: string, ack: () => void) => {
      socket.join(room);
      ack();
    });
  });
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  await (io.sockets.recovery!.store as unknown as { ready: Promise<void> }).ready;
  let closed = false;
  const node: LiveNode = {
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

async function proxyTo(port: number): Promise<FreezableProxy> {
  const proxy = await FreezableProxy.start(port);
  cleanups.push(() => proxy.close());
  return proxy;
}

function client(port: number, rooms: string[]): { socket: ClientSocket; connects: boolean[] } {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, auth: { rooms }, reconnectionDelay: 50, reconnectionDelayMax: 100 });
  cleanups.push(() => {
    socket.io.reconnection(false);
    socket.disconnect();
  });
  const connects: boolean[] = [];
  socket.on("connect", () => connects.push(socket.recovered));
  return { socket, connects };
}

function connectEvent(socket: ClientSocket): Promise<void> {
  return new Promise((resolve) => socket.once("connect", () => resolve()));
}

/** The session record of `pid` as Redis holds it, and its fence ("<generation>:<owner>"). */
async function stored(pid: string): Promise<{ session: { sid: string; rooms: string[] } | undefined; fence: string | undefined }> {
  const probe = new Redis(redis.url);
  try {
    const base = `{${prefix}#/}`;
    const [session, fence] = await Promise.all([probe.getBuffer(`${base}#session#${pid}`), probe.get(`${base}#fence#${pid}`)]);
    return { session: session === null ? undefined : (packr.unpack(session) as { sid: string; rooms: string[] }), fence: fence ?? undefined };
  } finally {
    probe.disconnect();
  }
}

/** The recovery session id a node handed to the socket `sid`. */
function pidOf(node: LiveNode, sid: string): string {
  return node.io.sockets.sockets.get(sid)!._pid!;
}

describe("createStreamsStore options", () => {
  it("refuses unknown options and values of the wrong type", () => {
    const client = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true });
    cleanups.push(() => client.disconnect());
    expect(() => createStreamsStore(client, { sessionFlushDelay: -1 })).toThrow(/"sessionFlushDelay" must be a number of milliseconds/);
    expect(() => createStreamsStore(client, { sessionRefreshInterval: "1s" as unknown as number })).toThrow(TypeError);
    expect(() => createStreamsStore(client, { sessionFlushdelay: 5 } as never)).toThrow(/unknown option "sessionFlushdelay"/);
    expect(() => createStreamsStore(client, { prefix: "app", sessionFlushDelay: 2, sessionRefreshInterval: 5000 })).not.toThrow();
  });
});

describe("live sessions", () => {
  beforeAll(() => {
    prefix = `live${process.pid}`;
  });
  afterEach(() => {
    prefix = `live${process.pid}-${++run}`;
  });

  it("are stored from connect on, and follow each join and leave", async () => {
    const a = await startNode();
    const { socket } = client(a.port, ["room"]);
    await connectEvent(socket);
    const pid = pidOf(a, socket.id!);
    await waitFor(async () => (await stored(pid)).session !== undefined, "the session stored at connect");
    expect((await stored(pid)).session).toMatchObject({ sid: socket.id, rooms: ["room"] });
    // the ack comes once the join is stored: the store holds it when the client hears of it
    await socket.timeout(3000).emitWithAck("join", "second");
    expect((await stored(pid)).session?.rooms.sort()).toEqual(["room", "second"]);
    a.io.sockets.sockets.get(socket.id!)!.leave("room");
    await waitFor(async () => (await stored(pid)).session?.rooms.join() === "second", "the leave stored");
    expect((await stored(pid)).fence).toMatch(/^1:/);
  });

  it("are removed when the client leaves on purpose", async () => {
    const a = await startNode();
    const { socket } = client(a.port, ["room"]);
    await connectEvent(socket);
    const pid = pidOf(a, socket.id!);
    await waitFor(async () => (await stored(pid)).session !== undefined, "the session stored");
    socket.disconnect();
    await waitFor(async () => (await stored(pid)).session === undefined, "the session removed");
    // the fence stays behind, so a stale writer cannot bring it back
    expect((await stored(pid)).fence).toMatch(/^1:/);
  });

  it("are resumed on another node while the old one still holds the connection, and the old one closes its stale socket", async () => {
    const [a, b] = await Promise.all([startNode(), startNode()]);
    const proxy = await proxyTo(a.port);
    const { socket, connects } = client(proxy.port, ["room"]);
    await connectEvent(socket);
    const id = socket.id!;
    const pid = pidOf(a, id);
    await waitFor(async () => (await stored(pid)).session !== undefined, "the session stored");
    // the path to a goes silent: a still sees a live socket
    proxy.freeze();
    proxy.point(b.port);
    socket.io.engine.close();
    await waitFor(() => connects.length === 2, "the resume on b");
    expect(connects).toEqual([false, true]);
    expect(socket.id).toBe(id);
    expect(b.io.sockets.sockets.get(id)?.recovered).toBe(true);
    // a hears that b took it, and lets go of its socket
    await waitFor(() => a.io.sockets.recovery!.stats.takenOver === 1, "a's stale socket closed");
    expect(a.io.sockets.sockets.has(id)).toBe(false);
    expect((await stored(pid)).fence).toMatch(/^2:/);
  });

  it("are resumed on the same node while it still holds the connection: one socket, its rooms intact", async () => {
    const a = await startNode();
    const proxy = await proxyTo(a.port);
    const { socket, connects } = client(proxy.port, ["room", "other"]);
    await connectEvent(socket);
    const id = socket.id!;
    const pid = pidOf(a, id);
    await waitFor(async () => (await stored(pid)).session !== undefined, "the session stored");
    proxy.freeze();
    socket.io.engine.close();
    await waitFor(() => connects.length === 2, "the resume");
    expect(connects).toEqual([false, true]);
    expect(a.io.sockets.recovery!.stats.takenOver).toBe(1);
    expect(a.io.sockets.sockets.size).toBe(1);
    expect([...a.io.sockets.sockets.get(id)!.rooms].sort()).toEqual([id, "other", "room"].sort());
    proxy.thaw();
    // the old connection closing now changes nothing
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...a.io.sockets.sockets.get(id)!.rooms].sort()).toEqual([id, "other", "room"].sort());
  });

  it("cannot be overwritten by the node they were taken from, once its partition heals and it closes the socket", async () => {
    const redisRelay = await proxyTo(redis.port);
    const a = await startNode(redisRelay.port);
    const b = await startNode();
    const proxy = await proxyTo(a.port);
    const { socket, connects } = client(proxy.port, ["room"]);
    await connectEvent(socket);
    const id = socket.id!;
    const pid = pidOf(a, id);
    await waitFor(async () => (await stored(pid)).session !== undefined, "the session stored");

    // a is cut off from its client and from Redis; the client resumes on b and joins a room there
    redisRelay.freeze();
    proxy.freeze();
    proxy.point(b.port);
    socket.io.engine.close();
    await waitFor(() => connects.length === 2, "the resume on b");
    expect(connects).toEqual([false, true]);
    await socket.timeout(3000).emitWithAck("join", "joined-on-b");
    expect((await stored(pid)).session?.rooms.sort()).toEqual(["joined-on-b", "room"]);

    // the partition heals: a sees the old connection close and stores the session as it knew it
    proxy.thaw();
    await waitFor(() => !a.io.sockets.sockets.has(id), "a closing its stale socket");
    redisRelay.thaw();
    // close() waits for a's pending writes
    await a.close();
    expect((await stored(pid)).session?.rooms.sort()).toEqual(["joined-on-b", "room"]);
    expect((await stored(pid)).fence).toMatch(/^2:/);
  });
});
