import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { CloseCode } from "@roomcast/protocol";
import type { Connection } from "../../src/connection/connection.js";
import { once, startServer, waitUntil, type TestServer } from "../support/server.js";

/** A client ping frame (masked, as RFC 6455 requires from clients) carrying `payload`. */
function pingFrame(payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x89;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
  return frame;
}

/** Resolves with the close code and reason a ws client saw. */
function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe("WebSocket ping flood", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("closes a peer that sends more than 16 pings within a second with 4004, whatever the dialect", async () => {
    server = await startServer({ socketio: { path: "/socket.io/", polling: true } });
    for (const path of ["/roomcast", "/socket.io/?EIO=4&transport=websocket"]) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
      ws.on("error", () => {});
      await once(ws, "open");
      const closed = closeOf(ws);
      // one burst, read by a peer that reads everything: ws alone would cut it (1006) at 61 unwritten pongs
      for (let i = 0; i < 100; i++) ws.ping(Buffer.from(String(i)));
      expect(await closed, path).toEqual({ code: CloseCode.LIMIT_EXCEEDED, reason: "too many pings" });
    }
    expect(server.io.metrics.protocolErrors).toBe(2);
  });

  it("tears down at once, and writes no more pongs, for a peer that floods pings and never reads", async () => {
    server = await startServer();
    const conn = once<Connection>(server.io.engine, "connection");
    const socket = connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    await once(socket, "connect");
    socket.write(
      "GET /roomcast HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    await once(socket, "data");
    socket.pause();
    const reason = once<string>(await conn, "close");
    const burst = Buffer.concat(Array.from({ length: 500 }, () => pingFrame(Buffer.alloc(125, 7))));
    let sending = true;
    void (async () => {
      for (let sent = 0; sending && sent < 200 && !socket.destroyed; sent++) {
        if (socket.writableLength < 1e6) socket.write(burst);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    expect(await reason).toBe("parse error");
    sending = false;
    socket.destroy();
    expect(server.io.metrics.connections).toBe(0);
    expect(server.io.metrics.protocolErrors).toBe(1);
  });

  it("lets a peer that pings now and then (a ws keep-alive) stay connected", async () => {
    server = await startServer();
    const client = await server.joined("/");
    for (let i = 0; i < 12; i++) {
      client.ws.ping();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let i = 0; i < 12; i++) client.ws.ping();
    await waitUntil(() => client.ws.readyState === WebSocket.OPEN);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.closeInfo).toBeUndefined();
    expect(await client.join("/other")).toMatchObject({ nsp: "/other" });
  });
});
