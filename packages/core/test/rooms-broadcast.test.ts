import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, PacketType, RoomcastError, jsonCodec } from "@roomcast/protocol";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import type { Socket } from "../src/index.js";
import type { RawClient } from "./support/raw-client.js";
import { once, startServer, waitUntil, type TestServer } from "./support/server.js";

/** Joins `count` clients to "/" and returns them with their server-side sockets, in order. */
async function connectMany(server: TestServer, count: number, protocol: "json" | "msgpack" = "json"): Promise<{ clients: RawClient[]; sockets: Socket[] }> {
  const clients: RawClient[] = [];
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const connection = once<Socket>(server.io, "connection");
    clients.push(await server.joined("/", { protocol }));
    sockets.push(await connection);
  }
  return { clients, sockets };
}

/** Emits a marker to everyone and waits until each client has it, so earlier packets have arrived too. */
async function settle(server: TestServer, clients: RawClient[]): Promise<void> {
  const marker = `settle-${Math.random()}`;
  server.io.emit(marker);
  await Promise.all(clients.map((c) => c.waitForEvent(marker)));
}

describe("Rooms", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("every socket is in its own room; join/leave accept a string or an array", async () => {
    server = await startServer();
    const { sockets } = await connectMany(server, 1);
    const socket = sockets[0];
    expect(socket.rooms).toEqual(new Set([socket.id]));
    socket.join("a");
    socket.join(["b", "c"]);
    expect(socket.rooms).toEqual(new Set([socket.id, "a", "b", "c"]));
    socket.leave("b");
    expect(socket.rooms).toEqual(new Set([socket.id, "a", "c"]));
  });

  it("cleans rooms on disconnect, and join after disconnect is a no-op", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 1);
    const socket = sockets[0];
    socket.join("a");
    const roomsAtDisconnecting: Set<string>[] = [];
    socket.on("disconnecting", () => roomsAtDisconnecting.push(socket.rooms));
    clients[0].close();
    await once(socket, "disconnect");
    expect(roomsAtDisconnecting[0]).toEqual(new Set([socket.id, "a"]));
    expect(server.io.sockets.adapter.rooms.size).toBe(0);
    socket.join("late");
    expect(server.io.sockets.adapter.rooms.size).toBe(0);
    expect(socket.rooms.size).toBe(0);
  });

  it("keeps each socket's own room implicitly: listed in socket.rooms and reachable, with no set in adapter.rooms", async () => {
    server = await startServer();
    const adapter = server.io.sockets.adapter;
    const events: string[] = [];
    for (const name of ["create-room", "join-room", "leave-room", "delete-room"]) {
      adapter.on(name, (room: string, id?: string) => events.push(`${name} ${room}${id === undefined ? "" : ` ${id}`}`));
    }
    const { clients, sockets } = await connectMany(server, 2);
    const [a, b] = sockets;
    expect(adapter.rooms.has(a.id)).toBe(false);
    expect(adapter.sids.get(a.id)).toEqual(new Set([a.id]));
    expect(events).toEqual([`create-room ${a.id}`, `join-room ${a.id} ${a.id}`, `create-room ${b.id}`, `join-room ${b.id} ${b.id}`]);
    server.io.to(a.id).emit("direct", 1);
    // another socket may join a room named by a socket id: both are members
    b.join(a.id);
    expect(adapter.rooms.get(a.id)).toEqual(new Set([b.id]));
    server.io.to(a.id).emit("direct", 2);
    expect([...(await server.io.in(a.id).fetchSockets()).map((s) => s.id)].sort()).toEqual([a.id, b.id].sort());
    // out of its own room, the socket no longer gets what is sent to it
    a.leave(a.id);
    expect(a.rooms).toEqual(new Set());
    server.io.to(a.id).emit("direct", 3);
    await settle(server, clients);
    expect(clients[0].events("/", "direct").map((e) => e.data[1])).toEqual([1, 2]);
    expect(clients[1].events("/", "direct").map((e) => e.data[1])).toEqual([2, 3]);
    b.leave(a.id);
    expect(events.slice(4)).toEqual([`join-room ${a.id} ${b.id}`, `leave-room ${a.id} ${a.id}`, `leave-room ${a.id} ${b.id}`, `delete-room ${a.id}`]);
  });

  it("socket.broadcast and except(socket id) leave out that socket only", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 3);
    sockets.forEach((s) => s.join("r"));
    sockets[0].broadcast.emit("b", 1);
    sockets[0].to("r").emit("b", 2);
    server.io.to("r").except([sockets[1].id, sockets[2].id]).emit("b", 3);
    server.io.except(sockets[2].id).emit("b", 4);
    await settle(server, clients);
    expect(clients.map((c) => c.events("/", "b").map((e) => e.data[1]))).toEqual([[3, 4], [1, 2, 4], [1, 2]]);
  });

  it("join beyond maxRoomsPerSocket throws ERR_TOO_MANY_ROOMS", async () => {
    server = await startServer({ maxRoomsPerSocket: 3 });
    const { sockets } = await connectMany(server, 1);
    sockets[0].join(["a", "b"]);
    let error: unknown;
    try {
      sockets[0].join("c");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RoomcastError);
    expect((error as RoomcastError).code).toBe(ErrorCode.TOO_MANY_ROOMS);
    sockets[0].join("a"); // already a member: no growth, no error
  });
});

describe("Broadcast", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("io.to(room) reaches members only, once even when in several targeted rooms", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 3);
    sockets[0].join(["a", "b"]);
    sockets[1].join("b");
    server.io.to("a").to("b").emit("news", 1);
    server.io.in(["a", "b"]).except("b").emit("none");
    await settle(server, clients);
    expect(clients.map((c) => c.events("/", "news").length)).toEqual([1, 1, 0]);
    expect(clients.map((c) => c.events("/", "none").length)).toEqual([0, 0, 0]);
  });

  it("socket.to(room) and socket.broadcast leave out the sender; nsp.except leaves out a room", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 3);
    for (const s of sockets) s.join("room");
    sockets[0].to("room").emit("from-0");
    sockets[1].broadcast.emit("from-1");
    sockets[2].join("quiet");
    server.io.sockets.except("quiet").emit("not-quiet");
    await settle(server, clients);
    expect(clients.map((c) => c.events("/", "from-0").length)).toEqual([0, 1, 1]);
    expect(clients.map((c) => c.events("/", "from-1").length)).toEqual([1, 0, 1]);
    expect(clients.map((c) => c.events("/", "not-quiet").length)).toEqual([1, 1, 0]);
  });

  it("operators are immutable", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 2);
    sockets[0].join("a");
    const base = server.io.to("a");
    base.except("a");
    base.to(sockets[1].id);
    base.emit("only-a");
    await settle(server, clients);
    expect(clients.map((c) => c.events("/", "only-a").length)).toEqual([1, 0]);
  });

  it("encodes a broadcast once per codec and gives every recipient the same frame", async () => {
    server = await startServer();
    const json = await connectMany(server, 3, "json");
    const mp = await connectMany(server, 2, "msgpack");
    const all = [...json.clients, ...mp.clients];
    await settle(server, all);
    const jsonEncode = vi.spyOn(jsonCodec, "encode");
    const mpEncode = vi.spyOn(msgpackCodec, "encode");
    const writes = server.io.metrics.framesWritten;
    try {
      server.io.emit("tick", { n: 1 });
      expect(jsonEncode).toHaveBeenCalledTimes(1);
      expect(mpEncode).toHaveBeenCalledTimes(1);
    } finally {
      jsonEncode.mockRestore();
      mpEncode.mockRestore();
    }
    await Promise.all(all.map((c) => c.waitForEvent("tick")));
    expect(server.io.metrics.framesWritten - writes).toBe(5);
  });

  it("volatile, compress, local and timeout flags are accepted on every surface", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 2);
    server.io.volatile.emit("v1");
    server.io.local.emit("l1");
    server.io.compress(false).emit("c1");
    server.io.sockets.volatile.to(sockets[1].id).emit("v2");
    sockets[0].volatile.emit("v3");
    sockets[0].compress(true).emit("c3");
    sockets[0].local.emit("l3");
    await settle(server, clients);
    expect(clients[0].events().map((e) => e.data[0])).toEqual(expect.arrayContaining(["v1", "l1", "c1", "v3", "c3"]));
    expect(clients[1].events().map((e) => e.data[0])).toEqual(expect.arrayContaining(["v1", "l1", "c1", "v2", "l3"]));
  });

  it("a socket that left its namespace sends nothing more, while the connection serves other namespaces", async () => {
    server = await startServer();
    server.io.of("/other");
    const { clients, sockets } = await connectMany(server, 1);
    await clients[0].joinOk("/other");
    sockets[0].disconnect();
    expect(sockets[0].emit("late")).toBe(false);
    server.io.of("/other").emit("other-ok");
    await clients[0].waitForEvent("other-ok", "/other");
    expect(clients[0].events("/", "late")).toHaveLength(0);
  });

  it("emit refuses reserved event names", async () => {
    server = await startServer();
    expect(() => server.io.emit("disconnect" as never)).toThrow(RoomcastError);
    const { sockets } = await connectMany(server, 1);
    expect(() => sockets[0].emit("connect" as never)).toThrow(/reserved/);
  });
});

describe("Socket management across the namespace", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("fetchSockets returns the live sockets of the targeted rooms", async () => {
    server = await startServer();
    const { sockets } = await connectMany(server, 3);
    sockets[1].join("x");
    sockets[2].join("x");
    sockets[2].data = { name: "c" };
    const found = await server.io.in("x").fetchSockets();
    expect(found.map((s) => s.id).sort()).toEqual([sockets[1].id, sockets[2].id].sort());
    expect(found.find((s) => s.id === sockets[2].id)).toBe(sockets[2]);
    expect((await server.io.fetchSockets()).length).toBe(3);
  });

  it("socketsJoin, socketsLeave and disconnectSockets act on the targeted sockets", async () => {
    server = await startServer();
    const { clients, sockets } = await connectMany(server, 3);
    sockets[0].join("x");
    server.io.in("x").socketsJoin(["y", "z"]);
    expect(sockets[0].rooms).toEqual(new Set([sockets[0].id, "x", "y", "z"]));
    server.io.in("x").socketsLeave("y");
    expect(sockets[0].rooms.has("y")).toBe(false);
    const reasons: string[] = [];
    sockets[1].on("disconnect", (r) => reasons.push(r));
    server.io.in(sockets[1].id).disconnectSockets();
    await clients[1].waitFor((p) => p.type === PacketType.DISCONNECT && p.nsp === "/");
    expect(reasons).toEqual(["server namespace disconnect"]);
    expect(clients[1].closeInfo).toBeUndefined();
    server.io.in(sockets[2].id).disconnectSockets(true);
    expect((await clients[2].closed).code).toBe(1000);
    expect(clients[2].packets.some((p) => p.type === PacketType.DISCONNECT)).toBe(true);
  });

  it("serverSideEmit on a single node runs no listener and acks with no replies", async () => {
    server = await startServer();
    const heard: unknown[] = [];
    server.io.on("ping-nodes", (...args: unknown[]) => heard.push(args));
    expect(server.io.serverSideEmit("ping-nodes", 1)).toBe(true);
    const replies = await server.io.serverSideEmitWithAck("ping-nodes", 2);
    expect(replies).toEqual([]);
    const viaCallback = await new Promise((resolve) => server.io.serverSideEmit("ping-nodes", (err: Error | null, r: unknown[]) => resolve([err, r])));
    expect(viaCallback).toEqual([null, []]);
    expect(heard).toEqual([]);
    await waitUntil(() => true);
  });
});
