import { afterEach, describe, expect, it } from "vitest";
import { CloseCode } from "@roomcast/protocol";
import type { Socket } from "../src/index.js";
import { once, startServer, waitUntil, type TestServer } from "./support/server.js";
import type { RawClient } from "./support/raw-client.js";

async function joinedPair(server: TestServer, options = {}): Promise<{ client: RawClient; socket: Socket }> {
  const connection = once<Socket>(server.io, "connection");
  const client = await server.joined("/", options);
  return { client, socket: await connection };
}

describe("Write batching", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("writes many packets emitted in one tick with a single flush per connection", async () => {
    server = await startServer();
    const a = await joinedPair(server);
    const b = await joinedPair(server);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const flushes = server.io.metrics.flushes;
    const frames = server.io.metrics.framesWritten;
    for (let i = 0; i < 50; i++) a.socket.emit("n", i);
    for (let i = 0; i < 50; i++) server.io.emit("all", i);
    await waitUntil(() => a.client.events("/", "all").length === 50 && b.client.events("/", "all").length === 50);
    expect(a.client.events("/", "n").map((e) => e.data[1])).toEqual([...Array(50).keys()]);
    expect(server.io.metrics.framesWritten - frames).toBe(150);
    expect(server.io.metrics.flushes - flushes).toBe(2);
    expect(a.socket.conn.stats.flushes).toBeGreaterThanOrEqual(2);
  });

  it("gives each member of a room its own order when direct packets are interleaved with a burst", async () => {
    server = await startServer();
    const pairs = [await joinedPair(server), await joinedPair(server), await joinedPair(server), await joinedPair(server)];
    for (const { socket } of pairs) socket.join("room");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [first, middle, , last] = pairs;
    for (let i = 0; i < 10; i++) {
      server.io.to("room").emit("n", i);
      if (i === 4) middle.socket.emit("n", "direct");
      if (i === 9) last.socket.emit("n", "tail");
    }
    first.socket.emit("n", "head");
    const expected = [
      [...Array(10).keys(), "head"],
      [0, 1, 2, 3, 4, "direct", 5, 6, 7, 8, 9],
      [...Array(10).keys()],
      [...Array(10).keys(), "tail"],
    ];
    await waitUntil(() => pairs.every(({ client }, k) => client.events("/", "n").length === expected[k].length));
    expect(pairs.map(({ client }) => client.events("/", "n").map((e) => e.data[1]))).toEqual(expected);
  });

  it("keeps order and delivers through ws.send on permessage-deflate connections", async () => {
    server = await startServer({ perMessageDeflate: { threshold: 0 } });
    const { client, socket } = await joinedPair(server);
    expect(socket.conn.deflate).toBe(true);
    for (let i = 0; i < 20; i++) socket.emit("n", "x".repeat(100), i);
    socket.compress(false).emit("n", "plain", 20);
    await waitUntil(() => client.events("/", "n").length === 21);
    expect(client.events("/", "n").map((e) => e.data[2])).toEqual([...Array(21).keys()]);
  });
});

describe("Backpressure", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("drops volatile packets for a congested connection and counts them", async () => {
    server = await startServer({ volatileHighWaterMark: 10_000 });
    const { client, socket } = await joinedPair(server);
    socket.emit("big", "x".repeat(20_000)); // queued in this tick: the connection is over the mark
    socket.volatile.emit("position", 1);
    server.io.volatile.emit("position", 2);
    expect(server.io.metrics.volatileDrops).toBe(2);
    expect(socket.conn.stats.volatileDrops).toBe(2);
    await client.waitForEvent("big");
    socket.volatile.emit("position", 3);
    await client.waitForEvent("position");
    expect(client.events("/", "position").map((e) => e.data[1])).toEqual([3]);
  });

  it("drops (and counts) volatile packets for a connection that is no longer open", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    socket.conn.close(CloseCode.NORMAL, "server namespace disconnect");
    socket.conn.push(new (await import("../src/dialect/outgoing-packet.js")).OutgoingPacket({ type: 7 }), true);
    expect(server.io.metrics.volatileDrops).toBe(1);
    await client.closed;
  });

  it("closes a slow consumer with 4000 once it stops taking its bytes and more than maxBufferedBytes follow", async () => {
    server = await startServer({ maxBufferedBytes: 50_000 });
    const bystander = await joinedPair(server);
    const slow = await joinedPair(server);
    let reason = "";
    slow.socket.on("disconnect", (why: string) => (reason = why));
    slow.client.pauseReading();
    const chunk = "x".repeat(20_000);
    // 60 kB a tick: over maxBufferedBytes, but a burst, and the kernel takes it until its
    // buffers are full; from then on the socket keeps a backlog and the next tick closes it.
    for (let tick = 0; slow.socket.connected; tick++) {
      expect(tick, "never closed").toBeLessThan(2000);
      for (let i = 0; i < 3; i++) slow.socket.emit("data", chunk);
      if (tick === 0) expect(slow.socket.connected).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reason).toBe("slow consumer");
    slow.client.ws.terminate();
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    server.io.emit("fine");
    await bystander.client.waitForEvent("fine");
  });

  it("exposes bufferedAmount and counters per connection", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    socket.emit("x", 1);
    expect(socket.conn.bufferedAmount).toBeGreaterThan(0);
    await client.waitForEvent("x");
    expect(socket.conn.stats.packetsSent).toBeGreaterThanOrEqual(2);
    expect(socket.conn.stats.packetsReceived).toBe(1);
    expect(socket.conn.readyState).toBe("open");
  });
});

describe("Catch-all listeners and disconnect reasons", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("onAny, prependAny, offAny and listenersAny see incoming events", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    const seen: string[] = [];
    const first = (event: string) => seen.push(`first:${event}`);
    const second = (event: string, ...args: unknown[]) => seen.push(`second:${event}:${args.join(",")}`);
    socket.onAny(second);
    socket.prependAny(first);
    expect(socket.listenersAny()).toEqual([first, second]);
    client.emit("/", "hello", 1, 2);
    await waitUntil(() => seen.length === 2);
    expect(seen).toEqual(["first:hello", "second:hello:1,2"]);
    socket.offAny(first);
    expect(socket.listenersAny()).toEqual([second]);
    socket.offAny();
    expect(socket.listenersAny()).toEqual([]);
  });

  it("onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing and listenersAnyOutgoing see outgoing events", async () => {
    server = await startServer();
    const { socket } = await joinedPair(server);
    const seen: unknown[][] = [];
    const listener = (...args: unknown[]) => seen.push(args);
    const early = () => seen.push(["early"]);
    socket.onAnyOutgoing(listener);
    socket.prependAnyOutgoing(early);
    expect(socket.listenersAnyOutgoing()).toEqual([early, listener]);
    socket.emit("direct", 1);
    server.io.emit("broadcast", 2);
    expect(seen).toEqual([["early"], ["direct", 1], ["early"], ["broadcast", 2]]);
    socket.offAnyOutgoing(early);
    socket.offAnyOutgoing(listener);
    socket.emit("after");
    expect(seen).toHaveLength(4);
    expect(socket.listenersAnyOutgoing()).toEqual([]);
  });

  it("emits 'disconnecting' then 'disconnect' with the reason", async () => {
    server = await startServer();
    const events: string[] = [];
    server.io.on("connection", (socket) => {
      socket.on("disconnecting", (reason) => events.push(`disconnecting:${reason}`));
      socket.on("disconnect", (reason) => events.push(`disconnect:${reason}`));
    });
    const a = await joinedPair(server);
    a.socket.disconnect();
    const b = await joinedPair(server);
    b.client.close();
    await waitUntil(() => events.length === 4);
    expect(events).toEqual([
      "disconnecting:server namespace disconnect",
      "disconnect:server namespace disconnect",
      "disconnecting:transport close",
      "disconnect:transport close",
    ]);
    expect(a.socket.connected).toBe(false);
    expect(a.socket.disconnected).toBe(true);
  });
});

describe("Event names", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("delivers events named after Object.prototype members to their own listeners only, and ignores them where none listens", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    const heard: string[] = [];
    for (const name of ["constructor", "toString", "hasOwnProperty"]) socket.on(name, (value: string) => heard.push(`${name}:${value}`));
    const errors: unknown[] = [];
    socket.on("error", (err) => errors.push(err));
    // no listener for these: nothing runs, nothing throws, the connection stays up
    for (const name of ["valueOf", "isPrototypeOf", "__defineGetter__"]) client.emit("/", name, "x");
    for (const name of ["constructor", "toString", "hasOwnProperty"]) client.emit("/", name, "v");
    client.emit("/", "done");
    await once(socket, "done");
    expect(heard).toEqual(["constructor:v", "toString:v", "hasOwnProperty:v"]);
    expect(errors).toEqual([]);
    expect(socket.connected).toBe(true);
    expect(socket.eventNames()).toEqual(expect.arrayContaining(["constructor", "toString", "hasOwnProperty", "error"]));
    socket.removeAllListeners("toString");
    expect(socket.listenerCount("toString")).toBe(0);
    expect(socket.listenerCount("constructor")).toBe(1);
  });
});
