import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emitter } from "../src/index.js";
import { type Mode, OrderingCluster } from "./support/ordering-cluster.js";
import { type OriginKind, originOps } from "./support/ordering-origins.js";
import { type RecordingClient, sleep, waitFor } from "./support/redis-nodes.js";

/*
 * One origin's operations apply in order on every node. The target socket is on node 1; the
 * origin is node 0's io, a RemoteSocket fetched on node 0, or an emitter. Each rule runs on
 * several rooms in one synchronous block, the way the race shows up in an application. Sharded,
 * the shards sit at different distances (see OrderingCluster): rooms on the near shard let an
 * emit overtake the change before it, rooms on the far shard let a change overtake the emit.
 */

const ROUNDS = 4;
/* After the deliveries that prove an emit went out, how long a wrong delivery gets to show up. */
const SETTLE_MS = 150;

function args(client: RecordingClient, event: string): unknown[] {
  return client.events.filter((e) => e[0] === event).map((e) => e[1]);
}

/*
 * With connection-state recovery on the streams store, a recoverable emit travels through the
 * stream and its room's packet channel rather than the adapter: the same rules hold.
 */
const SETUPS: { label: string; mode: Mode; recovery: boolean }[] = [
  { label: "classic pub/sub", mode: "classic", recovery: false },
  { label: "sharded pub/sub", mode: "sharded", recovery: false },
  { label: "classic pub/sub with connection-state recovery (streams store)", mode: "classic", recovery: true },
  { label: "sharded pub/sub with connection-state recovery (streams store)", mode: "sharded", recovery: true },
];

describe.each(SETUPS)("$label, 3 nodes", ({ mode, recovery }) => {
  let cluster: OrderingCluster;
  let emitter: Emitter;

  beforeAll(async () => {
    cluster = await OrderingCluster.start(mode, recovery);
    emitter = cluster.emitter();
  }, 60_000);

  afterEach(() => cluster.dropClients());

  afterAll(async () => {
    await cluster?.close();
  });

  describe.each<OriginKind>(["io", "RemoteSocket", "Emitter"])("from %s", (kind) => {
    describe.each([false, true])("another member of the room on the target node: %s", (withMember) => {
      /** The target on node 1, an optional second member there, and a member on node 2 that shows an emit went out. */
      async function setup(rooms: string[], targetInRooms: boolean) {
        const target = await cluster.client(1, targetInRooms ? rooms : []);
        const neighbour = withMember ? await cluster.client(1, rooms) : undefined;
        const witness = await cluster.client(2, rooms);
        const subscribers = targetInRooms || withMember ? 2 : 1;
        for (const room of rooms) await cluster.subscribed(room, subscribers);
        return { target, neighbour, witness, ops: await originOps(kind, cluster, emitter, target.socket.id!) };
      }

      it("join, then an emit to that room: the socket receives the emit", async () => {
        const rooms = Array.from({ length: ROUNDS }, () => cluster.room());
        const { target, neighbour, witness, ops } = await setup(rooms, false);
        rooms.forEach((room, i) => {
          ops.join(room);
          ops.emit(room, "state", i);
        });
        await waitFor(() => target.count("state") === ROUNDS, `${ROUNDS} emits to rooms just joined`);
        await waitFor(() => witness.count("state") === ROUNDS && (neighbour?.count("state") ?? ROUNDS) === ROUNDS, "the other members' emits");
        // Emits to different rooms keep their order only where channels do (one Redis server).
        const received = args(target, "state");
        expect(mode === "classic" ? received : [...received].sort()).toEqual(rooms.map((_, i) => i));
      });

      it("leave, then an emit to that room: the socket does not receive it", async () => {
        const rooms = Array.from({ length: ROUNDS }, () => cluster.room());
        const { target, neighbour, witness, ops } = await setup(rooms, true);
        rooms.forEach((room, i) => {
          ops.leave(room);
          ops.emit(room, "after-leave", i);
        });
        await waitFor(() => witness.count("after-leave") === ROUNDS && (neighbour?.count("after-leave") ?? ROUNDS) === ROUNDS, "the other members' emits");
        await sleep(SETTLE_MS);
        expect(target.count("after-leave")).toBe(0);
        expect(cluster.nodes[1].io.of("/").adapter.socketRooms(target.socket.id!)).toEqual(new Set([target.socket.id]));
      });

      it("disconnectSockets, then an emit: the socket does not receive it", async () => {
        const rooms = Array.from({ length: ROUNDS }, () => cluster.room());
        const { target, neighbour, witness, ops } = await setup(rooms, true);
        ops.disconnect();
        rooms.forEach((room, i) => ops.emit(room, "after-disconnect", i));
        await waitFor(() => witness.count("after-disconnect") === ROUNDS && (neighbour?.count("after-disconnect") ?? ROUNDS) === ROUNDS, "the other members' emits");
        await waitFor(() => !target.socket.connected, "the disconnection");
        await sleep(SETTLE_MS);
        expect(target.count("after-disconnect")).toBe(0);
      });

      it("an emit, then socketsLeave: the socket receives the emit", async () => {
        const rooms = Array.from({ length: ROUNDS }, () => cluster.room("far"));
        const { target, witness, ops } = await setup(rooms, true);
        rooms.forEach((room, i) => {
          ops.emit(room, "before-leave", i);
          ops.leave(room);
        });
        await waitFor(() => target.count("before-leave") === ROUNDS, `${ROUNDS} emits made before the leaves`);
        await waitFor(() => cluster.nodes[1].io.of("/").adapter.socketRooms(target.socket.id!)?.size === 1, "the leaves");
        await waitFor(() => witness.count("before-leave") === ROUNDS, "the witness's emits");
        const received = args(target, "before-leave");
        expect(mode === "classic" ? received : [...received].sort()).toEqual(rooms.map((_, i) => i));
      });
    });
  });

  it("kept that order through confirmations, never by running out of time", () => {
    const totals = cluster.orderingTotals();
    expect(totals.orderingHolds).toBeGreaterThan(0);
    expect(totals).toMatchObject({ orderingTimeouts: 0, orderingOverflows: 0, fenceTimeouts: 0, fenceOverflows: 0 });
  });
});
