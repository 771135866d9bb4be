import { afterEach, describe, expect, it } from "vitest";
import { CloseCode, type EventPacket, type Packet, PacketType } from "@roomcast/protocol";
import { InMemoryRecoveryStore, type LiveSession, type LiveSessionStore, type RecoverySession, type RecoveryStoreContext } from "../../src/index.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

/*
 * What a namespace does with a store that keeps live sessions (the Redis Streams store is one:
 * packages/redis-adapter/test/live-sessions.test.ts). This store keeps everything in memory and
 * lets the test decide when a write is done.
 */
class TestLiveStore implements LiveSessionStore {
  readonly live = new Map<string, LiveSession>();
  readonly pending: (() => void)[] = [];
  readonly discarded: string[] = [];

  track(session: LiveSession): void {
    this.live.set(session.pid, session);
  }

  changed(_pid: string, written: () => void): void {
    this.pending.push(written);
  }

  discard(pid: string): void {
    this.discarded.push(pid);
    this.live.delete(pid);
  }

  /** The pending writes are done. */
  writeAll(): void {
    for (const written of this.pending.splice(0)) written();
  }
}

let server: TestServer | undefined;
let context: RecoveryStoreContext | undefined;
/* one per namespace; the tests use the main one */
const stores: TestLiveStore[] = [];
const liveStore = (): TestLiveStore => stores[stores.length - 1];
afterEach(async () => {
  await server?.close();
  server = undefined;
  stores.length = 0;
});

async function start(): Promise<TestServer> {
  server = await startServer({
    connectionStateRecovery: {
      store: (ctx) => {
        context = ctx;
        const live = new TestLiveStore();
        stores.push(live);
        return Object.assign(new InMemoryRecoveryStore(ctx), { live });
      },
    },
  });
  server.io.on("connection", (socket) => {
    socket.on("join", (room: string) => {
      socket.join(room);
      socket.emit("joined", room);
      socket.volatile.emit("volatile");
    });
  });
  return server;
}

const events = (packets: Packet[]): unknown[] =>
  packets.filter((p): p is EventPacket => p.type === PacketType.EVENT || p.type === PacketType.EVENT_AT).map((p) => p.data[0]);

describe("a store that keeps live sessions", () => {
  it("tracks each admitted socket with the session as it is now", async () => {
    const s = await start();
    const client = await s.joined();
    await waitUntil(() => liveStore().live.size === 1);
    const [session] = [...liveStore().live.values()];
    const socket = [...s.io.sockets.sockets.values()][0];
    socket.join("later");
    socket.data = { note: 1 };
    expect(session.read()).toMatchObject<Partial<RecoverySession>>({ sid: socket.id, rooms: ["later"], data: { note: 1 } });
    client.close();
  });

  it("holds the socket's output after a join until the change is written, and drops volatile packets meanwhile", async () => {
    const s = await start();
    const client = await s.joined();
    client.send({ type: PacketType.EVENT, nsp: "/", data: ["join", "room"] });
    await waitUntil(() => liveStore().pending.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events(client.packets)).toEqual([]);
    liveStore().writeAll();
    await waitUntil(() => events(client.packets).length === 1);
    expect(events(client.packets)).toEqual(["joined"]);
    expect(s.io.metrics.volatileDrops).toBe(1);
  });

  it("removes the session of a socket that leaves on purpose", async () => {
    const s = await start();
    const client = await s.joined();
    await waitUntil(() => liveStore().live.size === 1);
    const [pid] = [...liveStore().live.keys()];
    client.send({ type: PacketType.DISCONNECT, nsp: "/" });
    await waitUntil(() => liveStore().discarded.length === 1);
    expect(liveStore().discarded).toEqual([pid]);
  });

  it("closes a taken-over socket with DISCONNECT and keeps nothing of it", async () => {
    const s = await start();
    const client = await s.joined();
    await waitUntil(() => liveStore().live.size === 1);
    const [session] = [...liveStore().live.values()];
    session.takenOver();
    await client.waitFor((p) => p.type === PacketType.DISCONNECT);
    expect(s.io.sockets.sockets.size).toBe(0);
    expect(s.io.sockets.recovery!.stats).toMatchObject({ takenOver: 1, persisted: 0 });
    expect(liveStore().discarded).toEqual([]);
  });

  it("resynchronises the sockets a lost packet targeted: close 4005, session removed", async () => {
    const s = await start();
    const inRoom = await s.joined();
    const outside = await s.joined();
    inRoom.send({ type: PacketType.EVENT, nsp: "/", data: ["join", "room"] });
    await waitUntil(() => liveStore().pending.length === 1);
    liveStore().writeAll();
    context!.resync!({ rooms: new Set(["room"]) });
    expect((await inRoom.closed).code).toBe(CloseCode.RESYNC);
    expect(liveStore().discarded).toHaveLength(1);
    expect(s.io.sockets.recovery!.stats.resynced).toBe(1);
    // the socket outside the room is left alone
    expect(s.io.sockets.sockets.size).toBe(1);
    outside.close();
  });
});
