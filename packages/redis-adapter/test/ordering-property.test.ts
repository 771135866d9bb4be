import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emitter } from "../src/index.js";
import { type Mode, OrderingCluster } from "./support/ordering-cluster.js";
import { type RecordingClient, waitFor } from "./support/redis-nodes.js";

/*
 * Random sequences of membership changes and emits, in bursts each made by one origin (node k's
 * io, a RemoteSocket fetched on node k, the emitter), give every client what the same sequence
 * gives it on a single server. Origins are not ordered among themselves, so each burst ends with
 * a sync from its origin: a join of nobody (which every node confirms after applying everything
 * the origin sent before), then a "sync" emit to each socket. Once the connected clients have
 * their sync, the burst has played out everywhere and the cluster must match the single server.
 */

const SOCKETS = 3; // one client per node
const ROOMS = 2;

type Target = { socket: number } | { room: number };
type Op =
  | { kind: "join" | "leave"; target: Target; room: number }
  | { kind: "disconnect"; socket: number }
  | { kind: "emit"; room: number };
type Origin = { kind: "io" | "RemoteSocket"; node: number; socket: number } | { kind: "Emitter" };
interface Burst {
  origin: Origin;
  ops: Op[];
}

const target = fc.oneof(fc.record({ socket: fc.nat(SOCKETS - 1) }), fc.record({ room: fc.nat(ROOMS - 1) }));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom("join" as const, "leave" as const), target, room: fc.nat(ROOMS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("disconnect" as const), socket: fc.nat(SOCKETS - 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("emit" as const), room: fc.nat(ROOMS - 1) }) },
);
const origin: fc.Arbitrary<Origin> = fc.oneof(
  fc.record({ kind: fc.constantFrom("io" as const, "RemoteSocket" as const), node: fc.nat(2), socket: fc.nat(SOCKETS - 1) }),
  fc.constant({ kind: "Emitter" as const }),
);
const bursts = fc.array(fc.record({ origin, ops: fc.array(op, { minLength: 1, maxLength: 6 }) }), { minLength: 1, maxLength: 3 });

/** The single server: who is connected, who is in which room, what each socket received. */
class SingleServer {
  readonly connected = Array<boolean>(SOCKETS).fill(true);
  readonly rooms = Array.from({ length: SOCKETS }, () => new Set<number>());
  readonly received = Array.from({ length: SOCKETS }, (): number[] => []);
  private emits = 0;

  /** Applies `op`; returns the payload of an emit. */
  apply(op: Op): number | undefined {
    switch (op.kind) {
      case "join":
      case "leave":
        for (const socket of this.targets(op.target)) {
          if (op.kind === "join") this.rooms[socket].add(op.room);
          else this.rooms[socket].delete(op.room);
        }
        return undefined;
      case "disconnect":
        this.connected[op.socket] = false;
        this.rooms[op.socket].clear();
        return undefined;
      case "emit": {
        const payload = ++this.emits;
        for (let s = 0; s < SOCKETS; s++) if (this.connected[s] && this.rooms[s].has(op.room)) this.received[s].push(payload);
        return payload;
      }
    }
  }

  private targets(target: Target): number[] {
    const all = Array.from({ length: SOCKETS }, (_, s) => s).filter((s) => this.connected[s]);
    return "socket" in target ? all.filter((s) => s === target.socket) : all.filter((s) => this.rooms[s].has(target.room));
  }
}

describe.each<Mode>(["classic", "sharded"])("%s pub/sub: random operations from random origins", (mode) => {
  let cluster: OrderingCluster;
  let emitter: Emitter;

  beforeAll(async () => {
    cluster = await OrderingCluster.start(mode);
    emitter = cluster.emitter();
  }, 60_000);

  afterEach(() => cluster.dropClients());

  afterAll(async () => {
    await cluster?.close();
  });

  let roomNames: string[] = [];

  /** Runs one sequence on the cluster and compares every client with the single server. */
  async function check(sequence: Burst[]): Promise<void> {
    cluster.dropClients();
    const rooms = Array.from({ length: ROOMS }, (_, i) => cluster.room(i % 2 === 0 ? "near" : "far"));
    roomNames = rooms;
    const clients: RecordingClient[] = [];
    for (let s = 0; s < SOCKETS; s++) clients.push(await cluster.client(s));
    const ids = clients.map((c) => c.socket.id!);
    const model = new SingleServer();

    for (const [n, burst] of sequence.entries()) {
      const run = await operations(burst.origin, ids, rooms);
      // One origin, one synchronous block, then its sync.
      for (const op of burst.ops) run(op, model.apply(op));
      run({ kind: "sync" }, n);
      // A disconnected socket gets no sync; its client has its DISCONNECT packet instead.
      await waitFor(() => clients.every((c, s) => (model.connected[s] ? c.count("sync") === n + 1 : !c.socket.connected)), "the burst's sync", 10_000);
      expect(observed(clients, ids)).toEqual(expected(model, ids));
    }
  }

  /** What the cluster did to each socket: rooms on its node (own id room aside), connection, emits received. */
  function observed(clients: RecordingClient[], ids: string[]) {
    return clients.map((client, s) => {
      const joined = cluster.nodes[s].io.of("/").adapter.socketRooms(ids[s]);
      const received = client.events.filter((e) => e[0] === "p").map((e) => e[1] as number);
      return {
        rooms: joined === undefined ? [] : [...joined].filter((room) => room !== ids[s]).sort(),
        connected: client.socket.connected,
        // Emits to different rooms keep their order only where channels do (one Redis server).
        received: mode === "classic" ? received : received.sort((a, b) => a - b),
      };
    });
  }

  function expected(model: SingleServer, ids: string[]) {
    return ids.map((_, s) => ({
      rooms: [...model.rooms[s]].map((room) => roomNames[room]).sort(),
      connected: model.connected[s],
      received: model.received[s],
    }));
  }

  /** Runs an operation as `origin` makes it; the payload of an emit comes from the single server. */
  async function operations(origin: Origin, ids: string[], rooms: string[]): Promise<(op: Op | { kind: "sync" }, payload: number | undefined) => void> {
    const operator = origin.kind === "Emitter" ? emitter : cluster.nodes[origin.node].io;
    const handle = origin.kind === "RemoteSocket" ? (await cluster.nodes[origin.node].io.in(ids[origin.socket]).fetchSockets())[0] : undefined;
    const on = (target: Target) => operator.in("socket" in target ? ids[target.socket] : rooms[target.room]);
    return (op, payload) => {
      switch (op.kind) {
        case "join":
          // A RemoteSocket acts on its own socket; other targets go through the io that fetched it.
          if (handle !== undefined && "socket" in op.target && ids[op.target.socket] === handle.id) handle.join(rooms[op.room]);
          else on(op.target).socketsJoin(rooms[op.room]);
          return;
        case "leave":
          if (handle !== undefined && "socket" in op.target && ids[op.target.socket] === handle.id) handle.leave(rooms[op.room]);
          else on(op.target).socketsLeave(rooms[op.room]);
          return;
        case "disconnect":
          if (handle !== undefined && ids[op.socket] === handle.id) handle.disconnect();
          else on({ socket: op.socket }).disconnectSockets();
          return;
        case "emit":
          operator.to(rooms[op.room]).emit("p" as never, payload as never);
          return;
        case "sync":
          operator.in(`${rooms[0]}-nobody`).socketsJoin(`${rooms[0]}-sync`);
          for (const id of ids) operator.to(id).emit("sync" as never, payload as never);
          return;
      }
    };
  }

  it("gives each client what a single server gives it", async () => {
    await fc.assert(fc.asyncProperty(bursts, check), { numRuns: 20, endOnFailure: true });
    const totals = cluster.orderingTotals();
    expect(totals).toMatchObject({ orderingTimeouts: 0, orderingOverflows: 0, fenceTimeouts: 0 });
  }, 120_000);
});
