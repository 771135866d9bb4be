import WebSocket from "ws";
import { afterAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../support/server.js";

/*
 * 5000 raw clients (lighter than the full client; the client package's hardening test shows a
 * real client reconnecting to the next server on 1012). 5000 client + 5000 server sockets stay
 * well under the 20000 descriptors a process may hold here.
 */
const CLIENTS = 5000;
const BATCH = 500;
const INTERVAL = 200;

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}

function connect(url: string, closes: number[]): Promise<WebSocket> {
  const ws = new WebSocket(url, ["roomcast.v1.json"]);
  ws.on("error", () => {});
  ws.on("message", (data: Buffer) => {
    if (data.length === 3) ws.send("[7]");
  });
  ws.on("close", (code) => closes.push(code));
  return new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.send('[0,"/"]');
      resolve(ws);
    });
    ws.once("error", reject);
  });
}

describe("Graceful shutdown with 5000 clients", () => {
  let server: TestServer | undefined;
  afterAll(() => server?.close());

  it("closes every connection with 1012, in batches of batchSize spaced batchIntervalMs, and leaves no handle behind", async () => {
    const handlesBefore = tcpHandles();
    server = await startServer({ shutdown: { batchSize: BATCH, batchIntervalMs: INTERVAL } });
    const io = server.io;
    // Server-side close times: taken where the batch closes each connection, so they show the batches exactly.
    const closedAt: number[] = [];
    io.on("connection", (socket) => socket.on("disconnect", (reason) => reason === "server shutting down" && closedAt.push(performance.now())));
    const codes: number[] = [];
    const clients: WebSocket[] = [];
    for (let i = 0; i < CLIENTS; i += 250) {
      const batch = await Promise.all(Array.from({ length: Math.min(250, CLIENTS - i) }, () => connect(server!.url, codes)));
      clients.push(...batch);
    }
    const deadline = Date.now() + 30_000;
    while (io.debugCounts().sockets < CLIENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(io.debugCounts().sockets).toBe(CLIENTS);

    await io.close();
    while (codes.length < CLIENTS && Date.now() < deadline + 30_000) await new Promise((r) => setTimeout(r, 20));

    // Every client was told to reconnect elsewhere.
    expect(codes).toHaveLength(CLIENTS);
    expect(codes.every((code) => code === 1012)).toBe(true);
    // The batches: groups separated by a pause of at least the interval, none larger than batchSize.
    const batches = Math.ceil(CLIENTS / BATCH);
    expect(io.metrics.shutdownBatches).toBe(batches);
    expect(closedAt).toHaveLength(CLIENTS);
    const groups: number[] = [1];
    for (let i = 1; i < closedAt.length; i++) {
      if (closedAt[i] - closedAt[i - 1] >= INTERVAL / 2) groups.push(1);
      else groups[groups.length - 1]++;
    }
    expect(groups).toEqual(Array.from({ length: batches }, () => BATCH));
    // Timers may fire a millisecond early; never a whole interval.
    expect(closedAt[closedAt.length - 1] - closedAt[0]).toBeGreaterThanOrEqual((batches - 1) * (INTERVAL - 2));
    // Nothing left: no connection, no listening socket, no TCP handle of ours.
    expect(io.debugCounts()).toMatchObject({ connections: 0, sockets: 0, rooms: 0 });
    expect(server.http.listening).toBe(false);
    for (const ws of clients) ws.terminate();
    const handleDeadline = Date.now() + 10_000;
    while (tcpHandles() > handlesBefore && Date.now() < handleDeadline) await new Promise((r) => setTimeout(r, 50));
    expect(tcpHandles()).toBeLessThanOrEqual(handlesBefore);
  }, 120_000);
});
