import { afterEach, describe, expect, it } from "vitest";
import type { DisconnectReason, ServerOptionsInput, Socket } from "../../../src/index.js";
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

/* Small heartbeat: a dropped polling session is noticed within 200 ms. */
const OPTIONS: ServerOptionsInput = { pingInterval: 100, pingTimeout: 100, connectionStateRecovery: { maxDisconnectionDuration: 2000 } };
const RECONNECT = { reconnection: true, reconnectionDelay: 300, reconnectionDelayMax: 300, randomizationFactor: 0 };

describe.each(CLIENT_MODES)("socket.io-client connection-state recovery, $name", (mode) => {
  let server: SocketIoTestServer;
  let proxy: DroppingProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await server?.close();
  });

  interface Session {
    client: ClientSocket;
    /** Every event the client's listeners got, offset argument included. */
    received: unknown[][];
    /** Server sockets of this client, in order of connection. */
    sockets: Socket[];
    reasons: DisconnectReason[];
  }

  /** A client through the proxy; its server sockets join "room" unless recovered. */
  async function session(options = {}): Promise<Session> {
    proxy = await DroppingProxy.start(server.port);
    const sockets: Socket[] = [];
    const reasons: DisconnectReason[] = [];
    server.io.on("connection", (socket) => {
      if (!socket.recovered) {
        socket.join("room");
        socket.data = { since: sockets.length };
      }
      sockets.push(socket);
      socket.on("disconnect", (reason) => reasons.push(reason));
    });
    const client = server.client("/", { ...RECONNECT, ...options }, proxy.url);
    const received: unknown[][] = [];
    client.onAny((...args: unknown[]) => received.push(args));
    await nextEvent(client, "connect");
    if (client.io.opts.upgrade !== false) await upgraded(client);
    return { client, received, sockets, reasons };
  }

  /** The event names and first arguments, without the offset Socket.IO appends. */
  const payloads = (received: unknown[][]): unknown[][] => received.map((args) => args.slice(0, 2));

  it("recovers after a cut transport: same id and rooms, the missed events once and in order", async () => {
    server = await startSocketIoServer(mode, OPTIONS);
    const s = await session();
    expect(s.client.recovered).toBe(false);
    server.io.to("room").emit("e", 1);
    server.io.to("room").emit("e", 2);
    await eventually(() => s.received.length === 2, "the first events");
    // Socket.IO 4.6+ appends the packet's offset, which the client keeps to resume from
    expect(typeof s.received[1][2]).toBe("string");
    const firstId = s.client.id;

    const dropped = nextEvent<[string]>(s.client, "disconnect");
    proxy!.cut();
    await dropped;
    await eventually(() => s.reasons.length === 1, "the server to notice the drop");
    server.io.to("room").emit("e", 3);
    server.io.to(firstId as string).emit("direct", 4);
    server.io.to("room").emit("e", 5);
    server.io.to("elsewhere").emit("not-for-you", 0);

    await nextEvent(s.client, "connect", 3000);
    expect(s.client.recovered).toBe(true);
    expect(s.client.id).toBe(firstId);
    expect(s.sockets).toHaveLength(2);
    expect(s.sockets[1].recovered).toBe(true);
    expect(s.sockets[1].id).toBe(firstId);
    expect([...s.sockets[1].rooms].sort()).toEqual([firstId, "room"].sort());
    expect(s.sockets[1].data).toEqual({ since: 0 });

    server.io.to("room").emit("e", 6);
    await eventually(() => s.received.length === 6, "the missed events and the next one");
    await sleep(100);
    expect(payloads(s.received)).toEqual([
      ["e", 1],
      ["e", 2],
      ["e", 3],
      ["direct", 4],
      ["e", 5],
      ["e", 6],
    ]);
  });

  // Long-polling only: the websocket-only mode has no polling session to test.
  if (mode.first === "polling") {
    it("recovers a long-polling session (upgrade: false) after a cut", async () => {
      server = await startSocketIoServer(mode, OPTIONS);
      const s = await session({ upgrade: false });
      server.io.to("room").emit("e", 1);
      await eventually(() => s.received.length === 1, "the first event");
      const firstId = s.client.id;
      proxy!.cut();
      await eventually(() => s.reasons.length === 1, "the server to notice the drop");
      // the client's engine posts a close packet on its way out, or else the heartbeat notices
      expect(["transport close", "ping timeout"]).toContain(s.reasons[0]);
      server.io.to("room").emit("e", 2);
      await eventually(() => s.client.connected && s.received.length === 2, "the recovered session");
      expect(s.client.recovered).toBe(true);
      expect(s.client.id).toBe(firstId);
      expect(s.client.io.engine.transport.name).toBe("polling");
      expect(payloads(s.received)).toEqual([
        ["e", 1],
        ["e", 2],
      ]);
    });
  }

  it("starts a fresh session after maxDisconnectionDuration", async () => {
    server = await startSocketIoServer(mode, { ...OPTIONS, connectionStateRecovery: { maxDisconnectionDuration: 100 } });
    const s = await session();
    server.io.to("room").emit("e", 1);
    await eventually(() => s.received.length === 1, "the first event");
    const firstId = s.client.id;
    s.client.io.reconnectionDelay(600);
    s.client.io.reconnectionDelayMax(600);
    proxy!.cut();
    await eventually(() => s.reasons.length === 1, "the server to notice the drop");
    server.io.to("room").emit("e", 2);
    await nextEvent(s.client, "connect", 3000);
    expect(s.client.recovered).toBe(false);
    expect(s.client.id).not.toBe(firstId);
    await sleep(100);
    expect(payloads(s.received)).toEqual([["e", 1]]);
  });

  it("does not recover a client that disconnected on purpose", async () => {
    server = await startSocketIoServer(mode, OPTIONS);
    const s = await session();
    server.io.to("room").emit("e", 1);
    await eventually(() => s.received.length === 1, "the first event");
    const firstId = s.client.id;
    s.client.disconnect();
    await eventually(() => s.reasons.length === 1, "the server to see the disconnect");
    expect(s.reasons).toEqual(["client namespace disconnect"]);
    server.io.to("room").emit("e", 2);
    s.client.connect();
    await nextEvent(s.client, "connect", 3000);
    expect(s.client.recovered).toBe(false);
    expect(s.client.id).not.toBe(firstId);
    await sleep(100);
    expect(payloads(s.received)).toEqual([["e", 1]]);
  });
});
