import { afterEach, describe, expect, it } from "vitest";
import { type BusOrdering, ClusterAdapter, InProcessHub, type InProcessHubOptions, MessageType, msgpackClusterCodec } from "../../src/cluster/index.js";
import { event, type FakeNode, fakeCluster, quiesce, quiet, seeded } from "./support/fake-cluster.js";
import { FakeNamespace } from "./support/fake-namespace.js";
import { waitFor } from "./support/wait.js";

let nodes: FakeNode[] = [];

afterEach(() => {
  for (const node of nodes) node.adapter.close();
  nodes = [];
});

async function start(hub: InProcessHubOptions, opts = {}) {
  const cluster = await fakeCluster(3, hub, opts);
  nodes = cluster.nodes;
  return cluster;
}

const NAMESPACE_CHANNEL = "roomcast#/#";
const random = seeded(1);

/*
 * One Redis server, then sharded pub/sub with the namespace channel's shard slower than the
 * rooms' (a change arrives after what followed it), then with the rooms' shards slower (what
 * preceded a change arrives after it), then random. Each rule breaks in one of them when a
 * change is published like any other message.
 */
const TRANSPORTS: [string, InProcessHubOptions][] = [
  ["one Redis server", { ordering: "publisher" }],
  ["shards, namespace channel slow", { ordering: "channel", latency: (channel) => (channel === NAMESPACE_CHANNEL ? 4 : 0) }],
  ["shards, room channels slow", { ordering: "channel", latency: (channel) => (channel === NAMESPACE_CHANNEL ? 0 : 4) }],
  ["shards, random latencies", { ordering: "channel", latency: () => random() * 3 }],
];

const rooms = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

describe("InProcessHub behaves like Redis pub/sub", () => {
  it.each<BusOrdering>(["publisher", "channel"])("delivers only to subscriptions in place when the broker handles the publish (%s)", async (ordering) => {
    const rng = seeded(7);
    const hub = new InProcessHub({ ordering, latency: () => rng() * 3 });
    const [a, b] = [hub.endpoint(), hub.endpoint()];
    const got: string[] = [];
    a.publish("c#", Buffer.from("before"), false);
    const active = b.subscribe("c#", (payload) => got.push(Buffer.from(payload).toString()));
    a.publish("c#", Buffer.from("after"), false);
    await active;
    await waitFor(() => hub.pending === 0, "the hub to drain");
    expect(got).toEqual(["after"]);
  });

  it("with channel ordering, keeps each channel's order and mixes channels", async () => {
    const rng = seeded(3);
    const hub = new InProcessHub({ ordering: "channel", latency: () => rng() * 3 });
    const [a, b] = [hub.endpoint(), hub.endpoint()];
    const got: string[] = [];
    await Promise.all(["x#", "y#"].map((ch) => b.subscribe(ch, (payload, channel) => got.push(`${channel}${Buffer.from(payload).toString()}`))));
    for (let i = 0; i < 20; i++) a.publish(i % 2 === 0 ? "x#" : "y#", Buffer.from(String(i)), false);
    await waitFor(() => got.length === 20, "every message");
    const order = (ch: string) => got.filter((m) => m.startsWith(ch)).map((m) => Number(m.slice(2)));
    expect(order("x#")).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(order("y#")).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(got.map((m) => Number(m.slice(2)))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe.each(TRANSPORTS)("ClusterAdapter: one origin's operations apply in order (%s)", (_, transport) => {
  it("join, then a broadcast to that room: the socket receives it", async () => {
    const { hub } = await start(transport);
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    const witness = c.nsp.connect();
    const names = rooms(5, "game");
    witness.join(names);
    await quiesce(hub, nodes);
    for (const room of names) {
      a.adapter.addSockets({ rooms: new Set([target.id]) }, [room]);
      a.adapter.broadcast(event("state", room), { rooms: new Set([room]) });
    }
    await quiesce(hub, nodes);
    expect([...target.events()]).toEqual(Array(5).fill("state"));
    expect(target.received.map((r) => r.data[1]).sort()).toEqual(names);
    expect(witness.events()).toHaveLength(5);
  });

  it("leave, then a broadcast: the socket does not receive it", async () => {
    const { hub } = await start(transport);
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    const witness = c.nsp.connect();
    const names = rooms(5, "game");
    target.join(names);
    witness.join(names);
    await quiesce(hub, nodes);
    for (const room of names) {
      a.adapter.delSockets({ rooms: new Set([target.id]) }, [room]);
      a.adapter.broadcast(event("after-leave"), { rooms: new Set([room]) });
    }
    await quiesce(hub, nodes);
    expect(witness.events()).toHaveLength(5);
    expect(target.events()).toEqual([]);
  });

  it("disconnectSockets, then a broadcast: the socket does not receive it", async () => {
    const { hub } = await start(transport);
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    const neighbour = b.nsp.connect();
    const witness = c.nsp.connect();
    const names = rooms(5, "game");
    for (const socket of [target, neighbour, witness]) socket.join(names);
    await quiesce(hub, nodes);
    a.adapter.disconnectSockets({ rooms: new Set([target.id]) }, false);
    for (const room of names) a.adapter.broadcast(event("after-disconnect"), { rooms: new Set([room]) });
    await quiesce(hub, nodes);
    expect(target.connected).toBe(false);
    expect(target.events()).toEqual([]);
    expect([neighbour.events(), witness.events()]).toEqual([Array(5).fill("after-disconnect"), Array(5).fill("after-disconnect")]);
  });

  it("a broadcast, then socketsLeave: the socket receives the broadcast", async () => {
    const { hub } = await start(transport);
    const [a, b] = nodes;
    const target = b.nsp.connect();
    const names = rooms(5, "game");
    target.join(names);
    await quiesce(hub, nodes);
    for (const room of names) {
      a.adapter.broadcast(event("before-leave"), { rooms: new Set([room]) });
      a.adapter.delSockets({ rooms: new Set([target.id]) }, [room]);
    }
    await quiesce(hub, nodes);
    expect(target.events()).toEqual(Array(5).fill("before-leave"));
    expect(b.adapter.socketRooms(target.id)).toEqual(new Set([target.id]));
  });

  it("a broadcast to a room the origin leaves the socket out of (except), then a leave of that room", async () => {
    const { hub } = await start(transport);
    const [a, b] = nodes;
    const target = b.nsp.connect();
    target.join(["lobby", "muted"]);
    await quiesce(hub, nodes);
    a.adapter.broadcast(event("not-for-muted"), { rooms: new Set(["lobby"]), except: new Set(["muted"]) });
    a.adapter.delSockets({ rooms: new Set([target.id]) }, ["muted"]);
    a.adapter.broadcast(event("for-everyone"), { rooms: new Set(["lobby"]), except: new Set(["muted"]) });
    await quiesce(hub, nodes);
    expect(target.events()).toEqual(["for-everyone"]);
  });

  it("publishes a broadcast at once when no change is pending", async () => {
    const { hub } = await start(transport);
    const [a, b] = nodes;
    b.nsp.connect().join("r");
    await quiesce(hub, nodes);
    const before = a.bus.metrics.published;
    a.adapter.broadcast(event("now"), { rooms: new Set(["r"]) });
    expect(a.bus.metrics.published - before).toBe(1);
    expect(a.adapter.metrics.heldOperations).toBe(0);
  });

  it("sends back-to-back changes together, behind one confirmation", async () => {
    const { hub } = await start(transport);
    const [a, b] = nodes;
    const target = b.nsp.connect();
    await quiesce(hub, nodes);
    const holds = a.adapter.metrics.orderingHolds;
    for (const room of rooms(20, "r")) a.adapter.addSockets({ rooms: new Set([target.id]) }, [room]);
    a.adapter.broadcast(event("last"), { rooms: new Set(["r-19"]) });
    await quiesce(hub, nodes);
    expect(a.adapter.metrics.orderingHolds - holds).toBe(2);
    expect(b.adapter.socketRooms(target.id)?.size).toBe(21);
    expect(target.events()).toEqual(["last"]);
  });
});

describe("ClusterAdapter ordering: bounds", () => {
  it("holds the origin at most orderingTimeout for a node that never confirms, counts it, and does not wait for it again", async () => {
    const { hub } = await start({ ordering: "publisher" }, { orderingTimeout: 300, heartbeatTimeout: 60_000 });
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    await quiesce(hub, nodes);
    c.bus.detach(); // alive for a (no heartbeat has expired yet), deaf to everything
    a.adapter.addSockets({ rooms: new Set([target.id]) }, ["first"]);
    a.adapter.broadcast(event("after-first"), { rooms: new Set(["first"]) });
    expect(a.adapter.metrics.heldOperations).toBe(1);
    await waitFor(() => target.events().length === 1, "the broadcast, once the hold gave up on the silent node", 3000);
    expect(a.adapter.metrics).toMatchObject({ orderingTimeouts: 1, heldOperations: 0 });
    a.adapter.addSockets({ rooms: new Set([target.id]) }, ["second"]);
    a.adapter.broadcast(event("after-second"), { rooms: new Set(["second"]) });
    await waitFor(() => target.events().length === 2, "the second broadcast");
    // Released by b's confirmation alone: the silent node cost one timeout, not one per change.
    expect(a.adapter.metrics.orderingTimeouts).toBe(1);
    expect(a.adapter.metrics.orderingHolds).toBe(2);
  });

  it("runs afterPendingChanges at once when nothing is held, else in order with the held broadcasts", async () => {
    const { hub } = await start({ ordering: "publisher" }, { orderingTimeout: 60_000, heartbeatTimeout: 60_000 });
    const [a, b] = nodes;
    const target = b.nsp.connect();
    await quiesce(hub, nodes);
    const ran: string[] = [];
    a.adapter.afterPendingChanges(() => ran.push("free"));
    expect(ran).toEqual(["free"]);
    a.adapter.addSockets({ rooms: new Set([target.id]) }, ["r"]);
    a.adapter.broadcast(event("held"), { rooms: new Set(["r"]) });
    a.adapter.afterPendingChanges(() => ran.push(`after ${target.events().length} event(s)`));
    expect(a.adapter.metrics.heldOperations).toBe(2);
    expect(ran).toEqual(["free"]);
    await waitFor(() => ran.length === 2, "the held callback");
    expect(ran[1]).toBe("after 0 event(s)");
    await waitFor(() => target.events().length === 1, "the held broadcast");
    expect(a.adapter.metrics).toMatchObject({ heldOperations: 0, orderingTimeouts: 0 });
  });

  it("publishes everything held at once past maxHeldOperations, and counts it", async () => {
    const { hub } = await start({ ordering: "publisher" }, { orderingTimeout: 60_000, heartbeatTimeout: 60_000, maxHeldOperations: 5 });
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    await quiesce(hub, nodes);
    c.bus.detach();
    a.adapter.addSockets({ rooms: new Set([target.id]) }, ["r"]);
    for (let i = 0; i < 6; i++) a.adapter.broadcast(event("held", i), { rooms: new Set(["r"]) });
    expect(a.adapter.metrics).toMatchObject({ orderingOverflows: 1, heldOperations: 0 });
    await waitFor(() => b.adapter.rooms.has("r"), "the join");
    expect(a.adapter.metrics.orderingTimeouts).toBe(0);
  });

  it("applies a change whose fence never comes after half orderingTimeout, and counts it", async () => {
    const { hub } = await start({ ordering: "channel" }, { orderingTimeout: 400 });
    const [a, b] = nodes;
    const target = b.nsp.connect();
    target.join("r");
    await quiesce(hub, nodes);
    // A change naming a fence on a channel b listens to, as an origin would publish it, without the fence.
    const change = { type: MessageType.SOCKETS_LEAVE, uid: "lost-origin", nsp: "/", opts: { rooms: [target.id] }, rooms: ["r"], changeId: "1", fences: ["roomcast#/#r#"] };
    a.bus.publish("roomcast#/#", msgpackClusterCodec.encode(change as never), false);
    await waitFor(() => hub.pending === 0, "the change to arrive");
    expect(b.adapter.socketRooms(target.id)?.has("r")).toBe(true);
    await waitFor(() => b.adapter.metrics.fenceTimeouts === 1, "the fence wait to end", 3000);
    expect(b.adapter.socketRooms(target.id)?.has("r")).toBe(false);
  });

  it("stops waiting for a fence on a channel the node leaves", async () => {
    const { hub } = await start({ ordering: "channel" }, { orderingTimeout: 20_000 });
    const [a, b] = nodes;
    const [fenced, moved] = [b.nsp.connect(), b.nsp.connect()];
    fenced.join("r");
    await quiesce(hub, nodes);
    const change = { type: MessageType.SOCKETS_JOIN, uid: "other-origin", nsp: "/", opts: { rooms: [moved.id] }, rooms: ["y"], changeId: "1", fences: ["roomcast#/#r#"] };
    a.bus.publish(NAMESPACE_CHANNEL, msgpackClusterCodec.encode(change as never), false);
    await waitFor(() => hub.pending === 0, "the change to arrive");
    expect(b.adapter.rooms.has("y")).toBe(false);
    // The last member leaves: no fence can reach b through that channel now.
    fenced.leave("r");
    expect(b.adapter.socketRooms(moved.id)?.has("y")).toBe(true);
    expect(b.adapter.metrics.fenceTimeouts).toBe(0);
  });

  it("publishes what is held when the adapter closes, ahead of its goodbye", async () => {
    const { hub } = await start({ ordering: "publisher" }, { orderingTimeout: 60_000, heartbeatTimeout: 60_000 });
    const [a, b, c] = nodes;
    const target = b.nsp.connect();
    target.join("r");
    await quiesce(hub, nodes);
    c.bus.detach();
    a.adapter.addSockets({ rooms: new Set([target.id]) }, ["s"]);
    a.adapter.broadcast(event("held"), { rooms: new Set(["r"]) });
    expect(a.adapter.metrics.heldOperations).toBe(1);
    a.adapter.close();
    await waitFor(() => target.events().length === 1, "the held broadcast");
    expect(target.events()).toEqual(["held"]);
  });

  it("refuses an ordering option that is not a positive number", () => {
    const nsp = new FakeNamespace();
    const hub = new InProcessHub();
    expect(() => new ClusterAdapter(nsp, hub.endpoint(), { logger: quiet, orderingTimeout: 0 })).toThrow(/orderingTimeout/);
    expect(() => new ClusterAdapter(nsp, hub.endpoint(), { logger: quiet, maxHeldOperations: Number.NaN })).toThrow(/maxHeldOperations/);
  });
});

describe("cluster codec: ordering messages", () => {
  const base = { uid: "u", nsp: "/" };
  it.each([
    ["a fence without its change id", { ...base, type: MessageType.FENCE }],
    ["a change with fences but no change id", { ...base, type: MessageType.SOCKETS_JOIN, opts: { rooms: [] }, rooms: ["r"], fences: ["c#"] }],
    ["a change with an unknown confirm", { ...base, type: MessageType.DISCONNECT_SOCKETS, opts: { rooms: [] }, close: false, changeId: "1", confirm: 3 }],
    ["a confirmation listing non-strings", { ...base, type: MessageType.CHANGE_APPLIED, requestId: "1", nodes: [1] }],
    ["a store position without its change id", { ...base, type: MessageType.SOCKETS_LEAVE, opts: { rooms: [] }, rooms: ["r"], storedThrough: "e:1-0" }],
    ["a store position that is not a string", { ...base, type: MessageType.SOCKETS_LEAVE, opts: { rooms: [] }, rooms: ["r"], changeId: "1", storedThrough: 1 }],
  ])("refuses %s", (_, message) => {
    expect(msgpackClusterCodec.decode(msgpackClusterCodec.encode(message as never))).toBeUndefined();
  });

  it("accepts a change with its ordering fields, a fence and a confirmation", () => {
    for (const message of [
      { ...base, type: MessageType.SOCKETS_LEAVE, opts: { rooms: ["x"] }, rooms: ["r"], changeId: "4", fences: ["c#"], confirm: 2 },
      { ...base, type: MessageType.DISCONNECT_SOCKETS, opts: { rooms: ["x"] }, close: false, changeId: "5", storedThrough: "e:1-0" },
      { ...base, type: MessageType.FENCE, changeId: "4" },
      { ...base, type: MessageType.CHANGE_APPLIED, requestId: "4", nodes: ["a", "b"] },
    ]) {
      expect(msgpackClusterCodec.decode(msgpackClusterCodec.encode(message as never))).toEqual(message);
    }
  });
});
