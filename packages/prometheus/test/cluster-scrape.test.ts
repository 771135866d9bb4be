import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { msgpackCodec } from "@roomcast/client/msgpack";
import { Server, type Socket } from "@roomcast/core";
import { createAdapter } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { io as socketIoClient, type Socket as SocketIoClient } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { RedisServer } from "../../redis-adapter/test/support/redis-server.js";
import { registerMetrics, type RegisteredMetrics } from "../src/index.js";
import { type Exposition, parseExposition, sampleValue } from "./support/exposition.js";

/*
 * Two roomcast nodes joined by a real redis-server; node A's metrics are served at /metrics and
 * scraped over HTTP while real clients (@roomcast/client with JSON and msgpack, socket.io-client
 * over the Socket.IO dialect, a bare WebSocket) make traffic. Each step checks the scraped values
 * against what the step did. The steps build on each other, in order.
 */

const quiet = { warn: () => {}, error: () => {} };
const LOBBY = "lobby";

/** Every node: sockets join `auth.rooms`; "chat" goes to the lobby, the sender left out. */
function serveChat(io: Server): void {
  io.on("connection", (socket: Socket) => {
    const rooms = (socket.handshake.auth as { rooms?: string[] }).rooms;
    if (rooms) socket.join(rooms);
    socket.on("chat", (text: string) => socket.to(LOBBY).emit("chat", text));
  });
}

async function startNode(redisUrl: string, options: object): Promise<{ io: Server; port: number; redis: Redis[] }> {
  // A short retry, and no waiting for Redis with a command in flight: an outage shows at once.
  const pub = new Redis(redisUrl, { retryStrategy: () => 100, maxRetriesPerRequest: 0 });
  const sub = pub.duplicate();
  const io = new Server(0, {
    adapter: createAdapter(pub, sub, { heartbeatInterval: 200, heartbeatTimeout: 1000, logger: quiet }),
    logger: quiet,
    ...options,
  });
  serveChat(io);
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  return { io, port: (http.address() as AddressInfo).port, redis: [pub, sub] };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A client of either kind, with the "chat" events it received. */
interface Member {
  chats: string[];
  emit(event: string, ...args: unknown[]): void;
  id(): string;
}

async function roomcastMember(port: number, options: object = {}): Promise<Member & { socket: ClientSocket }> {
  const socket = connect(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, auth: { rooms: [LOBBY] }, ...options });
  const chats: string[] = [];
  socket.on("chat", (text: string) => chats.push(text));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return { socket, chats, emit: (event, ...args) => socket.emit(event, ...args), id: () => socket.id as string };
}

async function socketIoMember(port: number): Promise<Member & { socket: SocketIoClient }> {
  const socket = socketIoClient(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { rooms: [LOBBY] } });
  const chats: string[] = [];
  socket.on("chat", (text: string) => chats.push(text));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return { socket, chats, emit: (event, ...args) => socket.emit(event, ...args), id: () => socket.id as string };
}

describe("registerMetrics on a two-node cluster over Redis, scraped over HTTP", () => {
  let redis: RedisServer;
  let nodeA: Awaited<ReturnType<typeof startNode>>;
  let nodeB: Awaited<ReturnType<typeof startNode>>;
  let metricsServer: HttpServer;
  let metricsUrl = "";
  let exported: RegisteredMetrics;
  const register = new Registry();
  const clients: { disconnect(): unknown }[] = [];
  let json: Awaited<ReturnType<typeof roomcastMember>>;
  let msgpack: Awaited<ReturnType<typeof roomcastMember>>;
  let socketio: Awaited<ReturnType<typeof socketIoMember>>;
  let onB: Awaited<ReturnType<typeof roomcastMember>>;

  async function scrape(): Promise<Exposition> {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    return parseExposition(await response.text());
  }

  async function scrapeUntil(name: string, labels: Record<string, string>, expected: number): Promise<Exposition> {
    let last: Exposition | undefined;
    await waitFor(async () => {
      last = await scrape();
      return sampleValue(last, name, labels) === expected;
    }, `${name}${JSON.stringify(labels)} to be ${expected} (last: ${last && sampleValue(last, name, labels)})`);
    return last!;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    nodeA = await startNode(redis.url, {
      socketio: true,
      connectionStateRecovery: {},
      // one token per 1000 s: exactly the events past the burst are dropped
      rateLimit: { eventsPerSecond: 0.001, burst: 20, onExceeded: "drop" },
      // any backlog makes a volatile packet a drop
      volatileHighWaterMark: 0,
    });
    nodeB = await startNode(redis.url, {});
    exported = registerMetrics(nodeA.io, { register });
    metricsServer = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      register.metrics().then(
        (text) => res.writeHead(200, { "content-type": register.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    metricsServer.listen(0, "127.0.0.1");
    await once(metricsServer, "listening");
    metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    exported?.close();
    metricsServer?.close();
    for (const node of [nodeA, nodeB]) {
      if (!node) continue;
      await node.io.close();
      for (const client of node.redis) client.disconnect();
    }
    await redis?.kill();
  });

  it("serves every metric with Prometheus's naming: a type, a help text, _total on counters only", async () => {
    const exposition = await scrape();
    for (const name of exported.names) {
      expect(name.startsWith("roomcast_"), name).toBe(true);
      const type = exposition.types.get(name);
      expect(type, name).toMatch(/^(counter|gauge)$/);
      expect(exposition.help.get(name), name).toBeTruthy();
      expect(name.endsWith("_total"), name).toBe(type === "counter");
    }
    expect(exposition.types.get("roomcast_sent_bytes_total")).toBe("counter");
    expect(exposition.types.get("roomcast_received_bytes_total")).toBe("counter");
  });

  it("counts connections, sockets, rooms and the cluster's nodes", async () => {
    json = await roomcastMember(nodeA.port);
    msgpack = await roomcastMember(nodeA.port, { codec: msgpackCodec });
    socketio = await socketIoMember(nodeA.port);
    onB = await roomcastMember(nodeB.port);
    clients.push(json.socket, msgpack.socket, socketio.socket, onB.socket);

    const exposition = await scrapeUntil("roomcast_cluster_nodes", { namespace: "/" }, 2);
    expect(sampleValue(exposition, "roomcast_connections")).toBe(3);
    expect(sampleValue(exposition, "roomcast_connections_opened_total")).toBe(3);
    expect(sampleValue(exposition, "roomcast_sockets", { namespace: "/" })).toBe(3);
    // the lobby; each socket's own id room is not an application room
    expect(sampleValue(exposition, "roomcast_rooms", { namespace: "/" })).toBe(1);
    expect(sampleValue(exposition, "roomcast_redis_connected")).toBe(1);
    expect(sampleValue(exposition, "roomcast_acks_pending", { namespace: "/" })).toBe(0);
  });

  it("counts events and bytes in and out per dialect, including broadcasts from the other node", async () => {
    const sent = { json: ["j1", "j2", "j3"], socketio: ["s1", "s2"], onB: ["b1"] };
    for (const text of sent.json) json.emit("chat", text);
    for (const text of sent.socketio) socketio.emit("chat", text);
    for (const text of sent.onB) onB.emit("chat", text);
    await waitFor(
      () => json.chats.length === 3 && msgpack.chats.length === 6 && socketio.chats.length === 4 && onB.chats.length === 5,
      "every chat to reach every other lobby member",
    );

    const exposition = await scrape();
    const events = (name: string, dialect: string) => sampleValue(exposition, name, { dialect });
    expect(events("roomcast_events_received_total", "json")).toBe(3);
    expect(events("roomcast_events_received_total", "msgpack")).toBe(0);
    expect(events("roomcast_events_received_total", "socketio")).toBe(2);
    // per recipient on node A: json gets 2 + 1, msgpack 3 + 2 + 1, socketio 3 + 1
    expect(events("roomcast_events_sent_total", "json")).toBe(3);
    expect(events("roomcast_events_sent_total", "msgpack")).toBe(6);
    expect(events("roomcast_events_sent_total", "socketio")).toBe(4);

    // at least the JSON text of each event went each way
    const textOf = (texts: string[]) => texts.reduce((sum, text) => sum + JSON.stringify(["chat", text]).length, 0);
    expect(events("roomcast_received_bytes_total", "json")).toBeGreaterThanOrEqual(textOf(sent.json));
    expect(events("roomcast_received_bytes_total", "socketio")).toBeGreaterThanOrEqual(textOf(sent.socketio));
    expect(events("roomcast_received_bytes_total", "msgpack")).toBeGreaterThan(0); // its CONNECT
    expect(events("roomcast_sent_bytes_total", "json")).toBeGreaterThanOrEqual(textOf(["s1", "s2", "b1"]));
    expect(events("roomcast_sent_bytes_total", "socketio")).toBeGreaterThanOrEqual(textOf(["j1", "j2", "j3", "b1"]));
    expect(events("roomcast_sent_bytes_total", "msgpack")).toBeGreaterThan(0);

    expect(sampleValue(exposition, "roomcast_packets_received_total")).toBeGreaterThanOrEqual(5);
    expect(sampleValue(exposition, "roomcast_cluster_messages_published_total", { namespace: "/" })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(exposition, "roomcast_cluster_messages_received_total", { namespace: "/" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(exposition, "roomcast_redis_publishes_total")).toBeGreaterThanOrEqual(5);
  });

  it("shows acks pending and timed out, volatile drops and rate-limit hits", async () => {
    const serverSocket = nodeA.io.sockets.sockets.get(json.id())!;
    // the client has no listener for "question", so no ack ever comes back
    serverSocket.timeout(60_000).emit("question", () => {});
    serverSocket.timeout(20).emit("question", () => {});
    // with volatileHighWaterMark 0, the backlog of the first emit makes the second a drop
    serverSocket.emit("news", "x".repeat(1000));
    serverSocket.volatile.emit("tick");
    // 25 events against a burst of 20
    for (let i = 0; i < 25; i++) msgpack.emit("noise", i);

    await scrapeUntil("roomcast_ack_timeouts_total", {}, 1);
    const exposition = await scrapeUntil("roomcast_rate_limited_events_total", {}, 5);
    expect(sampleValue(exposition, "roomcast_events_received_total", { dialect: "msgpack" })).toBe(25);
    expect(sampleValue(exposition, "roomcast_volatile_drops_total")).toBe(1);
    expect(sampleValue(exposition, "roomcast_acks_pending", { namespace: "/" })).toBe(1);
    expect(sampleValue(exposition, "roomcast_ack_timeouts_total")).toBe(1);
    expect(sampleValue(exposition, "roomcast_slow_consumer_closes_total")).toBe(0);
    expect(sampleValue(exposition, "roomcast_rate_limit_closes_total")).toBe(0);
  });

  it("counts recovery resumes that succeed and fail", async () => {
    const resuming = await roomcastMember(nodeA.port, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50 });
    clients.push(resuming.socket);
    const firstId = resuming.id();
    resuming.socket.io.engine.close(); // a dropped connection: the session is kept
    await waitFor(() => resuming.socket.connected && resuming.socket.recovered === true, "the client to resume its session");
    expect(resuming.id()).toBe(firstId);

    // a bare WebSocket presenting a session nobody kept: a fresh session
    const bare = new WebSocket(`ws://127.0.0.1:${nodeA.port}/roomcast`, "roomcast.v1.json");
    await once(bare, "open");
    bare.send(JSON.stringify([0, "/", null, { pid: "never-issued", position: "x:1" }]));
    const [connected] = await once(bare, "message");
    expect(JSON.parse(String(connected))[2]).toMatchObject({ recovered: false });

    const exposition = await scrape();
    expect(sampleValue(exposition, "roomcast_recovery_resumes_total", { namespace: "/", outcome: "recovered" })).toBe(1);
    expect(sampleValue(exposition, "roomcast_recovery_resumes_total", { namespace: "/", outcome: "failed" })).toBe(1);
    expect(sampleValue(exposition, "roomcast_recovery_sessions_kept_total", { namespace: "/" })).toBeGreaterThanOrEqual(1);
    // a peer's own close code (4321) is not a label value of its own
    bare.close(4321);
    await once(bare, "close");
  });

  it("counts closed connections by close code", async () => {
    nodeA.io.sockets.sockets.get(json.id())!.disconnect(true); // the server closes: 1000
    msgpack.socket.disconnect(); // the client closes: 1000
    const exposition = await scrapeUntil("roomcast_connections_closed_total", { code: "1000" }, 2);
    // the resuming client's dropped connection, cut without a close frame
    expect(sampleValue(exposition, "roomcast_connections_closed_total", { code: "1006" })).toBe(1);
    expect(sampleValue(exposition, "roomcast_connections_closed_total", { code: "other" })).toBe(1);
    // socket.io-client and the resumed client are still open
    expect(sampleValue(exposition, "roomcast_connections")).toBe(2);
  });

  it("shows a Redis outage: disconnected, broadcasts dropped or failed, then the reconnect", async () => {
    await redis.kill();
    await scrapeUntil("roomcast_redis_connected", {}, 0);
    nodeA.io.to(LOBBY).volatile.emit("chat", "lost"); // volatile while Redis is down: dropped at once
    nodeA.io.to(LOBBY).emit("chat", "late"); // queued, then failed: no retries with maxRetriesPerRequest 0
    await scrapeUntil("roomcast_redis_outage_drops_total", {}, 1);
    await waitFor(async () => (sampleValue(await scrape(), "roomcast_redis_publish_failures_total") ?? 0) >= 1, "the queued publish to fail");
    // each failed attempt to reconnect is an error event
    await waitFor(async () => (sampleValue(await scrape(), "roomcast_redis_errors_total") ?? 0) >= 1, "a connection error");

    await redis.restart();
    const up = await scrapeUntil("roomcast_redis_connected", {}, 1);
    expect(sampleValue(up, "roomcast_redis_reconnects_total")).toBeGreaterThanOrEqual(1);
  });

  it("unregisters everything on close()", async () => {
    exported.close();
    const exposition = await scrape();
    expect(exposition.samples.filter((sample) => sample.name.startsWith("roomcast_"))).toEqual([]);
    expect(register.getMetricsAsArray()).toEqual([]);
  });
});
