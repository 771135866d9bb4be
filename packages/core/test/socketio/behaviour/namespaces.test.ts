import { afterEach, describe, expect, it } from "vitest";
import type { Namespace, Socket } from "../../../src/index.js";
import { CLIENT_MODES, eventually, nextEvent, sleep, startSocketIoServer, type SocketIoTestServer } from "../../support/socketio-client.js";

describe.each(CLIENT_MODES)("socket.io-client namespaces, $name", (mode) => {
  let server: SocketIoTestServer;
  afterEach(async () => {
    await server?.close();
  });

  it("joins a static namespace; broadcasts stay inside their namespace", async () => {
    server = await startSocketIoServer(mode);
    const admin = server.io.of("/admin");
    const adminJoined = nextEvent<[Socket]>(admin, "connection");
    const main = await server.connected("/");
    const boss = await server.connected("/admin");
    const [socket] = await adminJoined;
    expect(socket.nsp.name).toBe("/admin");
    const mainEvents: unknown[][] = [];
    const adminEvents: unknown[][] = [];
    main.onAny((...args: unknown[]) => mainEvents.push(args));
    boss.onAny((...args: unknown[]) => adminEvents.push(args));
    admin.emit("memo", "admins only");
    server.io.emit("news", "everyone in /");
    await eventually(() => mainEvents.length === 1 && adminEvents.length === 1, "one event each");
    await sleep(30);
    expect(mainEvents).toEqual([["news", "everyone in /"]]);
    expect(adminEvents).toEqual([["memo", "admins only"]]);
  });

  it("multiplexes several namespaces over one connection of one manager", async () => {
    server = await startSocketIoServer(mode);
    server.io.of("/chat").on("connection", (socket) => socket.on("hi", (ack: (nsp: string) => void) => ack(socket.nsp.name)));
    server.io.on("connection", (socket) => socket.on("hi", (ack: (nsp: string) => void) => ack(socket.nsp.name)));
    const main = await server.connected("/", { forceNew: true });
    const chat = main.io.socket("/chat");
    chat.connect();
    await nextEvent(chat, "connect");
    expect(await main.emitWithAck("hi")).toBe("/");
    expect(await chat.emitWithAck("hi")).toBe("/chat");
    expect(server.io.engine.clientsCount).toBe(1);
    // leaving one namespace keeps the connection and the other namespace
    const left = nextEvent<[string]>(server.io.of("/chat").sockets.values().next().value!, "disconnect");
    chat.disconnect();
    expect((await left)[0]).toBe("client namespace disconnect");
    expect(await main.emitWithAck("hi")).toBe("/");
    expect(server.io.engine.clientsCount).toBe(1);
  });

  it("creates children of a dynamic namespace on first connect; the parent's middleware and listeners apply", async () => {
    server = await startSocketIoServer(mode);
    const teams = server.io.of(/^\/team-\d+$/);
    const created: string[] = [];
    server.io.on("new_namespace", (nsp: Namespace) => created.push(nsp.name));
    teams.use((socket, next) => {
      socket.data = { via: "parent middleware" };
      next();
    });
    teams.on("connection", (socket) => {
      socket.join("members");
      socket.on("who", (ack: (v: unknown) => void) => ack({ nsp: socket.nsp.name, data: socket.data }));
    });
    const t42 = await server.connected("/team-42");
    const t7 = await server.connected("/team-7");
    expect(await t42.emitWithAck("who")).toEqual({ nsp: "/team-42", data: { via: "parent middleware" } });
    expect(created).toEqual(["/team-42", "/team-7"]);

    const events: unknown[][] = [];
    t7.onAny((...args: unknown[]) => events.push(args));
    t42.onAny((...args: unknown[]) => events.push(["t42", ...args]));
    server.io.of("/team-7").to("members").emit("go", 7);
    await eventually(() => events.length === 1, "the child's broadcast");
    await sleep(30);
    expect(events).toEqual([["go", 7]]);
  });

  it("refuses a namespace nobody serves with connect_error Invalid namespace", async () => {
    server = await startSocketIoServer(mode);
    server.io.of(/^\/team-\d+$/);
    const client = server.client("/team-x");
    const [err] = await nextEvent<[Error]>(client, "connect_error");
    expect(err.message).toBe("Invalid namespace");
    expect(client.connected).toBe(false);
  });

  it("turns a middleware's next(err) into connect_error with err.message and err.data", async () => {
    server = await startSocketIoServer(mode);
    server.io.of("/private").use((socket, next) => {
      const token = (socket.handshake.auth as { token?: string }).token;
      if (token === "secret") return next();
      next(Object.assign(new Error("unauthorized"), { data: { reason: "bad token", retry: false } }));
    });
    const refused = server.client("/private", { auth: { token: "guess" } });
    const [err] = await nextEvent<[Error & { data?: unknown }]>(refused, "connect_error");
    expect(err.message).toBe("unauthorized");
    expect(err.data).toEqual({ reason: "bad token", retry: false });
    expect(refused.connected).toBe(false);
    const allowed = await server.connected("/private", { auth: { token: "secret" } });
    expect(allowed.connected).toBe(true);
  });

  it("refuses in a dynamic parent's middleware, and in io.use for the main namespace", async () => {
    server = await startSocketIoServer(mode);
    server.io.of(/^\/room-\w+$/).use((_socket, next) => next(Object.assign(new Error("closed"), { data: { code: 42 } })));
    server.io.use((socket, next) => ((socket.handshake.auth as { ok?: boolean }).ok ? next() : next(new Error("go away"))));
    const dynamic = server.client("/room-a", { auth: { ok: true } });
    const [dynamicErr] = await nextEvent<[Error & { data?: unknown }]>(dynamic, "connect_error");
    expect([dynamicErr.message, dynamicErr.data]).toEqual(["closed", { code: 42 }]);
    const main = server.client("/");
    const [mainErr] = await nextEvent<[Error & { data?: unknown }]>(main, "connect_error");
    expect(mainErr.message).toBe("go away");
    expect(mainErr.data).toBeUndefined();
  });
});
