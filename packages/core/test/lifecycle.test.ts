import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { CloseCode, PacketType } from "@roomcast/protocol";
import { Server } from "../src/index.js";
import { RawClient } from "./support/raw-client.js";
import { memoryLogger, once, startServer, waitUntil, type TestServer } from "./support/server.js";

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Server lifecycle", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("accepts a connection on the default path and answers CONNECTED", async () => {
    server = await startServer();
    const client = await server.client();
    const packet = await client.join("/");
    expect(packet.type).toBe(PacketType.CONNECTED);
    if (packet.type !== PacketType.CONNECTED) return;
    expect(packet.info.pingInterval).toBe(25_000);
    expect(packet.info.pingTimeout).toBe(20_000);
    expect(typeof packet.info.sid).toBe("string");
    expect(server.io.metrics.connections).toBe(1);
  });

  it("answers a plain GET to the path with 426 and leaves other requests to existing listeners", async () => {
    const http = createServer((_req, res) => res.end("app"));
    const io = new Server(http, { logger: memoryLogger() });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const port = (http.address() as AddressInfo).port;
    try {
      const ours = await httpGet(port, "/roomcast");
      expect(ours.status).toBe(426);
      const theirs = await httpGet(port, "/other");
      expect(theirs).toEqual({ status: 200, body: "app" });
    } finally {
      await io.close();
    }
    expect(http.listening).toBe(false);
  });

  it("leaves upgrades for other paths to other listeners on an attached server", async () => {
    server = await startServer();
    const other = new WebSocketServer({ noServer: true });
    server.http.on("upgrade", (req, socket, head) => {
      if (req.url === "/other") other.handleUpgrade(req, socket, head, (ws) => ws.send("hello from other"));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/other`);
    const message = await once<Buffer>(ws, "message");
    expect(message.toString()).toBe("hello from other");
    ws.close();
    other.close();
  });

  it("creates and listens on its own HTTP server for a port, destroying foreign upgrades", async () => {
    const io = new Server({ logger: memoryLogger() });
    io.listen(0);
    await waitUntil(() => io.httpServer?.listening === true);
    const port = (io.httpServer!.address() as AddressInfo).port;
    const foreign = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
    foreign.on("error", () => {});
    await once(foreign, "close");
    const client = await RawClient.connect(`ws://127.0.0.1:${port}/roomcast`);
    await client.joinOk("/");
    expect((await httpGet(port, "/nothing")).status).toBe(404);
    await io.close();
    expect((await client.closed).code).toBe(CloseCode.SERVICE_RESTART);
    expect(io.httpServer!.listening).toBe(false);
  });

  it("accepts new Server(port, options) and a custom path", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const io = new Server(port, { path: "/rt", logger: memoryLogger() });
    try {
      await waitUntil(() => io.httpServer?.listening === true);
      const client = await RawClient.connect(`ws://127.0.0.1:${port}/rt`);
      await client.joinOk("/");
      client.close();
    } finally {
      await io.close();
    }
  });

  it("attach() binds a server created later", async () => {
    const io = new Server({ logger: memoryLogger() });
    const http = createServer();
    io.attach(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const client = await RawClient.connect(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/roomcast`);
    await client.joinOk("/");
    await io.close();
    expect((await client.closed).code).toBe(CloseCode.SERVICE_RESTART);
  });

  it("close() closes every connection with 1012, disconnects sockets and resolves", async () => {
    server = await startServer();
    const reasons: string[] = [];
    server.io.on("connection", (socket) => socket.on("disconnect", (reason) => reasons.push(reason)));
    const a = await server.joined("/");
    const b = await server.joined("/");
    server.io.of("/admin");
    await b.joinOk("/admin");
    await server.io.close();
    expect((await a.closed).code).toBe(CloseCode.SERVICE_RESTART);
    expect((await b.closed).code).toBe(CloseCode.SERVICE_RESTART);
    expect(reasons).toEqual(["server shutting down", "server shutting down"]);
    expect(server.io.metrics.connections).toBe(0);
    expect(server.http.listening).toBe(false);
  });

  it("close() cuts off peers that do not answer the close handshake within closeTimeout", async () => {
    server = await startServer({ closeTimeout: 200 });
    const frozen = await server.joined("/");
    frozen.pauseReading();
    const started = Date.now();
    await server.io.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.io.metrics.connections).toBe(0);
    frozen.ws.terminate();
  });

  it("close() flushes packets queued in the same tick before the close frame", async () => {
    server = await startServer();
    const client = await server.joined("/");
    server.io.emit("bye", 1);
    const closing = server.io.close();
    await client.closed;
    await closing;
    expect(client.events("/", "bye")).toHaveLength(1);
  });
});
