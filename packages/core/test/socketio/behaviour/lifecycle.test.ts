import { afterEach, describe, expect, it } from "vitest";
import type { DisconnectReason, Socket } from "../../../src/index.js";
import {
  CLIENT_MODES,
  type ClientSocket,
  DroppingProxy,
  eventually,
  nextEvent,
  sleep,
  startSocketIoServer,
  type SocketIoTestServer,
  upgraded,
} from "../../support/socketio-client.js";

describe.each(CLIENT_MODES)("socket.io-client connection lifecycle, $name", (mode) => {
  let server: SocketIoTestServer;
  let proxy: DroppingProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await server?.close();
  });

  async function pair(options = {}): Promise<{ client: ClientSocket; socket: Socket }> {
    const connection = nextEvent<[Socket]>(server.io, "connection");
    const client = await server.connected("/", options);
    const [socket] = await connection;
    return { client, socket };
  }

  describe("server disconnect", () => {
    it("socket.disconnect(): the client gets io server disconnect and does not reconnect", async () => {
      server = await startSocketIoServer(mode);
      const { client, socket } = await pair({ reconnection: true, reconnectionDelay: 50 });
      let attempts = 0;
      client.io.on("reconnect_attempt", () => attempts++);
      const serverReason = nextEvent<[DisconnectReason]>(socket, "disconnect");
      const clientReason = nextEvent<[string]>(client, "disconnect");
      socket.disconnect();
      expect((await clientReason)[0]).toBe("io server disconnect");
      expect((await serverReason)[0]).toBe("server namespace disconnect");
      await sleep(300);
      expect(attempts).toBe(0);
      expect(client.connected).toBe(false);
      // the client closes its manager's connection once no namespace socket is left
      await eventually(() => server.io.engine.clientsCount === 0, "the connection to close");
    });

    it("socket.disconnect(true) closes the whole connection; every namespace's client gets io server disconnect", async () => {
      server = await startSocketIoServer(mode);
      server.io.of("/admin");
      const { client, socket } = await pair({ reconnection: true, reconnectionDelay: 50 });
      const admin = client.io.socket("/admin");
      admin.connect();
      await nextEvent(admin, "connect");
      let attempts = 0;
      client.io.on("reconnect_attempt", () => attempts++);
      const mainReason = nextEvent<[string]>(client, "disconnect");
      const adminReason = nextEvent<[string]>(admin, "disconnect");
      socket.disconnect(true);
      expect((await mainReason)[0]).toBe("io server disconnect");
      expect((await adminReason)[0]).toBe("io server disconnect");
      await eventually(() => server.io.engine.clientsCount === 0, "the connection to close");
      await sleep(300);
      expect(attempts).toBe(0);
    });
  });

  it("reconnects after a transport drop and delivers the emits buffered while offline, in order", async () => {
    server = await startSocketIoServer(mode, { pingInterval: 200, pingTimeout: 200 });
    proxy = await DroppingProxy.start(server.port);
    const received: unknown[] = [];
    const reasons: DisconnectReason[] = [];
    server.io.on("connection", (socket) => {
      socket.on("msg", (n: number) => received.push(n));
      socket.on("disconnect", (reason) => reasons.push(reason));
    });
    const client = server.client("/", { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 100, randomizationFactor: 0 }, proxy.url);
    await nextEvent(client, "connect");
    await upgraded(client);
    const firstId = client.id;
    client.emit("msg", 1);
    await eventually(() => received.length === 1, "the first emit");
    const clientReason = nextEvent<[string]>(client, "disconnect");
    proxy.cut();
    const [reason] = await clientReason;
    expect(["transport close", "transport error"]).toContain(reason);
    client.emit("msg", 2);
    client.emit("msg", 3);
    await nextEvent(client, "connect", 3000);
    expect(client.id).not.toBe(firstId);
    await eventually(() => received.length === 3, "the buffered emits");
    expect(received).toEqual([1, 2, 3]);
    // the first socket was let go of, through its transport closing or the heartbeat
    await eventually(() => reasons.length === 1, "the server to drop the first socket");
    expect(["transport close", "transport error", "ping timeout"]).toContain(reasons[0]);
  });

  it("disconnects a client that stops answering pings with ping timeout, within pingInterval + pingTimeout", async () => {
    const pingInterval = 150;
    const pingTimeout = 100;
    server = await startSocketIoServer(mode, { pingInterval, pingTimeout });
    const { client, socket } = await pair();
    const started = Date.now();
    // the client stops answering: its engine drops every pong it would send
    const engine = client.io.engine as unknown as { _sendPacket(type: string, ...rest: unknown[]): void };
    const send = engine._sendPacket.bind(engine);
    engine._sendPacket = (type, ...rest) => {
      if (type !== "pong") send(type, ...rest);
    };
    const [reason] = await nextEvent<[DisconnectReason]>(socket, "disconnect", 2000);
    const elapsed = Date.now() - started;
    expect(reason).toBe("ping timeout");
    // the server is never late; the margin is for timers of a busy test process
    expect(elapsed).toBeLessThanOrEqual(pingInterval + pingTimeout + 100);
    expect(server.io.metrics.heartbeatTimeouts).toBe(1);
  });

  it("keeps a client that answers pings connected over many ping intervals", async () => {
    server = await startSocketIoServer(mode, { pingInterval: 50, pingTimeout: 50 });
    const { client, socket } = await pair();
    let pings = 0;
    client.io.on("ping", () => pings++);
    await sleep(500);
    expect(pings).toBeGreaterThanOrEqual(5);
    expect(socket.connected).toBe(true);
    expect(client.connected).toBe(true);
  });

  it("closes the connection of a message larger than maxPayload; other clients are unaffected", async () => {
    const maxPayload = 10_000;
    server = await startSocketIoServer(mode, { maxPayload });
    const seen: string[] = [];
    server.io.on("connection", (socket) => {
      socket.on("big", () => seen.push("big"));
      socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
    });
    const { client: sender, socket: senderSocket } = await pair();
    const other = await server.connected();
    await upgraded(sender);
    const serverReason = nextEvent<[DisconnectReason]>(senderSocket, "disconnect");
    const clientReason = nextEvent<[string]>(sender, "disconnect");
    sender.emit("big", "x".repeat(maxPayload * 2));
    const [reason] = await serverReason;
    expect(["transport error", "parse error", "transport close"]).toContain(reason);
    expect(["transport error", "transport close"]).toContain((await clientReason)[0]);
    expect(seen).toEqual([]);
    expect(await other.emitWithAck("echo", "still here")).toBe("still here");
    expect(other.connected).toBe(true);
    expect(server.io.engine.clientsCount).toBe(1);
  });

  // Long-polling only: the websocket-only mode has no polling session to test.
  if (mode.first === "polling") {
    it("closes a long-polling session whose POST is larger than maxPayload", async () => {
      const maxPayload = 10_000;
      server = await startSocketIoServer(mode, { maxPayload });
      const seen: string[] = [];
      server.io.on("connection", (socket) => {
        socket.on("big", () => seen.push("big"));
        socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
      });
      const { client: sender, socket: senderSocket } = await pair({ upgrade: false });
      const other = await server.connected("/", { upgrade: false });
      const serverReason = nextEvent<[DisconnectReason]>(senderSocket, "disconnect");
      const clientReason = nextEvent<[string]>(sender, "disconnect");
      sender.emit("big", "x".repeat(maxPayload * 2));
      expect(["transport error", "parse error", "transport close"]).toContain((await serverReason)[0]);
      // the 413 answering the POST and the close packet on the waiting GET race each other
      expect(["transport error", "transport close"]).toContain((await clientReason)[0]);
      expect(seen).toEqual([]);
      expect(await other.emitWithAck("echo", "still here")).toBe("still here");
      expect(other.io.engine.transport.name).toBe("polling");
    });
  }

  it("reports why a client left: client namespace disconnect, or transport close when its connection goes", async () => {
    server = await startSocketIoServer(mode);
    const first = await pair();
    const second = await pair();
    const leaving = nextEvent<[DisconnectReason]>(first.socket, "disconnect");
    first.client.disconnect();
    expect((await leaving)[0]).toBe("client namespace disconnect");
    const closing = nextEvent<[DisconnectReason]>(second.socket, "disconnect");
    second.client.io.engine.close();
    expect((await closing)[0]).toBe("transport close");
  });

  it("io.close() lets connected clients go at once, polling ones included, and they see transport close", async () => {
    server = await startSocketIoServer(mode);
    const clients = [await server.connected("/"), await server.connected("/", { upgrade: false })];
    await upgraded(clients[0]);
    const reasons = clients.map((client) => nextEvent<[string]>(client, "disconnect"));
    const started = Date.now();
    await server.io.close();
    // well before closeTimeout (2 s): nobody was waited for
    expect(Date.now() - started).toBeLessThan(1000);
    for (const reason of reasons) expect((await reason)[0]).toBe("transport close");
  });

  it("counts open connections in io.engine.clientsCount", async () => {
    server = await startSocketIoServer(mode);
    expect(server.io.engine.clientsCount).toBe(0);
    const a = await server.connected();
    const b = await server.connected();
    expect(server.io.engine.clientsCount).toBe(2);
    a.disconnect();
    await eventually(() => server.io.engine.clientsCount === 1, "one connection left");
    b.io.engine.close();
    await eventually(() => server.io.engine.clientsCount === 0, "no connection left");
  });
});
