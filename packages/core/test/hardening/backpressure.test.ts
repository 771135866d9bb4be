import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS, type Socket } from "../../src/index.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

/** Garbage would blur the measurement: collect it first (the flag can be set at runtime). */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** A raw client that counts the large frames it receives without keeping them. */
function countingClient(url: string): Promise<{ ws: WebSocket; received: () => number; closed: Promise<number> }> {
  // msgpack: binary frames, so the test client spends no time validating UTF-8.
  const ws = new WebSocket(url, ["roomcast.v1.msgpack"]);
  let received = 0;
  ws.on("error", () => {});
  ws.on("message", (data: Buffer) => {
    if (data.length === 2) ws.send(Buffer.from([0x91, 0x07])); // heartbeat [7]
    else if (data.length > 1024) received++;
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.send(Buffer.from([0x92, 0x00, 0xa1, 0x2f])); // [0, "/"]
      resolve({ ws, received: () => received, closed });
    });
    ws.once("error", reject);
  });
}

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
});
