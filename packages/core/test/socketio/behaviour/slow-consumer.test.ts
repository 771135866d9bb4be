import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "../../../src/index.js";
import type { ServerOptionsInput } from "../../../src/server/server-options.js";
import { startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, sleep } from "../../support/engine-io-peer.js";
import { waitUntil } from "../../support/server.js";

/*
 * The Socket.IO dialect follows roomcast's rule (docs/ERRORS.md, "Slow consumers"): a burst is
 * not a slow consumer, a peer that stops taking its bytes is. Over a WebSocket, "taking" is the
 * kernel accepting bytes; over long-polling, packets wait for the client's next GET by design,
 * and only packets that waited longer than pingInterval count as not taken.
 */
describe("Socket.IO dialect: slow consumers", () => {
  let server: ConformanceServer;
  afterEach(() => server?.close());

  /** A conformance server whose sockets join "feed", listed in order of connection. */
  async function start(overrides: ServerOptionsInput = {}): Promise<Socket[]> {
    server = await startConformanceServer(overrides);
    const sockets: Socket[] = [];
    server.io.on("connection", (socket) => {
      socket.join("feed");
      sockets.push(socket as unknown as Socket);
    });
    return sockets;
  }

  const blob = "b".repeat(50 * 1024);
  const isBlob = (frame: unknown): boolean => typeof frame === "string" && frame.startsWith('42["blob"');

  it("WebSocket: a 1.5 MB burst of one tick reaches a reader in full; a paused reader that stopped taking bytes is closed with 4000", async () => {
    const sockets = await start();
    const reader = await EngineIoSocket.joined(server.wsBase);
    const paused = await EngineIoSocket.joined(server.wsBase);
    await waitUntil(() => sockets.length === 2);
    const pausedSocket = sockets[1];
    (paused.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // Until its kernel buffers are full and a backlog stays in its socket.
    const fill = "f".repeat(256 * 1024);
    for (let tick = 0; pausedSocket.conn.bufferedAmount < 64 * 1024; tick++) {
      expect(tick, "the paused reader's socket never backed up").toBeLessThan(100);
      for (let i = 0; i < 3; i++) pausedSocket.emit("fill", fill);
      await sleep(20);
    }
    await sleep(20);
    for (let i = 0; i < 30; i++) server.io.to("feed").emit("blob", blob);
    expect(pausedSocket.connected).toBe(false);
    await waitUntil(() => reader.frames.filter(isBlob).length === 30, 10_000, "reader behind");
    expect(reader.isClosed).toBe(false);
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    (paused.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await paused.waitClosed(10_000)).code).toBe(4000);
    reader.close();
  }, 30_000);

  it("long-polling: a burst over maxBufferedBytes, and what follows in later ticks, waits for the next GET", async () => {
    const sockets = await start();
    const session = await PollingSession.start(server.httpBase);
    await session.post("40");
    await session.nextPackets();
    await waitUntil(() => sockets.length === 1);
    const socket = sockets[0];
    // No GET is waiting: 1.5 MB in one tick, then more in the ticks after it.
    for (let i = 0; i < 30; i++) expect(socket.emit("blob", blob)).toBe(true);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(socket.emit("blob", blob)).toBe(true);
    }
    expect(socket.conn.bufferedAmount).toBeGreaterThan(server.io.options.maxBufferedBytes);
    const packets: string[] = [];
    while (packets.filter(isBlob).length < 35) packets.push(...(await session.nextPackets()));
    expect(packets.filter(isBlob)).toHaveLength(35);
    expect(socket.connected).toBe(true);
    expect(server.io.metrics.slowConsumerCloses).toBe(0);
  });

  it("long-polling: a client that has not come for its packets for longer than pingInterval is closed with 4000 once they pass maxBufferedBytes", async () => {
    // A long pingTimeout, so that the heartbeat does not close the session first.
    const sockets = await start({ pingInterval: 300, pingTimeout: 5000 });
    const session = await PollingSession.start(server.httpBase);
    await session.post("40");
    await session.nextPackets();
    await waitUntil(() => sockets.length === 1);
    const socket = sockets[0];
    let reason = "";
    socket.on("disconnect", (why: string) => (reason = why));
    // Just over maxBufferedBytes, waiting for a GET: fine while the client may still come.
    const third = "t".repeat(350_000);
    for (let i = 0; i < 3; i++) expect(socket.emit("blob", third)).toBe(true);
    expect(socket.conn.bufferedAmount).toBeGreaterThan(server.io.options.maxBufferedBytes);
    await sleep(100);
    expect(socket.emit("small", 1)).toBe(true);
    // Over pingInterval without a GET: what waits now counts against maxBufferedBytes.
    await sleep(350);
    expect(socket.emit("small", 2)).toBe(false);
    expect(reason).toBe("slow consumer");
    expect(server.io.metrics.slowConsumerCloses).toBe(1);
    // The client's next GET ends the session: the close packet, nothing that was queued.
    expect((await session.get()).body).toBe("1");
  });
});
