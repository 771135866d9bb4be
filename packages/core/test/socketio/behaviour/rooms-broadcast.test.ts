import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "../../../src/index.js";
import {
  CLIENT_MODES,
  type ClientSocket,
  eventually,
  nextEvent,
  sleep,
  startSocketIoServer,
  type SocketIoTestServer,
} from "../../support/socketio-client.js";

/** A socket.io-client that records every event it receives, with the matching server-side socket. */
interface Member {
  client: ClientSocket;
  socket: Socket;
  received: unknown[][];
  count(event: string): number;
}

describe.each(CLIENT_MODES)("socket.io-client rooms and broadcasts, $name", (mode) => {
  let server: SocketIoTestServer;
  afterEach(async () => {
    await server?.close();
  });

  /** Connects a client whose server socket joins `rooms`. */
  async function member(...rooms: string[]): Promise<Member> {
    const connection = nextEvent<[Socket]>(server.io, "connection");
    const client = await server.connected("/", { auth: { rooms } });
    const [socket] = await connection;
    const received: unknown[][] = [];
    client.onAny((...args: unknown[]) => received.push(args));
    return { client, socket, received, count: (event) => received.filter((args) => args[0] === event).length };
  }

  function joinFromAuth(): void {
    server.io.on("connection", (socket) => {
      socket.join((socket.handshake.auth as { rooms: string[] }).rooms);
    });
  }

  it("delivers io.to(room).except(room) to the room's members outside the excluded room, once each", async () => {
    server = await startSocketIoServer(mode);
    joinFromAuth();
    const plain = await member("lobby");
    const muted = await member("lobby", "muted");
    const outsider = await member("elsewhere");
    const both = await member("lobby", "elsewhere");
    server.io.to("lobby").except("muted").emit("chat", "hi");
    server.io.to(["lobby", "elsewhere"]).emit("multi", 1);
    server.io.except("muted").emit("all-but-muted");
    await eventually(() => plain.count("all-but-muted") === 1 && outsider.count("all-but-muted") === 1 && both.count("all-but-muted") === 1, "deliveries");
    await sleep(50);
    expect(plain.received).toEqual([["chat", "hi"], ["multi", 1], ["all-but-muted"]]);
    expect(muted.received).toEqual([["multi", 1]]);
    expect(outsider.received).toEqual([["multi", 1], ["all-but-muted"]]);
    expect(both.received).toEqual([["chat", "hi"], ["multi", 1], ["all-but-muted"]]);
  });

  it("leaves the sender out of socket.broadcast and socket.to(room)", async () => {
    server = await startSocketIoServer(mode);
    joinFromAuth();
    server.io.on("connection", (socket) => {
      socket.on("shout", (text: string) => socket.broadcast.emit("shout", text));
      socket.on("say", (room: string, text: string) => socket.to(room).emit("say", text));
    });
    const a = await member("r");
    const b = await member("r");
    const c = await member();
    a.client.emit("shout", "from a");
    a.client.emit("say", "r", "to r");
    await eventually(() => b.count("say") === 1 && c.count("shout") === 1, "broadcasts");
    await sleep(50);
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([["shout", "from a"], ["say", "to r"]]);
    expect(c.received).toEqual([["shout", "from a"]]);
  });

  it("keeps the order of a burst of broadcasts, also across the upgrade", async () => {
    server = await startSocketIoServer(mode);
    joinFromAuth();
    const a = await member("r");
    // no waiting for the upgrade: the burst may straddle it
    for (let i = 0; i < 200; i++) server.io.to("r").emit("n", i);
    await eventually(() => a.count("n") === 200, "200 events");
    expect(a.received.map((args) => args[1])).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("delivers volatile emits to a client keeping up, and drops them (counted) while its connection is congested", async () => {
    server = await startSocketIoServer(mode, { volatileHighWaterMark: 1024 });
    joinFromAuth();
    const a = await member("r");
    server.io.to("r").volatile.emit("live", 1);
    a.socket.volatile.emit("direct", 2);
    await eventually(() => a.count("live") === 1 && a.count("direct") === 1, "volatile events");
    // in one tick: 8 KB queued for the client puts it above the high-water mark
    a.socket.emit("big", "x".repeat(8192));
    server.io.to("r").volatile.emit("live", 3);
    a.socket.volatile.emit("direct", 4);
    server.io.to("r").emit("after", 5);
    await eventually(() => a.count("after") === 1, "the last event");
    await sleep(50);
    expect(a.received.map((args) => args[0])).toEqual(["live", "direct", "big", "after"]);
    expect(a.socket.conn.stats.volatileDrops).toBe(2);
    expect(server.io.metrics.volatileDrops).toBe(2);
  });

  describe("fetchSockets, socketsJoin, socketsLeave, disconnectSockets", () => {
    it("fetchSockets returns the room's sockets with their handshake, rooms and data", async () => {
      server = await startSocketIoServer(mode);
      joinFromAuth();
      server.io.on("connection", (socket) => {
        socket.data = { name: (socket.handshake.auth as { name?: string }).name };
      });
      const a = await server.connected("/", { auth: { rooms: ["r"], name: "ann" } });
      await server.connected("/", { auth: { rooms: ["other"], name: "bob" } });
      const found = await server.io.in("r").fetchSockets();
      expect(found.map((s) => s.id)).toEqual([a.id]);
      expect(found[0].data).toEqual({ name: "ann" });
      expect(found[0].handshake.auth).toMatchObject({ name: "ann" });
      expect([...found[0].rooms].sort()).toEqual([a.id, "r"].sort());
      expect(await server.io.fetchSockets()).toHaveLength(2);
    });

    it("socketsJoin and socketsLeave change who gets a room's broadcasts", async () => {
      server = await startSocketIoServer(mode);
      joinFromAuth();
      const a = await member("x");
      const b = await member("y");
      server.io.in("x").socketsJoin("news");
      server.io.to("news").emit("headline", 1);
      await eventually(() => a.count("headline") === 1, "the first headline");
      server.io.in("y").socketsJoin(["news", "sport"]);
      server.io.in("x").socketsLeave("news");
      server.io.to("news").emit("headline", 2);
      server.io.to("sport").emit("score", 3);
      await eventually(() => b.count("headline") === 1 && b.count("score") === 1, "the second headline");
      await sleep(50);
      expect(a.received).toEqual([["headline", 1]]);
      expect(b.received).toEqual([["headline", 2], ["score", 3]]);
    });

    it("disconnectSockets disconnects the targeted clients with io server disconnect", async () => {
      server = await startSocketIoServer(mode);
      joinFromAuth();
      const a = await member("bye");
      const b = await member("stay");
      const reason = nextEvent<[string]>(a.client, "disconnect");
      server.io.in("bye").disconnectSockets();
      expect((await reason)[0]).toBe("io server disconnect");
      await sleep(50);
      expect(b.client.connected).toBe(true);
      expect(a.client.connected).toBe(false);
      const closeReason = nextEvent<[string]>(b.client, "disconnect");
      server.io.disconnectSockets(true);
      expect((await closeReason)[0]).toBe("io server disconnect");
      await eventually(() => server.io.engine.clientsCount === 0, "every connection to close");
    });
  });

  describe("catch-all listeners", () => {
    it("server onAny sees client events, onAnyOutgoing sees emits and broadcasts; the client's own catch-alls see both directions", async () => {
      server = await startSocketIoServer(mode);
      const incoming: unknown[][] = [];
      const outgoing: unknown[][] = [];
      server.io.on("connection", (socket) => {
        socket.join("r");
        socket.onAny((...args: unknown[]) => incoming.push(args));
        socket.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
        socket.on("go", () => {
          socket.emit("direct", 1);
          server.io.to("r").emit("room", 2);
        });
      });
      const client = await server.connected();
      const clientIn: unknown[][] = [];
      const clientOut: unknown[][] = [];
      client.onAny((...args: unknown[]) => clientIn.push(args));
      client.onAnyOutgoing((...args: unknown[]) => clientOut.push(args));
      client.emit("go", { x: 1 });
      await eventually(() => clientIn.length === 2, "both events");
      expect(incoming).toEqual([["go", { x: 1 }]]);
      expect(outgoing).toEqual([
        ["direct", 1],
        ["room", 2],
      ]);
      expect(clientIn).toEqual([
        ["direct", 1],
        ["room", 2],
      ]);
      expect(clientOut).toEqual([["go", { x: 1 }]]);
    });
  });
});
