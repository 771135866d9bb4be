import { afterEach, describe, expect, it } from "vitest";
import { CloseCode, ErrorCode, PacketType } from "@roomcast/protocol";
import type { Socket } from "../src/index.js";
import { RawClient } from "./support/raw-client.js";
import { memoryLogger, once, startServer, waitUntil, type TestServer } from "./support/server.js";

describe("Heartbeat and timeouts", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("keeps a peer that answers heartbeats", async () => {
    server = await startServer({ pingInterval: 50, pingTimeout: 100 });
    const client = await server.joined("/");
    await client.waitFor((p) => p.type === PacketType.HEARTBEAT);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.closeInfo).toBeUndefined();
    expect(client.packets.filter((p) => p.type === PacketType.HEARTBEAT).length).toBeGreaterThan(1);
  });

  it("closes a frozen peer with 4001 and disconnects its sockets with 'ping timeout'", async () => {
    server = await startServer({ pingInterval: 100, pingTimeout: 100 });
    const connection = once<Socket>(server.io, "connection");
    const client = await server.joined("/", { answerHeartbeats: false });
    const socket = await connection;
    const reason = once<string>(socket, "disconnect", 5000);
    const started = Date.now();
    const { code } = await client.closed;
    expect(code).toBe(CloseCode.HEARTBEAT_TIMEOUT);
    expect(await reason).toBe("ping timeout");
    // interval + timeout = 200 ms, with generous slack for a busy machine
    expect(Date.now() - started).toBeLessThan(4000);
    expect(server.io.metrics.heartbeatTimeouts).toBe(1);
  });

  it("closes a connection that joins no namespace within connectTimeout with 4002", async () => {
    server = await startServer({ connectTimeout: 100 });
    const idle = await server.client();
    const active = await server.joined("/");
    expect((await idle.closed).code).toBe(CloseCode.CONNECT_TIMEOUT);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(active.closeInfo).toBeUndefined();
    expect(server.io.metrics.connectTimeouts).toBe(1);
  });
});

describe("Bad input", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it.each([
    ["text that is not JSON", "{nope", CloseCode.INVALID_PAYLOAD],
    ["a packet of the wrong shape", JSON.stringify({ type: 4 }), CloseCode.PROTOCOL_ERROR],
    ["a server-only packet type", JSON.stringify([1, "/", { sid: "x" }]), CloseCode.PROTOCOL_ERROR],
    ["a binary frame on the JSON subprotocol", Buffer.from([1, 2, 3]), CloseCode.UNSUPPORTED_DATA],
  ])("closes only the sender of %s (%s)", async (_name, frame, code) => {
    server = await startServer();
    const bystander = await server.joined("/");
    const culprit = await server.joined("/");
    culprit.sendRaw(frame as string | Buffer);
    expect((await culprit.closed).code).toBe(code);
    server.io.emit("still-here");
    await bystander.waitForEvent("still-here");
    expect(server.io.metrics.protocolErrors).toBe(1);
  });

  it("closes a msgpack sender of invalid msgpack with 1007", async () => {
    server = await startServer();
    const culprit = await server.joined("/", { protocol: "msgpack" });
    culprit.sendRaw(Buffer.from([0x93, 0x04])); // an array of three with one element: truncated
    expect((await culprit.closed).code).toBe(CloseCode.INVALID_PAYLOAD);
  });

  it("closes the sender of an oversized message with 1009, others unaffected", async () => {
    server = await startServer({ maxPayload: 1000 });
    const bystander = await server.joined("/");
    const culprit = await server.joined("/");
    culprit.emit("/", "big", "x".repeat(5000));
    expect((await culprit.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
    bystander.emit("/", "small", "x".repeat(100));
    server.io.emit("still-here");
    await bystander.waitForEvent("still-here");
    expect(bystander.closeInfo).toBeUndefined();
  });

  it("maxHttpBufferSize is an alias of maxPayload", async () => {
    server = await startServer({ maxHttpBufferSize: 500 });
    const culprit = await server.joined("/");
    culprit.emit("/", "big", "x".repeat(2000));
    expect((await culprit.closed).code).toBe(CloseCode.MESSAGE_TOO_BIG);
  });

  it("ignores client attempts to emit reserved events", async () => {
    server = await startServer();
    const reasons: string[] = [];
    server.io.on("connection", (socket) => socket.on("disconnect", (r) => reasons.push(r)));
    const client = await server.joined("/");
    client.emit("/", "disconnect", "fake");
    client.emit("/", "error", "fake");
    client.emit("/", "ok");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reasons).toEqual([]);
    expect(client.closeInfo).toBeUndefined();
  });

  it("a throwing handler emits 'error' on the socket, or goes to the logger; the process keeps running", async () => {
    const logger = memoryLogger();
    server = await startServer({ logger });
    const errors: string[] = [];
    let withListener = true;
    server.io.on("connection", (socket) => {
      if (withListener) socket.on("error", (err) => errors.push(err.message));
      socket.on("sync-throw", () => {
        throw new Error("sync boom");
      });
      socket.on("async-throw", async () => {
        throw new Error("async boom");
      });
    });
    const a = await server.joined("/");
    a.emit("/", "sync-throw");
    a.emit("/", "async-throw");
    await waitUntil(() => errors.length === 2);
    expect(errors.sort()).toEqual(["async boom", "sync boom"]);
    withListener = false;
    const b = await server.joined("/");
    b.emit("/", "sync-throw");
    b.emit("/", "async-throw");
    await waitUntil(() => logger.errors.length === 2);
    expect(server.io.metrics.handlerErrors).toBe(4);
    expect(a.closeInfo).toBeUndefined();
  });

  it("a 'connection' handler that throws is logged and the socket stays connected", async () => {
    const logger = memoryLogger();
    server = await startServer({ logger });
    server.io.on("connection", () => {
      throw new Error("oops");
    });
    const client = await server.joined("/");
    await waitUntil(() => logger.errors.length === 1);
    expect(server.io.sockets.sockets.size).toBe(1);
    expect(client.closeInfo).toBeUndefined();
  });
});

describe("Upgrade checks", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("rejects a disallowed origin with 403 and a JSON body before upgrading", async () => {
    server = await startServer({ allowedOrigins: ["https://good.example", /\.trusted\.example$/] });
    const error = await RawClient.connect(server.url, { headers: { origin: "https://evil.example" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403 });
    expect(JSON.parse((error as { body: string }).body)).toEqual({ code: ErrorCode.ORIGIN_REJECTED, message: "origin not allowed" });
    (await RawClient.connect(server.url, { headers: { origin: "https://good.example" } })).close();
    (await RawClient.connect(server.url, { headers: { origin: "https://a.trusted.example" } })).close();
    expect(server.io.metrics.upgradesRejected).toBe(1);
    expect(server.io.metrics.connectionsOpened).toBe(2);
  });

  it("accepts an origin predicate", async () => {
    server = await startServer({ allowedOrigins: (origin) => origin === "https://ok.example" });
    await expect(RawClient.connect(server.url, { headers: { origin: "https://no.example" } })).rejects.toMatchObject({ status: 403 });
    await expect(RawClient.connect(server.url)).rejects.toMatchObject({ status: 403 });
    (await RawClient.connect(server.url, { headers: { origin: "https://ok.example" } })).close();
  });

  it("allowRequest can reject with 403 ERR_REQUEST_REJECTED", async () => {
    server = await startServer({
      allowRequest: (req, cb) => setTimeout(() => cb(null, req.headers["x-key"] === "open-sesame"), 5),
    });
    const error = await RawClient.connect(server.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403 });
    expect(JSON.parse((error as { body: string }).body).code).toBe(ErrorCode.REQUEST_REJECTED);
    const ok = await RawClient.connect(server.url, { headers: { "x-key": "open-sesame" } });
    await ok.joinOk("/");
    ok.close();
  });

  it("limits connections per address when maxConnectionsPerIp is set, and frees slots on close", async () => {
    server = await startServer({ maxConnectionsPerIp: 1 });
    const first = await RawClient.connect(server.url);
    const error = await RawClient.connect(server.url).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429 });
    expect(JSON.parse((error as { body: string }).body).code).toBe(ErrorCode.TOO_MANY_CONNECTIONS);
    first.close();
    await first.closed;
    await waitUntil(() => server.io.metrics.connections === 0);
    (await RawClient.connect(server.url)).close();
  });
});
