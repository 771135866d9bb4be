import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { AUTH_SUBPROTOCOL_PREFIX, PacketType } from "@roomcast/protocol";
import { RawClient } from "../support/raw-client.js";
import { startServer, type TestServer } from "../support/server.js";

const authEntry = (auth: object): string => AUTH_SUBPROTOCOL_PREFIX + Buffer.from(JSON.stringify(auth)).toString("base64url");

/** Sends a bare upgrade request and resolves with the status line's code (101 when it upgraded). */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path: "/roomcast",
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Origin allowlist (cross-site WebSocket hijacking)", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("refuses a foreign Origin with 403 before upgrading, so no socket and no cookie-authenticated session exists", async () => {
    server = await startServer({ allowedOrigins: ["https://app.example"] });
    let connections = 0;
    server.io.on("connection", () => connections++);
    await expect(RawClient.connect(server.url, { headers: { Origin: "https://evil.example", Cookie: "session=victim" } })).rejects.toMatchObject({
      status: 403,
      body: expect.stringContaining("ERR_ORIGIN_REJECTED"),
    });
    // Look-alikes are not the allowed origin either.
    for (const origin of ["https://app.example.evil.example", "http://app.example", "https://app.example:444", "null"]) {
      expect(await upgradeStatus(server.port, { Origin: origin }), origin).toBe(403);
    }
    expect(server.io.metrics.connectionsOpened).toBe(0);
    expect(server.io.metrics.upgradesRejected).toBe(5);
    expect(connections).toBe(0);
  });

  it("lets the allowed origin (and non-browser clients, which send none) through", async () => {
    server = await startServer({ allowedOrigins: ["https://app.example", /^https:\/\/[a-z]+\.app\.example$/] });
    const browser = await server.client({ headers: { Origin: "https://app.example" } });
    await browser.joinOk();
    const sub = await server.client({ headers: { Origin: "https://eu.app.example" } });
    await sub.joinOk();
    expect(await upgradeStatus(server.port, {})).toBe(101);
  });
});

describe("Credentials", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  async function authServer(): Promise<TestServer> {
    const s = await startServer();
    s.io.use((socket, next) => {
      if (socket.handshake.auth.token === "good") return next();
      const err = Object.assign(new Error("unauthorized"), { data: { code: "BAD_TOKEN", hint: "log in again" } });
      next(err);
    });
    return s;
  }

  it("accepts credentials in the CONNECT packet", async () => {
    server = await authServer();
    const client = await server.client();
    expect(await client.join("/", { token: "good" })).toMatchObject({ type: PacketType.CONNECTED });
  });

  it("accepts credentials in the roomcast.auth.* subprotocol entry, which is never selected", async () => {
    server = await authServer();
    const client = await server.client({ extraProtocols: [authEntry({ token: "good" })] });
    expect(client.ws.protocol).toBe("roomcast.v1.json");
    expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECTED });
  });

  it("prefers the CONNECT packet's credentials over the subprotocol's", async () => {
    server = await authServer();
    const client = await server.client({ extraProtocols: [authEntry({ token: "good" })] });
    expect(await client.join("/", { token: "stale" })).toMatchObject({ type: PacketType.CONNECT_ERROR });
  });

  it("never reads credentials from the URL query: a token only there is not auth", async () => {
    server = await startServer();
    const seen: { auth: unknown; query: unknown }[] = [];
    server.io.use((socket, next) => {
      seen.push({ auth: socket.handshake.auth, query: socket.handshake.query });
      next(socket.handshake.auth.token === "good" ? undefined : new Error("unauthorized"));
    });
    const client = await server.client({ query: "?token=good&auth=good" });
    expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "unauthorized" });
    // The query is visible to the app as query, never as auth.
    expect(seen).toEqual([{ auth: {}, query: { token: "good", auth: "good" } }]);
  });

  it("middleware rejects with data: the client gets message and data in CONNECT_ERROR", async () => {
    server = await authServer();
    const client = await server.client();
    expect(await client.join("/", { token: "bad" })).toEqual({
      type: PacketType.CONNECT_ERROR,
      nsp: "/",
      message: "unauthorized",
      data: { code: "BAD_TOKEN", hint: "log in again" },
    });
    expect(server.io.metrics.connectErrors).toBe(1);
  });

  it("malformed subprotocol credentials count as none", async () => {
    server = await authServer();
    const client = await server.client({ extraProtocols: [AUTH_SUBPROTOCOL_PREFIX + "not-base64-json"] });
    expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "unauthorized" });
  });
});
