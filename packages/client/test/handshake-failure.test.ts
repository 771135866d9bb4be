import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "../src/socket.js";
import { ClientPool, once } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

/* the connect timeout of these clients: a failure reported through it would take this long */
const TIMEOUT = 10_000;
/* what "fails fast" means here: one round trip on loopback, with room for a loaded machine */
const FAST = 2000;

/** An HTTP server on loopback that is not a roomcast server. */
async function startPlainServer(setup: (server: HttpServer) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  setup(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function firstConnectError(socket: Socket): Promise<{ err: Error; ms: number }> {
  const start = Date.now();
  const [err] = await once<[Error]>(socket, "connect_error", TIMEOUT + 1000);
  return { err, ms: Date.now() - start };
}

describe("connect_error before the WebSocket opens (Node)", () => {
  const clients = new ClientPool();
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    clients.closeAll();
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it("says which HTTP status refused the upgrade and asks whether roomcast listens at that path (404)", async () => {
    const plain = await startPlainServer((server) => server.on("request", (_req, res) => res.writeHead(404).end("Not Found")));
    closers.push(plain.close);
    const { err, ms } = await firstConnectError(clients.connect(plain.url, { reconnection: false, timeout: TIMEOUT }));
    const port = new URL(plain.url).port;
    expect(err.message).toBe(`WebSocket upgrade to ws://127.0.0.1:${port}/roomcast failed (HTTP 404): is a roomcast server listening at this path?`);
    expect(ms).toBeLessThan(FAST);
  });

  it("says the server closed the connection without answering when the socket is destroyed", async () => {
    const plain = await startPlainServer((server) => server.on("upgrade", (_req, socket) => socket.destroy()));
    closers.push(plain.close);
    const { err, ms } = await firstConnectError(clients.connect(plain.url, { reconnection: false, timeout: TIMEOUT, path: "/rc" }));
    const port = new URL(plain.url).port;
    expect(err.message).toBe(
      `WebSocket upgrade to ws://127.0.0.1:${port}/rc failed: the server closed the connection without answering (socket hang up): is a roomcast server listening at this path?`,
    );
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    expect(ms).toBeLessThan(FAST);
  });

  it("gives a roomcast server's own refusal: status, error code and message", async () => {
    const server: TestServer = await startServer({ allowedOrigins: ["http://app.example"] });
    closers.push(server.close);
    const socket = clients.connect(server.url, { reconnection: false, timeout: TIMEOUT, extraHeaders: { origin: "http://evil.example" } });
    const { err, ms } = await firstConnectError(socket);
    expect(err.message).toBe(`WebSocket upgrade to ws://127.0.0.1:${server.port}/roomcast refused by the server (HTTP 403, ERR_ORIGIN_REJECTED: origin not allowed)`);
    expect(ms).toBeLessThan(FAST);
  });

  it("keeps the query string out of the message", async () => {
    const plain = await startPlainServer((server) => server.on("request", (_req, res) => res.writeHead(404).end()));
    closers.push(plain.close);
    const { err } = await firstConnectError(clients.connect(plain.url, { reconnection: false, query: { token: "s3cret" } }));
    expect(err.message).not.toContain("s3cret");
  });

  it("passes a connection failure on with the address and the system error", async () => {
    const plain = await startPlainServer(() => {});
    await plain.close(); // nothing listens on this port any more
    const { err, ms } = await firstConnectError(clients.connect(plain.url, { reconnection: false, timeout: TIMEOUT }));
    expect(err.message).toMatch(/^WebSocket connection to ws:\/\/127\.0\.0\.1:\d+\/roomcast failed: connect ECONNREFUSED/);
    expect(ms).toBeLessThan(FAST);
  });

  it("reports the same message on every reconnection attempt, and the manager's error event carries it too", async () => {
    const plain = await startPlainServer((server) => server.on("request", (_req, res) => res.writeHead(404).end()));
    closers.push(plain.close);
    const socket = clients.connect(plain.url, { timeout: TIMEOUT, reconnectionDelay: 10, reconnectionDelayMax: 10 });
    const managerError = once<[Error]>(socket.io, "error");
    const messages: string[] = [];
    await new Promise<void>((resolve) => {
      socket.on("connect_error", (err) => {
        messages.push(err.message);
        if (messages.length === 3) resolve();
      });
    });
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toContain("(HTTP 404)");
    expect((await managerError)[0].message).toBe(messages[0]);
  });
});
