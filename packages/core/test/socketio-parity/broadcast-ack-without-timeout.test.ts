import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, PacketType } from "@roomcast/protocol";
import { AckTimeoutError } from "../../src/index.js";
import type { RawClient } from "../support/raw-client.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * A client in room "r" that acks every "poll" with "yes" 20 ms after it arrives: a real client
 * over a network never answers within the same event-loop turn, a client in this process might.
 */
async function member(s: TestServer): Promise<RawClient> {
  const client = await s.client();
  const sid = await client.joinOk("/");
  s.io.sockets.sockets.get(sid)?.join("r");
  client.ws.on("message", () => {
    for (const packet of client.packets.splice(0)) {
      const id = packet.type === PacketType.EVENT && packet.data[0] === "poll" ? packet.id : undefined;
      if (id !== undefined) setTimeout(() => client.ack("/", id, "yes"), 20);
    }
  });
  return client;
}

/** Calls `emit` with a callback; resolves with what the callback got and how long it took. */
function callbackOf(emit: (cb: (err: Error | null, replies: unknown[]) => void) => void): Promise<{ err: Error | null; replies: unknown[]; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => emit((err, replies) => resolve({ err, replies, ms: Date.now() - start })));
}

describe("A broadcast with an ack callback but no timeout(ms)", () => {
  it("does not throw: the callback gets ERR_ACK_TIMEOUT, 'operation has timed out', on the next timer turn (Socket.IO 4.8)", async () => {
    server = await startServer();
    await member(server);
    await member(server);
    const io = server.io;
    let outcome: Promise<{ err: Error | null; replies: unknown[]; ms: number }> | undefined;
    expect(() => {
      outcome = callbackOf((cb) => io.to("r").emit("poll", cb as never));
    }).not.toThrow();
    const { err, replies, ms } = await (outcome as NonNullable<typeof outcome>);
    expect(err).toBeInstanceOf(AckTimeoutError);
    expect(err).toMatchObject({ code: ErrorCode.ACK_TIMEOUT, message: "operation has timed out" });
    expect(replies).toEqual([]);
    expect(ms).toBeLessThan(100);
  });

  it("calls back (null, []) when no socket is targeted", async () => {
    server = await startServer();
    await member(server);
    expect(await callbackOf((cb) => server?.io.to("empty-room").emit("poll", cb as never))).toMatchObject({ err: null, replies: [] });
  });

  it("is the same from a namespace, a socket's broadcast and emitWithAck", async () => {
    server = await startServer();
    const sender = await member(server);
    await member(server);
    const io = server.io;
    const socket = [...io.sockets.sockets.values()][0];
    for (const emit of [
      (cb: (err: Error | null, replies: unknown[]) => void) => io.of("/").emit("poll", cb as never),
      (cb: (err: Error | null, replies: unknown[]) => void) => socket.broadcast.emit("poll", cb as never),
      (cb: (err: Error | null, replies: unknown[]) => void) => socket.to("r").emit("poll", cb as never),
    ]) {
      expect((await callbackOf(emit)).err).toMatchObject({ code: ErrorCode.ACK_TIMEOUT });
    }
    await expect(io.to("r").emitWithAck("poll")).rejects.toMatchObject({ code: ErrorCode.ACK_TIMEOUT, message: "operation has timed out" });
    await expect(io.to("empty-room").emitWithAck("poll")).resolves.toEqual([]);
    expect(sender.closeInfo).toBeUndefined();
  });

  it("leaves no pending ack behind: the late replies are dropped", async () => {
    server = await startServer();
    await member(server);
    await member(server);
    await callbackOf((cb) => server?.io.to("r").emit("poll", cb as never));
    await waitUntil(() => server?.io.debugCounts().pendingAcks === 0);
  });

  it("with timeout(ms), waits for the replies as before", async () => {
    server = await startServer();
    await member(server);
    await member(server);
    expect(await server.io.to("r").timeout(2000).emitWithAck("poll")).toEqual(["yes", "yes"]);
  });
});
