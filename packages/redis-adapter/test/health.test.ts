import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createHealthHandler, Server } from "@roomcast/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";

/*
 * /healthz and /readyz of a node on the Redis adapter, while the test kills and restarts its
 * redis-server and then shuts the node down.
 */
describe("health checks of a node on the Redis adapter", () => {
  let redis: RedisServer;
  let io: Server;
  let base = "";
  const redisClients: Redis[] = [];
  const clients: RecordingClient[] = [];

  async function probe(path: string): Promise<{ status: number; body: { live: boolean; ready: boolean; reasons: string[] } }> {
    const response = await fetch(base + path);
    return { status: response.status, body: (await response.json()) as never };
  }

  async function probeUntil(path: string, status: number): Promise<{ live: boolean; ready: boolean; reasons: string[] }> {
    let last: Awaited<ReturnType<typeof probe>> | undefined;
    await waitFor(async () => (last = await probe(path)).status === status, `${path} to answer ${status} (last: ${JSON.stringify(last)})`);
    return last!.body;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    const pub = new Redis(redis.url, { retryStrategy: () => 100 });
    const sub = pub.duplicate();
    redisClients.push(pub, sub);
    const httpServer = createServer((req, res) => {
      if (!health(req, res)) res.writeHead(404).end();
    });
    io = new Server(httpServer, {
      adapter: createAdapter(pub, sub, { logger: quietLogger }),
      logger: quietLogger,
      // two batches 500 ms apart: long enough to see the node draining
      shutdown: { batchSize: 1, batchIntervalMs: 500 },
    });
    const health = createHealthHandler(io);
    httpServer.listen(0, "127.0.0.1");
    await once(httpServer, "listening");
    base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.socket.disconnect();
    await io?.close();
    for (const client of redisClients) client.disconnect();
    await redis?.kill();
  });

  it("is live and ready once both Redis connections are up", async () => {
    const ready = await probeUntil("/readyz", 200);
    expect(ready).toEqual({ live: true, ready: true, reasons: [] });
    expect((await probe("/healthz")).status).toBe(200);
  });

  it("is not ready while Redis is down, and still live", async () => {
    await redis.kill();
    const down = await probeUntil("/readyz", 503);
    expect(down).toEqual({ live: true, ready: false, reasons: ["cluster transport disconnected"] });
    expect(await probe("/healthz")).toEqual({ status: 200, body: down });
    expect(io.health()).toEqual(down);
  });

  it("is ready again once Redis is back", async () => {
    await redis.restart();
    expect(await probeUntil("/readyz", 200)).toEqual({ live: true, ready: true, reasons: [] });
  });

  it("is not ready while close() drains its connections, and not live once it is done", async () => {
    const port = Number(new URL(base).port);
    clients.push(await recordingClient(port), await recordingClient(port));
    const closing = io.close();
    const draining = await probeUntil("/readyz", 503);
    expect(draining).toEqual({ live: true, ready: false, reasons: ["server closing"] });
    expect((await probe("/healthz")).status).toBe(200);
    await closing;
    expect(io.health()).toEqual({ live: false, ready: false, reasons: ["server closed"] });
  });
});
