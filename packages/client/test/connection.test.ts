import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

describe("Socket connection", () => {
  let server: TestServer;
  const clients = new ClientPool();

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  describe("connect", () => {
    it("gets an id from the server and reports its state", async () => {
      const seen = new Promise<string>((resolve) => server.io.on("connection", (s: { id: string }) => resolve(s.id)));
      const socket = clients.connect(server.url);
      expect(socket.active).toBe(true);
      expect(socket.connected).toBe(false);
      await once(socket, "connect");
      expect(socket.connected).toBe(true);
      expect(socket.disconnected).toBe(false);
      expect(socket.id).toBe(await seen);
      expect(socket.recovered).toBe(false);
      expect(socket.io.nsps.get("/")).toBe(socket);
    });

    it("reports a middleware rejection as connect_error with message and data, and stays down", async () => {
      server.io.use((_socket: unknown, next: (err?: Error) => void) => {
        next(Object.assign(new Error("not authorized"), { data: { code: "E_AUTH" } }));
      });
      const socket = clients.connect(server.url);
      const [err] = await once<[Error & { data?: unknown }]>(socket, "connect_error");
      expect(err.message).toBe("not authorized");
      expect(err.data).toEqual({ code: "E_AUTH" });
      expect(socket.active).toBe(false);
      expect(socket.connected).toBe(false);
    });

    it("reports an unknown namespace as connect_error", async () => {
      const socket = clients.connect(`${server.url}/nowhere`);
      const [err] = await once<[Error]>(socket, "connect_error");
      expect(err.message).toBe("Invalid namespace");
    });
  });

  describe("namespaces", () => {
    it("multiplexes two namespaces over one WebSocket", async () => {
      server.io.of("/admin");
      const root = clients.connect(server.url);
      const admin = clients.track(root.io.socket("/admin"));
      await Promise.all([once(root, "connect"), once(admin, "connect")]);
      expect(admin.io).toBe(root.io);
      expect(server.upgrades()).toBe(1);
    });

    it("shares a manager through io() unless forceNew or multiplex:false", async () => {
      server.io.of("/admin");
      const { io } = await import("../src/index.js");
      const a = clients.track(io(`${server.url}/`, { path: "/roomcast" }));
      const b = clients.track(io(`${server.url}/admin`));
      const c = clients.track(io(`${server.url}/admin`, { forceNew: true }));
      const d = clients.track(io(`${server.url}/admin`, { multiplex: false }));
      await Promise.all([a, b, c, d].map((s) => once(s, "connect")));
      expect(b.io).toBe(a.io);
      expect(c.io).not.toBe(a.io);
      expect(d.io).not.toBe(a.io);
      expect(server.upgrades()).toBe(3);
    });
  });

  describe("auth and query", () => {
    it("sends auth objects and query parameters", async () => {
      const handshake = new Promise<any>((resolve) => server.io.on("connection", (s: any) => resolve(s.handshake)));
      clients.connect(`${server.url}?fromUrl=1`, { auth: { token: "abc" }, query: { room: "lobby" } });
      const seen = await handshake;
      expect(seen.auth).toEqual({ token: "abc" });
      expect(seen.query).toMatchObject({ room: "lobby", fromUrl: "1" });
    });

    it("calls an auth function on every connect", async () => {
      const tokens: unknown[] = [];
      const record = (s: any) => tokens.push(s.handshake.auth.token);
      server.io.on("connection", record);
      let counter = 0;
      const socket = clients.connect(server.url, { auth: (cb) => cb({ token: `t${++counter}` }) });
      await waitFor(() => tokens.length === 1);
      await server.close();
      server = await startServer({}, server.port);
      server.io.on("connection", record);
      await waitFor(() => tokens.length >= 2, 8000);
      expect(tokens.slice(0, 2)).toEqual(["t1", "t2"]);
      expect(socket.active).toBe(true);
    });

    it("puts auth in the subprotocol offer with authInSubprotocol", async () => {
      const headers = new Promise<any>((resolve) => server.io.on("connection", (s: any) => resolve(s.handshake.headers)));
      clients.connect(server.url, { auth: { token: "é/?" }, authInSubprotocol: true });
      const offered = String((await headers)["sec-websocket-protocol"]).split(",").map((p) => p.trim());
      const entry = offered.find((p) => p.startsWith("roomcast.auth."))!;
      const json = Buffer.from(entry.slice("roomcast.auth.".length), "base64url").toString("utf8");
      expect(JSON.parse(json)).toEqual({ token: "é/?" });
      expect(offered[0]).toBe("roomcast.v1.json");
    });
  });

  describe("disconnect", () => {
    it("io client disconnect: leaves the namespace and closes the unused connection", async () => {
      const serverReason = new Promise<string>((resolve) =>
        server.io.on("connection", (s: any) => s.on("disconnect", (reason: string) => resolve(reason))),
      );
      const socket = clients.connect(server.url);
      await once(socket, "connect");
      const closed = once(socket.io, "close");
      const disconnected = once<[string]>(socket, "disconnect");
      socket.disconnect();
      expect((await disconnected)[0]).toBe("io client disconnect");
      expect(socket.active).toBe(false);
      expect(socket.id).toBeUndefined();
      expect((await closed)[0]).toBe("forced close");
      expect(await serverReason).toMatch(/client namespace disconnect|transport close/);
    });

    it("io server disconnect: does not reconnect", async () => {
      server.io.on("connection", (s: any) => setTimeout(() => s.disconnect(), 20));
      const socket = clients.connect(server.url);
      await once(socket, "connect");
      const [reason] = await once<[string]>(socket, "disconnect");
      expect(reason).toBe("io server disconnect");
      expect(socket.active).toBe(false);
      let attempts = 0;
      socket.io.on("reconnect_attempt", () => attempts++);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(attempts).toBe(0);
    });

    it("transport close on a server shutdown (1012), then reconnects", async () => {
      const socket = clients.connect(server.url, { reconnectionDelay: 2000, reconnectionDelayMax: 2000 });
      await once(socket, "connect");
      const disconnected = once<[string, { code?: number }]>(socket, "disconnect");
      await server.close();
      const [reason, description] = await disconnected;
      expect(reason).toBe("transport close");
      expect(description?.code).toBe(1012);
      expect(socket.active).toBe(true);
      server = await startServer({}, server.port);
      await once(socket, "connect", 8000);
    });
  });
});
