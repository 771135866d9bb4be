import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { BURST_FACTOR } from "../../src/connection/outbound-limit.js";
import { DEFAULT_OPTIONS, type Socket } from "../../src/index.js";
import { countingClient, type CountingClient } from "../support/counting-client.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

/** Garbage would blur the measurement: collect it first (the flag can be set at runtime). */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

describe("Backpressure", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("documents a 1 MiB default outbound cap", () => {
    expect(DEFAULT_OPTIONS.maxBufferedBytes).toBe(1024 * 1024);
  });

  it("cuts off a client that stops reading during 100 MB of broadcasts; memory stays bounded and healthy clients get everything", async () => {
    server = await startServer();
    const io = server.io;
    const sockets: Socket[] = [];
    io.on("connection", (socket) => {
      socket.join("feed");
      sockets.push(socket);
    });
    const healthy = [await countingClient(server.url), await countingClient(server.url)];
    const slow = await countingClient(server.url);
    await waitUntil(() => sockets.length === 3);
    const slowSocket = sockets[2];
    let slowReason = "";
    slowSocket.on("disconnect", (reason) => (slowReason = reason));
    // Stop reading: the kernel buffers fill up, then the server's own buffer for this peer.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const blob = "x".repeat(256 * 1024);
    const frameSize = blob.length + 64;
    const cap = io.options.maxBufferedBytes;
    const total = 100 * 1024 * 1024;
    const broadcasts = Math.ceil(total / blob.length);
    const perStep = 2; // 512 KiB per step: within the cap of a client that keeps up
    gc();
    const startExternal = process.memoryUsage().arrayBuffers;
    let peakExternal = 0;
    let peakSlowBuffered = 0;
    for (let sent = 0; sent < broadcasts; ) {
      for (let i = 0; i < perStep && sent < broadcasts; i++, sent++) {
        io.to("feed").emit("blob", blob);
        // Volatile ticks in between: dropped (and counted) for the congested peer only.
        io.to("feed").volatile.emit("tick", sent);
      }
      if (slowSocket.connected) peakSlowBuffered = Math.max(peakSlowBuffered, slowSocket.conn.bufferedAmount);
      await waitUntil(() => healthy.every((c) => c.received() === sent), 10_000, `healthy clients behind at ${sent}`);
      if (sent % (perStep * 20) === 0) {
        // What is still referenced after a collection: the server's buffers, not garbage.
        gc();
        peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers - startExternal);
      }
    }

    // The slow peer was cut off with the slow-consumer close and counted...
    expect(slowSocket.connected).toBe(false);
    expect(slowReason).toBe("slow consumer");
    expect(io.metrics.slowConsumerCloses).toBe(1);
    expect(slowSocket.conn.stats.volatileDrops).toBeGreaterThan(0);
    expect(io.metrics.volatileDrops).toBeGreaterThanOrEqual(slowSocket.conn.stats.volatileDrops);
    // ...its buffer never held more than the cap plus the frame that tipped it over...
    expect(peakSlowBuffered).toBeLessThanOrEqual(cap + frameSize);
    // ...and the process never held anything close to the 100 MB that went out. (What it does
    // hold is mostly msgpackr's reusable encode buffer, which grows in slabs for large messages.)
    expect(peakExternal).toBeLessThan(50 * 1024 * 1024);
    // Once it reads again it drains what the kernel held and sees 4000.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slow.closed).toBe(4000);
    // The healthy clients got every broadcast.
    for (const client of healthy) expect(client.received()).toBe(broadcasts);
    for (const client of healthy) client.ws.close();
  }, 120_000);

  describe("a burst is not a slow consumer", () => {
    /** Room "feed": `readers` clients that read, and one more that is returned paused. */
    async function feed(readers: number): Promise<{ readers: CountingClient[]; slow: CountingClient; slowSocket: Socket }> {
      server = await startServer();
      const sockets: Socket[] = [];
      server.io.on("connection", (socket) => {
        socket.join("feed");
        sockets.push(socket);
      });
      const clients: CountingClient[] = [];
      for (let i = 0; i < readers; i++) clients.push(await countingClient(server.url));
      const slow = await countingClient(server.url);
      await waitUntil(() => sockets.length === readers + 1);
      slow.pauseReading();
      return { readers: clients, slow, slowSocket: sockets[readers] };
    }

    it("delivers a 1.5 MB burst of one tick to 100 readers in full; a paused reader in the room is closed with 4000", async () => {
      const { readers, slow, slowSocket } = await feed(100);
      let slowReason = "";
      slowSocket.on("disconnect", (reason) => (slowReason = reason));
      // The paused reader stopped a while ago: its kernel buffers are full and its socket holds a
      // backlog that no longer moves (3 x 256 KiB per tick, until the kernel refuses some).
      const fill = "f".repeat(256 * 1024);
      for (let tick = 0; slowSocket.conn.bufferedAmount < 64 * 1024; tick++) {
        expect(tick, "the paused reader's socket never backed up").toBeLessThan(100);
        for (let i = 0; i < 3; i++) slowSocket.emit("fill", fill);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));

      const blob = "b".repeat(50 * 1024);
      const started = Date.now();
      for (let i = 0; i < 30; i++) server.io.to("feed").emit("blob", blob);
      // Cut off during the loop: it was handed 1 MiB more after it had stopped taking bytes.
      expect(slowSocket.connected).toBe(false);
      expect(slowReason).toBe("slow consumer");
      await waitUntil(() => readers.every((c) => c.received() === 30), 30_000, "readers behind");
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(readers.every((c) => c.closeCode() === undefined)).toBe(true);
      expect(server.io.metrics.slowConsumerCloses).toBe(1);
      slow.resumeReading();
      expect(await slow.closed).toBe(4000);
    }, 60_000);

    it("keeps a reader that works through a burst larger than its kernel buffers while more packets follow", async () => {
      const { readers, slowSocket } = await feed(1);
      slowSocket.disconnect();
      const [reader] = readers;
      const readerSocket = [...server.io.sockets.sockets.values()][0];
      const blob = "b".repeat(50 * 1024);
      // 7 MB: more than the kernel takes at once, less than the burst cap.
      const burst = 140;
      expect(burst * blob.length).toBeLessThan(BURST_FACTOR * DEFAULT_OPTIONS.maxBufferedBytes);
      for (let i = 0; i < burst; i++) server.io.to("feed").emit("blob", blob);
      await Promise.resolve();
      // Written: what the kernel did not take waits in the socket, on its way to the reader.
      expect(readerSocket.conn.bufferedAmount).toBeGreaterThan(DEFAULT_OPTIONS.maxBufferedBytes);
      // More right away (no turn of the event loop, so the kernel cannot have taken anything)...
      for (let i = 0; i < 10; i++) {
        server.io.to("feed").emit("blob", blob);
        await Promise.resolve();
      }
      // ...and in the turns that follow.
      for (let i = 0; i < 20; i++) {
        server.io.to("feed").emit("blob", blob);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitUntil(() => reader.received() === burst + 30, 20_000, "reader behind");
      expect(reader.closeCode()).toBeUndefined();
      expect(server.io.metrics.slowConsumerCloses).toBe(0);
    }, 60_000);
  });
});
