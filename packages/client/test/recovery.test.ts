import { afterEach, describe, expect, it } from "vitest";
import type { Server } from "@roomcast/core";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

const pool = new ClientPool();
let server: TestServer | undefined;
let timer: ReturnType<typeof setInterval> | undefined;

afterEach(async () => {
  clearInterval(timer);
  pool.closeAll();
  await server?.close();
  server = undefined;
});

/** Cuts every client's TCP connection on the server side, as a network drop does (no close frame). */
function cutConnections(io: Server): void {
  // the upgrade request's socket is the TCP connection the WebSocket runs on
  for (const socket of io.sockets.sockets.values()) socket.conn.request.socket.destroy();
}

/** Records events and "connect" markers in arrival order. */
function record(socket: ReturnType<ClientPool["connect"]>): unknown[] {
  const log: unknown[] = [];
  socket.on("n", (n: number) => log.push(n));
  socket.on("connect", () => log.push(socket.recovered ? "connect (recovered)" : "connect"));
  return log;
}

describe("connection-state recovery (client)", () => {
  it("gets the missed events after a drop, before connect, in order and once; keeps its id", async () => {
    server = await startServer({ connectionStateRecovery: {} });
    const io = server.io;
    io.on("connection", (socket) => {
      if (!socket.recovered) socket.join("room");
    });
    const socket = pool.connect(server.url);
    const log = record(socket);
    await once(socket, "connect");
    const id = socket.id;
    io.to("room").emit("n", 0);
    await waitFor(() => log.includes(0));

    socket.io.reconnection(false);
    cutConnections(io);
    await once(socket, "disconnect");
    await waitFor(() => io.sockets.sockets.size === 0);
    for (let n = 1; n <= 5; n++) io.to("room").emit("n", n);
    io.except("room").emit("n", -1);

    socket.io.reconnection(true);
    socket.io.open();
    await once(socket, "connect");
    io.to("room").emit("n", 6);
    await waitFor(() => log.includes(6));
    expect(log).toEqual(["connect", 0, 1, 2, 3, 4, 5, "connect (recovered)", 6]);
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(id);
  });

  it("recovers right after the first connect, before any event", async () => {
    server = await startServer({ connectionStateRecovery: {} });
    const socket = pool.connect(server.url);
    await once(socket, "connect");
    const id = socket.id;
    cutConnections(server.io);
    await once(socket, "connect", 5000);
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(id);
  });

  it("tells the app when the gap was trimmed: recovered is false on both sides and the session is fresh", async () => {
    server = await startServer({ connectionStateRecovery: { maxPackets: 3 } });
    const io = server.io;
    const serverFlags: boolean[] = [];
    io.on("connection", (socket) => serverFlags.push(socket.recovered));
    const socket = pool.connect(server.url);
    const log = record(socket);
    await once(socket, "connect");
    const id = socket.id;
    socket.io.reconnection(false);
    cutConnections(io);
    await once(socket, "disconnect");
    await waitFor(() => io.sockets.sockets.size === 0);
    for (let n = 1; n <= 10; n++) io.emit("n", n);
    socket.io.reconnection(true);
    socket.io.open();
    await once(socket, "connect");
    expect(socket.recovered).toBe(false);
    expect(socket.id).not.toBe(id);
    expect(serverFlags).toEqual([false, false]);
    // nothing of the partial history leaks through
    expect(log).toEqual(["connect", "connect"]);
  });

  for (const codec of ["json", "msgpack"] as const) {
    it(`receives a steady broadcast exactly once and without gaps across a drop (${codec})`, async () => {
      server = await startServer({ connectionStateRecovery: {} });
      const io = server.io;
      const socket = pool.connect(server.url, codec === "msgpack" ? { codec: msgpackCodec } : {});
      const received: number[] = [];
      socket.on("n", (n: number) => received.push(n));
      await once(socket, "connect");
      let next = 0;
      timer = setInterval(() => io.emit("n", next++), 3);
      await waitFor(() => received.length >= 30);
      cutConnections(io);
      await once(socket, "disconnect");
      await once(socket, "connect", 5000);
      expect(socket.recovered).toBe(true);
      const resumedAt = next;
      await waitFor(() => next >= resumedAt + 30);
      clearInterval(timer);
      const last = next - 1;
      await waitFor(() => received[received.length - 1] === last);
      expect(received).toEqual(Array.from({ length: next }, (_, i) => i));
    });
  }
});
