import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

/** A bare `ws` server that speaks just enough protocol, then can go silent or send garbage. */
async function rawServer(onConnection: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void>; connections(): number }> {
  const http: HttpServer = createServer();
  const wss = new WebSocketServer({ server: http, path: "/roomcast", handleProtocols: () => "roomcast.v1.json" });
  let connections = 0;
  wss.on("connection", (ws) => {
    connections++;
    ws.on("error", () => {});
    onConnection(ws);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** Answers CONNECT with CONNECTED (short heartbeat timing), then never sends anything again. */
function frozenAfterConnect(ws: WebSocket): void {
  ws.on("message", (data) => {
    const packet = JSON.parse(String(data)) as unknown[];
    if (packet[0] === 0) ws.send(JSON.stringify([1, packet[1], { sid: "frozen", pingInterval: 200, pingTimeout: 200 }]));
  });
}

describe("Heartbeat", () => {
  const clients = new ClientPool();
  let server: TestServer | undefined;
  let raw: Awaited<ReturnType<typeof rawServer>> | undefined;

  afterEach(async () => {
    clients.closeAll();
    await server?.close();
    await raw?.close();
    server = raw = undefined;
  });

  it("answers the server's heartbeats, so a quiet connection stays up", async () => {
    server = await startServer({ pingInterval: 100, pingTimeout: 200 });
    const socket = clients.connect(server.url);
    await once(socket, "connect");
    let pings = 0;
    socket.io.on("ping", () => pings++);
    await waitFor(() => pings >= 4);
    expect(socket.connected).toBe(true);
  });

  it("detects a frozen server as ping timeout and reconnects", async () => {
    raw = await rawServer(frozenAfterConnect);
    const socket = clients.connect(raw.url);
    await once(socket, "connect");
    const started = Date.now();
    const [reason] = await once<[string]>(socket, "disconnect", 3000);
    expect(reason).toBe("ping timeout");
    // within pingInterval + pingTimeout, plus slack for a loaded machine
    expect(Date.now() - started).toBeLessThan(400 + 1500);
    await once(socket, "connect", 5000);
    expect(raw.connections()).toBe(2);
  });

  it("closes on a frame that is not a valid packet with reason parse error", async () => {
    raw = await rawServer((ws) => {
      ws.on("message", (data) => {
        const packet = JSON.parse(String(data)) as unknown[];
        if (packet[0] !== 0) return;
        ws.send(JSON.stringify([1, packet[1], { sid: "x", pingInterval: 10_000, pingTimeout: 10_000 }]));
        setTimeout(() => ws.send("{not json"), 20);
      });
    });
    const socket = clients.connect(raw.url, { reconnection: false });
    const [reason] = await once<[string]>(socket, "disconnect");
    expect(reason).toBe("parse error");
  });

  it("reports an open that never completes as a timeout error", async () => {
    const http = createServer();
    const held = new Set<import("node:stream").Duplex>();
    http.on("upgrade", (_req, socket) => held.add(socket)); // never answers the upgrade
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    try {
      const socket = clients.connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { timeout: 200, reconnection: false });
      const [err] = await once<[Error]>(socket, "connect_error");
      expect(err.message).toBe("timeout");
    } finally {
      for (const socket of held) socket.destroy();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
