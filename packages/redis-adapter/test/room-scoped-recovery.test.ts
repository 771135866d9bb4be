import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeClients, connected, numbers, range, trackedClient, type ClientKind, type TrackedClient } from "./support/recovery-clients.js";
import { sleep, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";
import { heardOn, readStream, type ScopedNode, startScopedNode, type ScopedNodeOptions } from "./support/scoped-nodes.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/*
 * Connection-state recovery with the Redis Streams store keeps room-scoped delivery: a recoverable
 * broadcast to a room reaches only the nodes with members there, while every node still delivers
 * in stream order and a resume gets its replay and the live packets after it once each
 * (docs/RECOVERY.md, "Ordering and duplicates"). Real Redis, real nodes, real clients.
 */

let redis: RedisServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // every test starts from an empty stream
  await redis.cli("flushall");
});

async function node(name: string, options?: ScopedNodeOptions): Promise<ScopedNode> {
  const started = await startScopedNode(name, redis.url, options);
  cleanups.push(started.close);
  return started;
}

function client(kind: ClientKind, target: ScopedNode | TcpProxy, rooms: string[], label: string): TrackedClient {
  const url = "url" in target ? target.url : `http://127.0.0.1:${target.port}`;
  const tracked = trackedClient(kind, url, rooms, label);
  cleanups.push(() => closeClients([tracked]));
  return tracked;
}

const isRoomChannel = (room: string) => (channel: string) => channel === `{roomcast#/}#packets#${room}#`;
const isNamespaceChannel = (channel: string) => channel === "{roomcast#/}#packets";

describe("room-scoped delivery with the Redis Streams store", () => {
  it("a node without members in a room receives none of its recoverable packets; a namespace broadcast still reaches it", async () => {
    const [a, b, c] = await Promise.all([node("a"), node("b"), node("c")]);
    const members = [client("roomcast", a, ["r"], "a-r"), client("socket.io", c, ["r"], "c-r")];
    const bystander = client("roomcast", b, ["elsewhere"], "b-elsewhere");
    await connected([...members, bystander]);
    await waitFor(() => c.store().metrics.roomChannels === 1 && b.store().metrics.roomChannels === 1, "the room channels to be subscribed");

    const storeBefore = b.store().metrics;
    const adapterBefore = b.adapter().metrics;
    const N = 200;
    for (const n of range(0, N)) a.io.to("r").emit("n", n);
    await waitFor(() => members.every((m) => m.received.length === N), "the room's packets at its members");
    // anything on its way to b would have come by now: a later packet on b's channels comes after it
    b.io.to("elsewhere").emit("n", "after");
    await waitFor(() => bystander.received.includes("after"), "b's own room's packet");

    for (const member of members) expect(member.received).toEqual(range(0, N));
    expect(bystander.received).toEqual(["after"]);
    // b heard none of them: not on the room's channel, not on the namespace channel
    const storeAfter = b.store().metrics;
    expect(heardOn(b.storeHeard, isRoomChannel("r"))).toBe(0);
    expect(storeAfter.heard - storeBefore.heard).toBe(1); // "after", on its own room's channel
    expect(storeAfter.caughtUp - storeBefore.caughtUp).toBe(0);
    // and the adapter carries no recoverable packet either: what it read is heartbeats
    const adapterAfter = b.adapter().metrics;
    expect(adapterAfter.received - adapterBefore.received).toBeLessThan(20);
    expect(heardOn(b.adapterHeard, (channel) => channel.includes("#r#"))).toBe(0);
    // c, with a member, heard every one of them once, on the room's channel
    expect(heardOn(c.storeHeard, isRoomChannel("r"))).toBe(N);

    // A broadcast to the whole namespace still reaches every node.
    const namespaceBefore = heardOn(b.storeHeard, isNamespaceChannel);
    for (const n of range(0, 10)) a.io.emit("n", `all ${n}`);
    await waitFor(() => bystander.received.length === 11, "the namespace broadcasts at b");
    expect(bystander.received.slice(1)).toEqual(range(0, 10).map((n) => `all ${n}`));
    expect(heardOn(b.storeHeard, isNamespaceChannel) - namespaceBefore).toBeGreaterThanOrEqual(10);
  });

  it.each(["roomcast", "socket.io"] as const)("members on several nodes get every packet once and in stream order (%s)", async (kind) => {
    const [a, b, c] = await Promise.all([node("a"), node("b"), node("c")]);
    // rooms spread so that each node hears a different subset
    const plan: [ScopedNode, string[]][] = [
      [a, ["r"]],
      [a, ["r", "s"]],
      [b, ["s"]],
      [b, ["t"]],
      [c, ["r", "t"]],
      [c, ["u"]],
    ];
    const clients = plan.map(([at, rooms], i) => client(kind, at, rooms, `${at.name}-${rooms.join("+")}-${i}`));
    await connected(clients);
    await waitFor(() => a.store().metrics.roomChannels === 2 && b.store().metrics.roomChannels === 2 && c.store().metrics.roomChannels === 3, "the room channels");

    // Every node emits, to one room, to two rooms at once, and to the whole namespace, interleaved.
    const targets: (string[] | undefined)[] = [["r"], ["s"], ["r", "s"], ["t"], undefined, ["s", "t", "u"], ["u"]];
    let n = 0;
    for (let round = 0; round < 30; round++) {
      for (const origin of [a, b, c]) {
        const rooms = targets[(round + n) % targets.length];
        const value = n++;
        if (rooms === undefined) origin.io.emit("n", value);
        else origin.io.to(rooms).emit("n", value);
      }
      if (round % 10 === 9) await sleep(5);
    }
    const stream = await readStream(redis.url);
    expect(stream.length).toBe(n);
    const expected = (rooms: string[]): number[] =>
      stream.filter((entry) => entry.rooms.length === 0 || entry.rooms.some((room) => rooms.includes(room))).map((entry) => entry.value as number);
    await waitFor(() => clients.every((c, i) => c.received.length >= expected(plan[i][1]).length), "every packet at every member");
    await sleep(100);
    // exactly what the stream holds for each client's rooms, in the stream's order: nothing twice
    clients.forEach((tracked, i) => expect(numbers(tracked.received), tracked.label).toEqual(expected(plan[i][1])));
    for (const at of [a, b, c]) expect(at.store().metrics.caughtUp).toBe(0);
  });

  it.each(["roomcast", "socket.io"] as const)(
    "a socket joining a room its node had no member in gets every packet sent after the join, although the node subscribes late (%s)",
    async (kind) => {
      const a = await node("a");
      // b's subscriber connection is 150 ms away from Redis: its SUBSCRIBE lands long after the join is stored
      const b = await node("b", { slowSubscriberMs: 150 });
      const joiner = client(kind, b, [], "b-joiner");
      await connected([joiner]);
      let next = 0;
      const timer = setInterval(() => a.io.to("r").emit("n", next++), 2);
      cleanups.push(() => clearInterval(timer));
      await waitFor(() => next >= 20, "traffic to the room");

      await joiner.socket.timeout(5000).emitWithAck("join", "r");
      // everything sent from here on must reach the socket
      const afterJoin = next;
      await waitFor(() => next >= afterJoin + 150, "traffic after the join");
      clearInterval(timer);
      const last = next - 1;
      await waitFor(() => joiner.received[joiner.received.length - 1] === last, "the last packet at the joiner");
      await sleep(100);
      const received = numbers(joiner.received);
      expect(received.length).toBeGreaterThan(0);
      // a contiguous run that starts no later than the join: nothing missed, nothing twice, in order
      expect(received[0]).toBeLessThanOrEqual(afterJoin);
      expect(received).toEqual(range(received[0], last + 1));
      // the packets sent while the SUBSCRIBE was on its way came from the stream
      expect(b.store().metrics.caughtUp).toBeGreaterThan(0);
    },
  );

  it.each([
    ["roomcast", false],
    ["socket.io", false],
    ["roomcast", true],
    ["socket.io", true],
  ] as const)(
    "resumes across nodes after a drop: replay and live packets once each, in order (%s; target node already in the room: %s)",
    async (kind, targetHasMember) => {
      const [a, b] = await Promise.all([node("a"), node("b")]);
      /*
       * c's subscriber connection lags 100 ms behind Redis. Without a member in "r", the resume
       * itself makes c start hearing the room (late); with one, packets the replay read already
       * holds are still on their way to c when the replay is sent.
       */
      const c = await node("c", { slowSubscriberMs: 100 });
      const proxy = await TcpProxy.start(a.port);
      cleanups.push(() => proxy.close());
      const mover = client(kind, proxy, ["r"], "mover");
      const stays = client(kind, a, ["r"], "stays");
      const others = targetHasMember ? [client(kind, c, ["r"], "c-member")] : [];
      await connected([mover, stays, ...others]);
      let next = 0;
      const timer = setInterval(() => b.io.to("r").emit("n", next++), 3);
      cleanups.push(() => clearInterval(timer));
      await waitFor(() => mover.received.length >= 20, "live traffic");

      proxy.point(c.port);
      proxy.cut();
      await waitFor(() => mover.connects.length === 2 && mover.socket.connected, "the resume on c");
      expect(mover.connects[1]).toMatchObject({ id: mover.connects[0].id, recovered: true });
      const resumedAt = next;
      await waitFor(() => next >= resumedAt + 100, "traffic after the resume");
      clearInterval(timer);
      const last = next - 1;
      await waitFor(() => mover.received[mover.received.length - 1] === last && stays.received[stays.received.length - 1] === last, "the last packet");
      await sleep(100);
      expect(numbers(mover.received)).toEqual(range(0, last + 1));
      expect(numbers(stays.received)).toEqual(range(0, last + 1));
      for (const other of others) expect(numbers(other.received)).toEqual(range(0, last + 1));
      expect(c.store().metrics.roomChannels).toBe(1);
    },
  );

  it("follows the rooms of an adapter set with io.adapter(...) after the server was created", async () => {
    const [a, b, c] = await Promise.all([node("a", { adapterLater: true }), node("b", { adapterLater: true }), node("c", { adapterLater: true })]);
    const member = client("roomcast", b, ["r"], "b-r");
    const bystander = client("roomcast", c, ["elsewhere"], "c-elsewhere");
    await connected([member, bystander]);
    await waitFor(() => b.store().metrics.roomChannels === 1 && c.store().metrics.roomChannels === 1, "the room channels");
    for (const n of range(0, 5)) a.io.to("r").emit("n", n);
    await waitFor(() => member.received.length === 5, "the packets");
    expect(member.received).toEqual(range(0, 5));
    expect(heardOn(c.storeHeard, isRoomChannel("r"))).toBe(0);
  });

  it("hears its packets when the store's client was created with lazyConnect (its subscriber, a duplicate, connects by itself)", async () => {
    const [a, b] = await Promise.all([node("a", { lazyConnect: true }), node("b", { lazyConnect: true })]);
    const member = client("roomcast", b, ["r"], "b-r");
    await connected([member]);
    await waitFor(() => b.store().metrics.roomChannels === 1, "the room channel");
    for (const n of range(0, 5)) a.io.to("r").emit("n", n);
    await waitFor(() => member.received.length === 5, "the packets");
    expect(member.received).toEqual(range(0, 5));
  });

  it("keeps a quiet node's position close to the stream's head, so a broken subscription costs its sockets nothing", async () => {
    // a short history: the room's traffic trims the stream far past anything the quiet node heard
    const [a, b] = await Promise.all([node("a", { maxPackets: 20 }), node("b", { maxPackets: 20 })]);
    const quiet = client("roomcast", b, ["quiet"], "b-quiet");
    const busy = client("roomcast", a, ["busy"], "a-busy");
    await connected([quiet, busy]);
    b.io.to("quiet").emit("n", "hello");
    await waitFor(() => quiet.received.length === 1, "the quiet room's packet");
    // in small batches: no more appends wait for Redis at once than maxPackets
    for (let n = 0; n < 200; n++) {
      a.io.to("busy").emit("n", n);
      if (n % 10 === 9) await waitFor(() => busy.received.length === n + 1, "the busy room's packets");
    }
    await sleep(100);
    // b heard ticks of the stream's position, not the busy room's packets
    expect(heardOn(b.storeHeard, isRoomChannel("busy"))).toBe(0);
    expect(b.store().metrics.syncs).toBeGreaterThan(0);

    // b's subscriber connection breaks and comes back (as when Redis drops it)
    const list = await redis.cli("client", "list");
    const subscriber = list.split("\n").find((line) => line.includes("name=b-store") && / sub=[1-9]/.test(line));
    expect(subscriber).toBeDefined();
    await redis.cli("client", "kill", "id", /id=(\d+)/.exec(subscriber!)![1]);
    await waitFor(async () => (await redis.cli("client", "list")).split("\n").some((line) => line.includes("name=b-store") && / sub=[1-9]/.test(line)), "b to subscribe again");
    b.io.to("quiet").emit("n", "again");
    await waitFor(() => quiet.received.length === 2, "the quiet room's next packet");
    // nothing was missed and the stream could tell: no resynchronisation
    expect(b.io.sockets.recovery!.stats.resynced).toBe(0);
    expect(quiet.connects).toHaveLength(1);
    expect(quiet.received).toEqual(["hello", "again"]);
  });
});
