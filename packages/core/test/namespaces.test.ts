import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, PacketType, type Packet } from "@roomcast/protocol";
import type { Socket } from "../src/index.js";
import { once, startServer, waitUntil, type TestServer } from "./support/server.js";

function authEntry(value: unknown): string {
  return `roomcast.auth.${Buffer.from(JSON.stringify(value)).toString("base64url")}`;
}

describe("Namespaces", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("io.sockets is the main namespace and io.of returns the same namespace twice", async () => {
    server = await startServer();
    expect(server.io.sockets.name).toBe("/");
    expect(server.io.of("/")).toBe(server.io.sockets);
    expect(server.io.of("admin")).toBe(server.io.of("/admin"));
  });

  it("multiplexes two namespaces over one connection with separate socket ids", async () => {
    server = await startServer();
    const admin = server.io.of("/admin");
    const seen: Socket[] = [];
    server.io.on("connection", (s) => seen.push(s));
    admin.on("connection", (s) => seen.push(s));
    const client = await server.client();
    const main = await client.joinOk("/");
    const adminSid = await client.joinOk("/admin");
    expect(main).not.toBe(adminSid);
    expect(seen.map((s) => s.nsp.name)).toEqual(["/", "/admin"]);
    expect(seen[0].conn).toBe(seen[1].conn);
    admin.emit("only-admin", 1);
    server.io.emit("only-main", 2);
    await client.waitForEvent("only-admin", "/admin");
    await client.waitForEvent("only-main", "/");
    expect(client.events("/admin", "only-main")).toHaveLength(0);
  });

  it("answers CONNECT_ERROR 'Invalid namespace' for an unknown namespace", async () => {
    server = await startServer();
    const client = await server.client();
    const packet = await client.join("/nope");
    expect(packet).toEqual({ type: PacketType.CONNECT_ERROR, nsp: "/nope", message: "Invalid namespace", data: { code: ErrorCode.UNKNOWN_NAMESPACE } });
    expect(await client.joinOk("/")).toBeTypeOf("string");
  });

  it("creates children of a RegExp namespace on first connect; its middleware and listeners apply", async () => {
    server = await startServer();
    const parent = server.io.of(/^\/team-\d+$/);
    const joined: string[] = [];
    const created: string[] = [];
    server.io.on("new_namespace", (nsp) => created.push(nsp.name));
    parent.use((socket, next) => (socket.handshake.auth.ok ? next() : next(new Error("not on the team"))));
    parent.on("connection", (socket) => joined.push(socket.nsp.name));
    const client = await server.client();
    expect(await client.join("/team-1", { ok: false })).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "not on the team" });
    expect((await client.join("/team-2", { ok: true })).type).toBe(PacketType.CONNECTED);
    expect((await client.join("/team-x")).type).toBe(PacketType.CONNECT_ERROR);
    expect(joined).toEqual(["/team-2"]);
    expect(created).toEqual(["/team-1", "/team-2"]);
    // Emitting on the parent reaches every child, addressed with the child's name.
    parent.emit("hello", "teams");
    const packet = await client.waitForEvent("hello", "/team-2");
    expect(packet.data).toEqual(["hello", "teams"]);
  });

  it("accepts a matcher function for dynamic namespaces", async () => {
    server = await startServer();
    server.io.of((name, auth, next) => setTimeout(() => next(null, name.startsWith("/dyn-") && auth.key === "k"), 5));
    const client = await server.client();
    expect((await client.join("/dyn-a", { key: "k" })).type).toBe(PacketType.CONNECTED);
    expect((await client.join("/dyn-b", { key: "x" })).type).toBe(PacketType.CONNECT_ERROR);
  });

  it("refuses more than maxNamespacesPerConnection namespaces on one connection", async () => {
    server = await startServer({ maxNamespacesPerConnection: 2 });
    server.io.of("/a");
    server.io.of("/b");
    const client = await server.client();
    await client.joinOk("/");
    await client.joinOk("/a");
    expect(await client.join("/b")).toMatchObject({
      type: PacketType.CONNECT_ERROR,
      data: { code: ErrorCode.TOO_MANY_NAMESPACES },
    });
  });

  it("a client DISCONNECT leaves only that namespace", async () => {
    server = await startServer();
    server.io.of("/chat");
    const reasons: string[] = [];
    server.io.of("/chat").on("connection", (s) => s.on("disconnect", (r) => reasons.push(r)));
    const client = await server.client();
    await client.joinOk("/");
    await client.joinOk("/chat");
    client.send({ type: PacketType.DISCONNECT, nsp: "/chat" });
    await waitUntil(() => reasons.length === 1);
    expect(reasons).toEqual(["client namespace disconnect"]);
    expect(server.io.of("/chat").sockets.size).toBe(0);
    expect(server.io.sockets.sockets.size).toBe(1);
    // It can come back.
    await client.joinOk("/chat");
  });
});

describe("Middleware", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("next(err) answers CONNECT_ERROR with the message and data", async () => {
    server = await startServer();
    server.io.use((_socket, next) => next(Object.assign(new Error("unauthorized"), { data: { reason: "no token" } })));
    const client = await server.client();
    const packet = await client.join("/");
    expect(packet).toEqual({ type: PacketType.CONNECT_ERROR, nsp: "/", message: "unauthorized", data: { reason: "no token" } });
    expect(server.io.sockets.sockets.size).toBe(0);
  });

  it("runs in order, may be async, and sets socket.data before 'connection'", async () => {
    server = await startServer<any, any>();
    const order: number[] = [];
    server.io.use((socket, next) => {
      order.push(1);
      socket.data.user = socket.handshake.auth.user;
      setTimeout(next, 5);
    });
    server.io.use((_socket, next) => {
      order.push(2);
      next();
    });
    const connection = once<Socket>(server.io, "connection");
    const client = await server.client();
    await client.joinOk("/", { user: "ada" });
    expect(order).toEqual([1, 2]);
    expect((await connection).data.user).toBe("ada");
  });

  it("gives each socket its own socket.data, {} until set, holding whatever is set, undefined included", async () => {
    server = await startServer<any, any>();
    const connections = [once<Socket>(server.io, "connection")];
    await server.joined();
    connections.push(once<Socket>(server.io, "connection"));
    await server.joined();
    const [a, b] = await Promise.all(connections);
    expect(a!.data).toEqual({});
    expect(a!.data).toBe(a!.data);
    expect(a!.data).not.toBe(b!.data);
    a!.data.n = 1;
    expect(b!.data).toEqual({});
    b!.data = undefined;
    expect(b!.data).toBeUndefined();
    expect(a!.data).toEqual({ n: 1 });
  });

  it('a middleware that throws refuses the connection without crashing, telling the client only "middleware error"', async () => {
    server = await startServer();
    server.io.use(() => {
      throw new Error("boom");
    });
    const client = await server.client();
    expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "middleware error" });
  });

  it("socket.use sees every event; next(err) emits 'error' on the socket instead of the listener", async () => {
    server = await startServer();
    const errors: string[] = [];
    const chats: unknown[] = [];
    server.io.on("connection", (socket) => {
      socket.use(([event], next) => (event === "forbidden" ? next(new Error("not allowed")) : next()));
      socket.on("error", (err) => errors.push(err.message));
      socket.on("chat", (text: string) => chats.push(text));
      socket.on("forbidden", () => chats.push("leaked"));
    });
    const client = await server.joined("/");
    client.emit("/", "forbidden");
    client.emit("/", "chat", "hi");
    await waitUntil(() => chats.length === 1 && errors.length === 1);
    expect(chats).toEqual(["hi"]);
    expect(errors).toEqual(["not allowed"]);
  });
});

describe("Socket handshake and connection", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("exposes auth, query, headers, address, time and url", async () => {
    server = await startServer();
    const connection = once<Socket>(server.io, "connection");
    const client = await server.client({ query: "?room=5&tag=a&tag=b", headers: { "x-test": "yes" } });
    await client.joinOk("/", { token: "t1" });
    const socket = await connection;
    const hs = socket.handshake;
    expect(hs.auth).toEqual({ token: "t1" });
    expect(hs.query).toEqual({ room: "5", tag: ["a", "b"] });
    expect(hs.headers["x-test"]).toBe("yes");
    expect(hs.address).toMatch(/127\.0\.0\.1/);
    expect(hs.url).toBe("/roomcast?room=5&tag=a&tag=b");
    expect(hs.secure).toBe(false);
    expect(hs.xdomain).toBe(false);
    expect(typeof hs.time).toBe("string");
    expect(Math.abs(hs.issued - Date.now())).toBeLessThan(60_000);
    expect(socket.conn.protocol).toBe("roomcast.v1.json");
    expect(socket.conn.codec?.name).toBe("json");
    expect(socket.conn.remoteAddress).toMatch(/127\.0\.0\.1/);
  });

  it("takes auth from the roomcast.auth subprotocol entry when CONNECT carries none", async () => {
    server = await startServer();
    const connection = once<Socket>(server.io, "connection");
    const client = await server.client({ extraProtocols: [authEntry({ token: "from-header" })] });
    expect(client.ws.protocol).toBe("roomcast.v1.json");
    await client.joinOk("/");
    expect((await connection).handshake.auth).toEqual({ token: "from-header" });
  });

  it("negotiates msgpack and defaults to JSON without an offer", async () => {
    server = await startServer();
    const sockets: Socket[] = [];
    server.io.on("connection", (s) => {
      sockets.push(s);
      s.emit("bin", new Uint8Array([1, 2, 3]), { n: 1 });
    });
    const mp = await server.client({ protocol: "msgpack" });
    expect(mp.ws.protocol).toBe("roomcast.v1.msgpack");
    await mp.joinOk("/");
    const packet = (await mp.waitForEvent("bin")) as Packet & { data: unknown[] };
    expect(new Uint8Array(packet.data[1] as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
    const plain = await server.client({ protocol: "none" });
    await plain.joinOk("/");
    await plain.waitForEvent("bin");
    expect(sockets.map((s) => s.conn.codec?.name)).toEqual(["msgpack", "json"]);
  });

  it("socket.conn.close() closes the connection", async () => {
    server = await startServer();
    const connection = once<Socket>(server.io, "connection");
    const client = await server.joined("/");
    (await connection).conn.close(4100 as never, "transport close", "bye");
    expect((await client.closed).code).toBe(4100);
  });
});
