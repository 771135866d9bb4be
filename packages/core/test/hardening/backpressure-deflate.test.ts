import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { BURST_FACTOR } from "../../src/connection/outbound-limit.js";
import type { ServerOptions, Socket } from "../../src/index.js";
import { countingClient, type CountingClient } from "../support/counting-client.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

/*
 * With permessage-deflate, ws queues the messages it has not compressed yet, and they count as
 * pending (`ws.bufferedAmount`). They are this server's work, not the reader's: they are judged
 * like a burst, by the burst cap, while the reader's socket keeps taking bytes.
 */
describe("Backpressure with permessage-deflate", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  /** Room "feed" of `count` deflate clients. */
  async function feed(count: number, options: Partial<ServerOptions> = {}): Promise<{ clients: CountingClient[]; sockets: Socket[] }> {
    server = await startServer({ perMessageDeflate: true, ...options });
    const sockets: Socket[] = [];
    server.io.on("connection", (socket) => {
      socket.join("feed");
      sockets.push(socket);
    });
    const clients: CountingClient[] = [];
    for (let i = 0; i < count; i++) clients.push(await countingClient(server.url, { deflate: true }));
    await waitUntil(() => sockets.length === count);
    expect(sockets.every((socket) => socket.conn.deflate)).toBe(true);
    return { clients, sockets };
  }

  /** Text that deflate shrinks only a little, so compression has real work to do. */
  const noise = (bytes: number): string => randomBytes((bytes * 3) / 4).toString("base64");

  it("delivers 300 broadcasts of 10 kB from one loop to prompt readers while they wait to be compressed", async () => {
    const { clients, sockets } = await feed(3);
    const text = noise(10_000);
    for (let i = 0; i < 300; i++) server.io.to("feed").emit("m", text);
    // All 3 MB wait for compression: over maxBufferedBytes, within the burst cap.
    expect(sockets[0].conn.bufferedAmount).toBeGreaterThan(server.io.options.maxBufferedBytes);
    await waitUntil(() => clients.every((c) => c.received() === 300), 30_000, "readers behind");
    expect(server.io.metrics.slowConsumerCloses).toBe(0);
  }, 60_000);

  it("still closes a paused reader with 4000, and its pending bytes stay bounded", async () => {
    const { clients, sockets } = await feed(2);
    const [reader, paused] = clients;
    const pausedSocket = sockets[1];
    paused.pauseReading();
    const text = noise(40_000);
    const max = server.io.options.maxBufferedBytes;
    let peak = 0;
    let sent = 0;
    for (let tick = 0; pausedSocket.connected; tick++) {
      expect(tick, "never closed").toBeLessThan(2000);
      for (let i = 0; i < 5; i++, sent++) server.io.to("feed").emit("m", text);
      if (pausedSocket.connected) peak = Math.max(peak, pausedSocket.conn.bufferedAmount);
      // The reader keeps up, so a compression backlog does not build across ticks.
      await waitUntil(() => reader.received() === sent, 10_000, "reader behind");
    }
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    expect(peak).toBeLessThanOrEqual(BURST_FACTOR * max);
    await waitUntil(() => reader.received() === sent, 10_000, "reader behind");
    expect(reader.closeCode()).toBeUndefined();
    paused.resumeReading();
    expect(await paused.closed).toBe(4000);
  }, 60_000);

  it("with a threshold above the message size, 1200 paced broadcasts reach a prompt reader in full", async () => {
    // The setting docs/ERRORS.md gives for servers that emit faster than they compress.
    const { clients } = await feed(3, { perMessageDeflate: { threshold: 16 * 1024, serverNoContextTakeover: true } });
    const text = noise(10_000);
    for (let i = 0; i < 1200; i++) {
      server.io.to("feed").emit("m", text);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitUntil(() => clients.every((c) => c.received() === 1200), 30_000, "readers behind");
    expect(server.io.metrics.slowConsumerCloses).toBe(0);
  }, 60_000);
});
