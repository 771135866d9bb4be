import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "../../../src/index.js";
import { CLIENT_MODES, eventually, nextEvent, startSocketIoServer, type SocketIoTestServer, upgraded } from "../../support/socketio-client.js";

describe.each(CLIENT_MODES)("socket.io-client handshake and transport, $name", (mode) => {
  let server: SocketIoTestServer;
  afterEach(async () => {
    await server?.close();
  });

  it("fills socket.handshake with the client's auth, query and headers", async () => {
    server = await startSocketIoServer(mode);
    const connection = nextEvent<[Socket]>(server.io, "connection");
    await server.connected("/", {
      auth: { token: "abc", user: { id: 7 } },
      query: { room: "blue", v: "2" },
      extraHeaders: { "x-client-name": "behaviour-test" },
    });
    const [socket] = await connection;
    const handshake = socket.handshake;
    expect(handshake.auth).toEqual({ token: "abc", user: { id: 7 } });
    expect(handshake.query).toMatchObject({ room: "blue", v: "2", EIO: "4", transport: mode.first });
    // as in Socket.IO, handshake.query is the request's _query (one object, kept once per connection)
    expect(handshake.query).toBe((socket.request as unknown as { _query: unknown })._query);
    expect(handshake.headers["x-client-name"]).toBe("behaviour-test");
    expect(handshake.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(handshake.address).toMatch(/127\.0\.0\.1$/);
    expect(handshake.secure).toBe(false);
    expect(handshake.xdomain).toBe(false);
    expect(handshake.url).toMatch(/^\/socket\.io\/\?/);
    expect(Date.now() - handshake.issued).toBeLessThan(5000);
  });

  it("gives each namespace its own auth over one connection", async () => {
    server = await startSocketIoServer(mode);
    server.io.of("/admin");
    const auths: Record<string, unknown> = {};
    server.io.on("connection", (socket) => (auths["/"] = socket.handshake.auth));
    server.io.of("/admin").on("connection", (socket) => (auths["/admin"] = socket.handshake.auth));
    const main = await server.connected("/", { auth: { role: "user" } });
    const admin = main.io.socket("/admin", { auth: { role: "admin" } });
    admin.connect();
    await nextEvent(admin, "connect");
    expect(auths).toEqual({ "/": { role: "user" }, "/admin": { role: "admin" } });
    admin.disconnect();
  });

  it("exposes the opening HTTP request as socket.request, and the transport in use as socket.conn.transport.name", async () => {
    server = await startSocketIoServer(mode);
    const upgrades: string[] = [];
    let atConnection = "";
    const connection = new Promise<Socket>((resolve) =>
      server.io.on("connection", (socket) => {
        atConnection = socket.conn.transport.name;
        socket.conn.on("upgrade", (transport) => upgrades.push(transport.name));
        resolve(socket);
      }),
    );
    const client = await server.connected("/", { extraHeaders: { "x-trace": "t-1" } });
    const socket = await connection;
    expect(atConnection).toBe(mode.first);
    expect(socket.request.headers["x-trace"]).toBe("t-1");
    expect(socket.request.url).toContain(`transport=${mode.first}`);
    expect(socket.conn.readyState).toBe("open");
    await upgraded(client);
    if (mode.first === "websocket") {
      expect(upgrades).toEqual([]);
    } else {
      await eventually(() => upgrades.length === 1, "the server's upgrade event");
      expect(upgrades).toEqual(["websocket"]);
      // the request stays the one that opened the session
      expect(socket.request.url).toContain("transport=polling");
    }
    expect(socket.conn.transport.name).toBe("websocket");
    expect(client.io.engine.transport.name).toBe("websocket");
  });

  it("receives a burst of client emits once and in order, also while the upgrade runs", async () => {
    server = await startSocketIoServer(mode);
    const received: number[] = [];
    server.io.on("connection", (socket) => socket.on("n", (n: number) => received.push(n)));
    const client = server.client("/");
    // buffered before the connection, then sent as the session opens and (default options) upgrades
    for (let i = 0; i < 100; i++) client.emit("n", i);
    await nextEvent(client, "connect");
    for (let i = 100; i < 300; i++) {
      client.emit("n", i);
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => received.length >= 300, "300 events");
    await upgraded(client);
    expect(received).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  // Long-polling only: the websocket-only mode has no polling session to test.
  if (mode.first === "polling") {
    it("stays on polling for a client with upgrade: false", async () => {
      server = await startSocketIoServer(mode);
      const connection = nextEvent<[Socket]>(server.io, "connection");
      const client = await server.connected("/", { upgrade: false });
      const [socket] = await connection;
      socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
      for (let i = 0; i < 5; i++) expect(await client.emitWithAck("echo", i)).toBe(i);
      expect(socket.conn.transport.name).toBe("polling");
      expect(client.io.engine.transport.name).toBe("polling");
    });
  }

  it("keeps socket.id, the Engine.IO sid and socket.conn.id apart, as Socket.IO does", async () => {
    server = await startSocketIoServer(mode);
    const connection = nextEvent<[Socket]>(server.io, "connection");
    const client = await server.connected();
    const [socket] = await connection;
    expect(client.id).toBe(socket.id);
    expect(socket.conn.id).toBe(client.io.engine.id);
    expect(socket.conn.id).not.toBe(socket.id);
  });
});
