import { afterEach, describe, expect, it } from "vitest";
import { jsonCodec, PacketType, type Packet } from "@roomcast/protocol";
import { BURST_FACTOR } from "../../src/connection/outbound-limit.js";
import { OutgoingPacket, type Socket } from "../../src/index.js";
import { RawClient } from "../support/raw-client.js";
import { once, startServer, waitUntil, type TestServer } from "../support/server.js";

const isAck = (id: number) => (p: Packet) => p.type === PacketType.ACK && p.id === id;

/** An EVENT_WITH_ACK text frame of exactly `size` bytes (JSON), padding the argument. */
function eventOfSize(size: number, id: number): string {
  const empty = JSON.stringify([5, "/", id, "echo", ""]);
  return JSON.stringify([5, "/", id, "echo", "x".repeat(size - empty.length)]);
}

/** A string argument for which the frame of `emit("blob", arg)` is exactly `size` bytes. */
function blobForFrame(size: number): string {
  for (let n = size; n > 0; n--) {
    const arg = "y".repeat(n);
    const frame = new OutgoingPacket({ type: PacketType.EVENT, nsp: "/", data: ["blob", arg] }).frame(jsonCodec);
    if (frame.length === size) return arg;
  }
  throw new Error("no such size");
}

describe("Limits, each at its edge", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("maxPayload: a message of exactly N bytes is handled, N+1 closes with 1009", async () => {
    server = await startServer({ maxPayload: 1000 });
    server.io.on("connection", (socket) => socket.on("echo", (text: string, ack: (n: number) => void) => ack(text.length)));
    const client = await server.joined();
    client.sendRaw(eventOfSize(1000, 1));
    await client.waitFor(isAck(1));
    client.sendRaw(eventOfSize(1001, 2));
    expect((await client.closed).code).toBe(1009);
    expect(server.io.metrics.protocolErrors).toBe(1);
  });

  it("maxNamespacesPerConnection: N namespaces join, the next gets ERR_TOO_MANY_NAMESPACES", async () => {
    server = await startServer({ maxNamespacesPerConnection: 3 });
    for (const name of ["/a", "/b"]) server.io.of(name);
    server.io.of("/c");
    const client = await server.joined("/");
    await client.joinOk("/a");
    await client.joinOk("/b");
    const refused = await client.join("/c");
    expect(refused).toMatchObject({ type: PacketType.CONNECT_ERROR, nsp: "/c", data: { code: "ERR_TOO_MANY_NAMESPACES" } });
    // The connection itself is fine.
    expect(client.closeInfo).toBeUndefined();
  });

  it("maxRoomsPerSocket: N rooms (own id room included) are joined, the next throws ERR_TOO_MANY_ROOMS", async () => {
    server = await startServer({ maxRoomsPerSocket: 4 });
    const outcome: unknown[] = [];
    server.io.on("connection", (socket) => {
      socket.join(["r1", "r2", "r3"]);
      outcome.push(socket.rooms.size);
      try {
        socket.join("r4");
      } catch (err) {
        outcome.push((err as { code: string }).code);
      }
      socket.join("r1"); // already a member: not a new room
      outcome.push(socket.rooms.size);
    });
    await server.joined();
    expect(outcome).toEqual([4, "ERR_TOO_MANY_ROOMS", 4]);
  });

  it("maxPendingAcks: N acks wait, the next emit fails with ERR_TOO_MANY_PENDING_ACKS", async () => {
    server = await startServer({ maxPendingAcks: 3 });
    const socketReady = once<Socket>(server.io, "connection");
    const client = await server.joined();
    const socket = await socketReady;
    for (let i = 0; i < 3; i++) socket.emit("ask", i, () => {});
    expect(socket.pendingAcks).toBe(3);
    expect(() => socket.emit("ask", 3, () => {})).toThrowError(expect.objectContaining({ code: "ERR_TOO_MANY_PENDING_ACKS" }));
    await expect(socket.timeout(1000).emitWithAck("ask", 4)).rejects.toMatchObject({ code: "ERR_TOO_MANY_PENDING_ACKS" });
    // An answer frees a slot.
    const asked = await client.waitFor((p) => p.type === PacketType.EVENT && p.id !== undefined);
    client.ack("/", (asked as { id: number }).id, "ok");
    await waitUntil(() => socket.pendingAcks === 2);
    socket.emit("ask", 5, () => {});
    expect(socket.pendingAcks).toBe(3);
  });

  it("maxConnectionsPerIp: N connections open, the next is refused with 429 ERR_TOO_MANY_CONNECTIONS", async () => {
    server = await startServer({ maxConnectionsPerIp: 2 });
    const first = await server.client();
    await server.client();
    await expect(RawClient.connect(server.url)).rejects.toMatchObject({ status: 429, body: expect.stringContaining("ERR_TOO_MANY_CONNECTIONS") });
    expect(server.io.metrics.upgradesRejected).toBe(1);
    first.close();
    await waitUntil(() => server.io.metrics.connections === 1);
    const again = await RawClient.connect(server.url);
    again.close();
  });

  it("maxBufferedBytes: a reader that takes its bytes may have 8 x N pending; one more byte closes with 4000", async () => {
    server = await startServer({ maxBufferedBytes: 1000 });
    const socketReady = once<Socket>(server.io, "connection");
    const client = await server.joined();
    const socket = await socketReady;
    // Same tick: nothing is flushed between the emits, so the queue holds exactly 8 x N bytes.
    expect(socket.emit("blob", blobForFrame(1000))).toBe(true);
    expect(socket.emit("blob", blobForFrame(7000))).toBe(true);
    expect(socket.conn.bufferedAmount).toBe(BURST_FACTOR * 1000);
    expect(socket.emit("tiny")).toBe(false);
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    expect((await client.closed).code).toBe(4000);
  });

  it("maxBufferedBytes: a single frame over 8 x N is never queued", async () => {
    server = await startServer({ maxBufferedBytes: 1000 });
    const socketReady = once<Socket>(server.io, "connection");
    const client = await server.joined();
    const socket = await socketReady;
    expect(socket.emit("blob", blobForFrame(BURST_FACTOR * 1000 + 1))).toBe(false);
    expect((await client.closed).code).toBe(4000);
  });

  it("maxBufferedBytes: a reader that stopped taking bytes is handed N more; one more byte closes with 4000", async () => {
    const max = 64 * 1024;
    server = await startServer({ maxBufferedBytes: max, volatileHighWaterMark: 0 });
    const socketReady = once<Socket>(server.io, "connection");
    const client = await server.joined();
    const socket = await socketReady;
    client.pauseReading();
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 20));
    // Until the kernel's buffers are full and a backlog stays in the socket.
    const fill = blobForFrame(7 * max);
    for (let tick = 0; socket.conn.bufferedAmount === 0; tick++) {
      expect(tick, "the socket never backed up").toBeLessThan(200);
      socket.emit("blob", fill);
      await sleep();
    }
    // A volatile packet is dropped here, but the connection still looks at its socket: from this
    // look on, the backlog counts as one that no longer moves.
    socket.volatile.emit("probe");
    await sleep();
    const backlog = socket.conn.bufferedAmount;
    expect(socket.emit("blob", blobForFrame(max))).toBe(true);
    expect(socket.conn.bufferedAmount).toBe(backlog + max);
    expect(socket.emit("tiny")).toBe(false);
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    client.ws.terminate();
  });
});

describe("Rate limit", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("is off by default", async () => {
    server = await startServer();
    let seen = 0;
    server.io.on("connection", (socket) => socket.on("ev", () => seen++));
    const client = await server.joined();
    for (let i = 0; i < 500; i++) client.emit("/", "ev");
    await waitUntil(() => seen === 500);
    expect(server.io.metrics.rateLimitedEvents).toBe(0);
  });

  it('"drop": a burst of N events passes, event N+1 is dropped, counted and answered with one error event', async () => {
    // A refill of one token per 1000 s: nothing refills during the test.
    server = await startServer({ rateLimit: { eventsPerSecond: 0.001, burst: 5, onExceeded: "drop" } });
    const seen: number[] = [];
    server.io.on("connection", (socket) => socket.on("ev", (n: number) => seen.push(n)));
    const client = await server.joined();
    const bystander = await server.joined();
    for (let i = 0; i < 8; i++) client.emit("/", "ev", i);
    const error = await client.waitForEvent("error");
    expect(error.data[1]).toEqual({ code: "ERR_RATE_LIMITED", message: expect.any(String) });
    // Heartbeats and acks are not events: only the 8 events were counted.
    await waitUntil(() => server.io.metrics.rateLimitedEvents === 3);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    // One error event per run of drops, not one per dropped event.
    expect(client.events("/", "error")).toHaveLength(1);
    expect(client.closeInfo).toBeUndefined();
    // Each connection has its own bucket.
    bystander.emit("/", "ev", 100);
    await waitUntil(() => seen.includes(100));
  });

  it('"drop": the bucket refills over time', async () => {
    server = await startServer({ rateLimit: { eventsPerSecond: 20, burst: 1, onExceeded: "drop" } });
    const seen: number[] = [];
    server.io.on("connection", (socket) => socket.on("ev", (n: number) => seen.push(n)));
    const client = await server.joined();
    client.emit("/", "ev", 1);
    client.emit("/", "ev", 2);
    await client.waitForEvent("error");
    // 1 token per 50 ms: after 300 ms the bucket is full again (burst 1).
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.emit("/", "ev", 3);
    await waitUntil(() => seen.includes(3));
    expect(seen).toEqual([1, 3]);
  });

  it('"disconnect": event N+1 closes the connection with 4003, counted; others are unaffected', async () => {
    server = await startServer({ rateLimit: { eventsPerSecond: 0.001, burst: 3, onExceeded: "disconnect" } });
    const seen: number[] = [];
    const reasons: string[] = [];
    server.io.on("connection", (socket) => {
      socket.on("ev", (n: number) => seen.push(n));
      socket.on("disconnect", (reason) => reasons.push(reason));
    });
    const client = await server.joined();
    const bystander = await server.joined();
    for (let i = 0; i < 5; i++) client.emit("/", "ev", i);
    expect((await client.closed).code).toBe(4003);
    expect(seen).toEqual([0, 1, 2]);
    expect(reasons).toEqual(["rate limited"]);
    expect(server.io.metrics.rateLimitCloses).toBe(1);
    bystander.emit("/", "ev", 9);
    await waitUntil(() => seen.includes(9));
  });

  it("rejects nonsense options at construction", async () => {
    const { Server } = await import("../../src/index.js");
    expect(() => new Server({ rateLimit: { eventsPerSecond: 0, burst: 1, onExceeded: "drop" } })).toThrow(RangeError);
    expect(() => new Server({ rateLimit: { eventsPerSecond: 1, burst: 1, onExceeded: "kick" as never } })).toThrow(RangeError);
  });
});
