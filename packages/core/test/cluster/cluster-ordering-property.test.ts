import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { BusOrdering } from "../../src/cluster/index.js";
import { event, type FakeNode, fakeCluster, quiesce, seeded } from "./support/fake-cluster.js";
import type { FakeSocket } from "./support/fake-namespace.js";

/*
 * The cluster protocol alone, over the in-process hub: random bursts of membership changes and
 * broadcasts, each burst from one node, with random shard latencies, give every socket what a
 * single adapter gives it. The Redis version of this test (packages/redis-adapter) covers the
 * emitter and real clients; this one runs many more sequences in the same time.
 */

const SOCKETS = 3; // one per node
const ROOMS = 3;

type Target = { socket: number } | { room: number };
type Op = { kind: "join" | "leave"; target: Target; room: number } | { kind: "disconnect"; socket: number } | { kind: "emit"; room: number };
interface Burst {
  origin: number;
  ops: Op[];
}

const target = fc.oneof(fc.record({ socket: fc.nat(SOCKETS - 1) }), fc.record({ room: fc.nat(ROOMS - 1) }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("join" as const, "leave" as const), target, room: fc.nat(ROOMS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("disconnect" as const), socket: fc.nat(SOCKETS - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("emit" as const), room: fc.nat(ROOMS - 1) }) },
);
const scenario = fc.record({
  seed: fc.nat(),
  bursts: fc.array(fc.record({ origin: fc.nat(2), ops: fc.array(op, { minLength: 1, maxLength: 8 }) }), { minLength: 1, maxLength: 4 }),
});

/** What one adapter does with the same operations. */
function singleNode(bursts: Burst[]) {
  const connected = Array<boolean>(SOCKETS).fill(true);
  const rooms = Array.from({ length: SOCKETS }, () => new Set<number>());
  const received = Array.from({ length: SOCKETS }, (): number[] => []);
  let emits = 0;
  for (const { ops } of bursts) {
    for (const op of ops) {
      const targets = (t: Target) => [...Array(SOCKETS).keys()].filter((s) => connected[s] && ("socket" in t ? s === t.socket : rooms[s].has(t.room)));
      if (op.kind === "join") for (const s of targets(op.target)) rooms[s].add(op.room);
      else if (op.kind === "leave") for (const s of targets(op.target)) rooms[s].delete(op.room);
      else if (op.kind === "disconnect") {
        connected[op.socket] = false;
        rooms[op.socket].clear();
      } else {
        emits++;
        for (let s = 0; s < SOCKETS; s++) if (connected[s] && rooms[s].has(op.room)) received[s].push(emits);
      }
    }
  }
  return { connected, rooms: rooms.map((r) => [...r].sort()), received };
}

let nodes: FakeNode[] = [];

afterEach(() => {
  for (const node of nodes) node.adapter.close();
  nodes = [];
});

describe.each<BusOrdering>(["publisher", "channel"])("random operations over a %s-ordered bus", (ordering) => {
  it("give each socket what a single adapter gives it", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ seed, bursts }) => {
        const random = seeded(seed);
        const cluster = await fakeCluster(3, { ordering, latency: () => random() * 3 });
        nodes = cluster.nodes;
        const sockets: FakeSocket[] = nodes.map((node) => node.nsp.connect());
        const ids = sockets.map((socket) => socket.id);
        const roomName = (room: number) => `room-${room}`;
        let emits = 0;
        await quiesce(cluster.hub, nodes);
        for (const { origin, ops } of bursts) {
          const adapter = nodes[origin].adapter;
          const opts = (t: Target) => ({ rooms: new Set(["socket" in t ? ids[t.socket] : roomName(t.room)]) });
          for (const op of ops) {
            if (op.kind === "join") adapter.addSockets(opts(op.target), [roomName(op.room)]);
            else if (op.kind === "leave") adapter.delSockets(opts(op.target), [roomName(op.room)]);
            else if (op.kind === "disconnect") adapter.disconnectSockets(opts({ socket: op.socket }), false);
            else adapter.broadcast(event("p", ++emits), { rooms: new Set([roomName(op.room)]) });
          }
          // Origins are not ordered among themselves: the next burst starts once this one played out.
          await quiesce(cluster.hub, nodes);
        }
        const expected = singleNode(bursts);
        const observed = {
          connected: sockets.map((socket) => socket.connected),
          rooms: sockets.map((socket, s) => [...(nodes[s].adapter.socketRooms(socket.id) ?? [])].filter((r) => r !== socket.id).map((r) => Number(r.slice(5))).sort()),
          received: sockets.map((socket) => {
            const payloads = socket.received.map((r) => r.data[1] as number);
            // Broadcasts to different rooms keep their order only where the bus keeps it across channels.
            return ordering === "publisher" ? payloads : payloads.sort((a, b) => a - b);
          }),
        };
        for (const node of nodes) node.adapter.close();
        nodes = [];
        expect(observed).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
