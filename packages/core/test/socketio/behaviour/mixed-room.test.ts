import { afterEach, describe, expect, it } from "vitest";
import { PacketType } from "@roomcast/protocol";
import { RawClient } from "../../support/raw-client.js";
import { CLIENT_MODES, type ClientSocket, eventually, sleep, startSocketIoServer, type SocketIoTestServer } from "../../support/socketio-client.js";

/*
 * One room, both dialects: socket.io-clients and roomcast-protocol clients (JSON and msgpack) on
 * one server. The @roomcast/client package itself is exercised in the same setting by
 * packages/redis-adapter/test/socketio-mixed.test.ts, since core cannot depend on the client
 * package (the client's tests depend on core).
 */
describe.each(CLIENT_MODES)("a room of socket.io-clients ($name) and roomcast clients", (mode) => {
  let server: SocketIoTestServer;
  const raws: RawClient[] = [];
  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.close();
    await server?.close();
  });

  interface Members {
    sio: ClientSocket[];
    sioReceived: unknown[][][];
    raw: RawClient[];
    rawReceived(index: number): unknown[][];
  }

  async function mixedRoom(): Promise<Members> {
    server = await startSocketIoServer(mode);
    server.io.on("connection", (socket) => {
      const rooms = (socket.handshake.auth as { rooms?: string[] }).rooms ?? [];
      socket.join(rooms);
      socket.on("relay", (event: string, value: unknown) => socket.to("mix").emit(event, value));
    });
    const sio = [await server.connected("/", { auth: { rooms: ["mix"] } }), await server.connected("/", { auth: { rooms: ["mix"] } })];
    const sioReceived = sio.map((client) => {
      const received: unknown[][] = [];
      client.onAny((...args: unknown[]) => received.push(args));
      return received;
    });
    const raw: RawClient[] = [];
    for (const protocol of ["json", "msgpack"] as const) {
      const client = await RawClient.connect(`ws://127.0.0.1:${server.port}/roomcast`, { protocol });
      raws.push(client);
      await client.joinOk("/", { rooms: ["mix"] });
      raw.push(client);
    }
    const rawReceived = (index: number): unknown[][] => raw[index].events("/").map((packet) => packet.data);
    return { sio, sioReceived, raw, rawReceived };
  }

  it("gives every member one copy of each broadcast, whichever kind of client or the server sent it", async () => {
    const m = await mixedRoom();
    server.io.to("mix").emit("from-server", 1);
    m.sio[0].emit("relay", "from-sio", 2);
    m.raw[1].emit("/", "relay", "from-raw", 3);
    const expected = (skip: string): unknown[][] =>
      [["from-server", 1], ["from-sio", 2], ["from-raw", 3]].filter(([event]) => event !== skip);
    await eventually(
      () => m.sioReceived.every((r) => r.length >= 2) && [0, 1].every((i) => m.rawReceived(i).length >= 2),
      "every delivery",
    );
    await sleep(100);
    const sorted = (list: unknown[][]): unknown[][] => [...list].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(sorted(m.sioReceived[0])).toEqual(sorted(expected("from-sio")));
    expect(sorted(m.sioReceived[1])).toEqual(sorted(expected("")));
    expect(sorted(m.rawReceived(0))).toEqual(sorted(expected("")));
    expect(sorted(m.rawReceived(1))).toEqual(sorted(expected("from-raw")));
  });

  it("carries binary to both kinds in one broadcast", async () => {
    const m = await mixedRoom();
    server.io.to("mix").emit("blob", { bytes: Buffer.from([1, 2, 3, 250]) });
    await eventually(() => m.sioReceived.every((r) => r.length === 1) && [0, 1].every((i) => m.rawReceived(i).length === 1), "the blob");
    for (const received of [...m.sioReceived, m.rawReceived(0), m.rawReceived(1)]) {
      const [event, value] = received[0] as [string, { bytes: Uint8Array }];
      expect(event).toBe("blob");
      expect([...value.bytes]).toEqual([1, 2, 3, 250]);
    }
  });

  it("collects one broadcast-ack reply per member of either kind", async () => {
    const m = await mixedRoom();
    m.sio.forEach((client, i) => client.on("poll", (ack: (v: string) => void) => ack(`sio-${i}`)));
    const pending = server.io.to("mix").timeout(2000).emitWithAck("poll");
    for (const [i, raw] of m.raw.entries()) {
      const packet = await raw.waitForEvent("poll");
      if (packet.type !== PacketType.EVENT || packet.id === undefined) throw new Error("the poll asks for an ack");
      raw.ack("/", packet.id, `raw-${i}`);
    }
    expect([...(await pending)].sort()).toEqual(["raw-0", "raw-1", "sio-0", "sio-1"]);
  });
});
