import { ErrorCode } from "@roomcast/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { PartialResponseError } from "../../src/cluster/index.js";
import { Adapter } from "../../src/broadcast/adapter.js";
import { TestCluster } from "./support/cluster-harness.js";
import { settle, waitFor } from "./support/wait.js";

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function start(count = 3, opts = {}): Promise<TestCluster> {
  cluster = await TestCluster.start(count, opts);
  return cluster;
}

/** Waits until every message published so far has been handled by every node. */
async function quiesce(): Promise<void> {
  await settle(10);
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe("ClusterAdapter over an in-process bus, 3 real servers", () => {
  describe("#broadcast", () => {
    it("reaches each member of a room on each node exactly once", async () => {
      const c = await start();
      const members = [await c.client(0, ["a"]), await c.client(1, ["a", "b"]), await c.client(2, ["b"]), await c.client(2, ["a"])];
      const outsider = await c.client(1, ["c"]);
      await quiesce();
      c.nodes[0].io.to("a").emit("one");
      c.nodes[1].io.to(["a", "b"]).emit("two");
      await waitFor(() => members.every((m) => m.count("two") === 1) && members.filter((m) => m !== members[2]).every((m) => m.count("one") === 1), "deliveries");
      await quiesce();
      // Broadcasts from different nodes have no common order; each arrives exactly once.
      expect(members.map((m) => m.names().sort())).toEqual([["one", "two"], ["one", "two"], ["two"], ["one", "two"]]);
      expect(outsider.names()).toEqual([]);
    });

    it("honours except across nodes", async () => {
      const c = await start();
      const kept = [await c.client(0, ["a"]), await c.client(2, ["a"])];
      const excluded = [await c.client(1, ["a", "muted"]), await c.client(2, ["a", "muted"])];
      await quiesce();
      c.nodes[0].io.to("a").except("muted").emit("hi");
      c.nodes[0].io.except(excluded[1].sid).emit("all-but-one");
      await waitFor(() => kept.every((k) => k.count("hi") === 1 && k.count("all-but-one") === 1), "deliveries");
      await waitFor(() => excluded[0].count("all-but-one") === 1, "delivery to the other excluded socket");
      await quiesce();
      expect(excluded.map((e) => e.count("hi"))).toEqual([0, 0]);
      expect(excluded[1].count("all-but-one")).toBe(0);
    });

    it("keeps local broadcasts on their node", async () => {
      const c = await start();
      const here = await c.client(0, ["a"]);
      const there = await c.client(1, ["a"]);
      await quiesce();
      const published = c.nodes[0].adapter().metrics.published;
      c.nodes[0].io.local.to("a").emit("local-only");
      c.nodes[0].io.to("a").emit("everywhere");
      await waitFor(() => there.count("everywhere") === 1 && here.count("everywhere") === 1, "deliveries");
      expect(here.names()).toEqual(["local-only", "everywhere"]);
      expect(there.names()).toEqual(["everywhere"]);
      expect(c.nodes[0].adapter().metrics.published - published).toBe(1);
    });

    it("delivers volatile broadcasts to ready sockets on every node", async () => {
      const c = await start();
      const clients = [await c.client(0), await c.client(1), await c.client(2)];
      await quiesce();
      c.nodes[2].io.volatile.emit("tick");
      await waitFor(() => clients.every((client) => client.count("tick") === 1), "volatile deliveries");
    });

    it("reaches a socket by id on another node through the namespace channel", async () => {
      const c = await start();
      const target = await c.client(2);
      await c.client(1);
      await quiesce();
      expect(c.nodes[2].bus.subscriptions().some((ch) => ch.includes(target.sid))).toBe(false);
      c.nodes[0].io.to(target.sid).emit("private", 1);
      await waitFor(() => target.count("private") === 1, "private delivery");
    });
  });

  describe("#emitWithAck", () => {
    it("aggregates the client counts and replies of every node", async () => {
      const c = await start();
      const clients = [await c.client(0, ["r"]), await c.client(1, ["r"]), await c.client(1, ["r"]), await c.client(2, [])];
      clients.forEach((client, i) => (client.onAck = () => [`reply-${i}`]));
      await quiesce();
      const replies = await c.nodes[2].io.to("r").timeout(2000).emitWithAck("poll");
      expect([...replies].sort()).toEqual(["reply-0", "reply-1", "reply-2"]);
      const all = await c.nodes[0].io.timeout(2000).emitWithAck("poll-all");
      expect(all).toHaveLength(4);
    });

    it("times out with the replies received when a remote client stays silent", async () => {
      const c = await start();
      const talkative = await c.client(0, ["r"]);
      talkative.onAck = () => ["here"];
      await c.client(1, ["r"]);
      await quiesce();
      const err = await c.nodes[0].io.to("r").timeout(300).emitWithAck("poll").catch((e: unknown) => e);
      expect((err as { responses?: unknown[] }).responses).toEqual(["here"]);
    });
  });

  describe("#fetchSockets", () => {
    it("returns remote sockets with id, rooms, data and handshake", async () => {
      const c = await start();
      const local = await c.client(0, ["x"], { name: "local" });
      const remote = await c.client(1, ["x", "y"], { name: "remote", tags: [1, 2] });
      await c.client(2, ["z"]);
      await quiesce();
      const sockets = await c.nodes[0].io.in("x").fetchSockets();
      expect(sockets.map((s) => s.id).sort()).toEqual([local.sid, remote.sid].sort());
      const handle = sockets.find((s) => s.id === remote.sid)!;
      expect(handle.data).toEqual({ name: "remote", tags: [1, 2] });
      expect([...handle.rooms].sort()).toEqual([remote.sid, "x", "y"].sort());
      expect(handle.handshake.auth).toEqual({ rooms: ["x", "y"], data: { name: "remote", tags: [1, 2] } });
      expect(handle.handshake.query.node).toBe(String(c.nodes[1].port));
      expect(await c.nodes[0].io.fetchSockets()).toHaveLength(3);
    });

    it("acts on remote sockets: emit, join, leave, disconnect", async () => {
      const c = await start();
      const remote = await c.client(2, ["x"]);
      await quiesce();
      const [handle] = await c.nodes[0].io.in("x").fetchSockets();
      handle.emit("direct", 42);
      await waitFor(() => remote.count("direct") === 1, "emit on a remote socket");
      expect(remote.events[0]).toEqual(["direct", 42]);
      handle.join("joined");
      await waitFor(() => c.nodes[2].io.of("/").adapter.rooms.has("joined"), "remote join");
      handle.leave("x");
      await waitFor(() => !c.nodes[2].io.of("/").adapter.rooms.has("x"), "remote leave");
      handle.disconnect(true);
      await waitFor(() => remote.closed, "remote disconnect");
    });
  });

  describe("socket management", () => {
    it("socketsJoin, socketsLeave and disconnectSockets reach every node", async () => {
      const c = await start();
      const clients = [await c.client(0, ["a"]), await c.client(1, ["a"]), await c.client(2, ["b"])];
      await quiesce();
      c.nodes[0].io.in("a").socketsJoin("team");
      await waitFor(() => c.nodes[1].io.of("/").adapter.rooms.get("team")?.size === 1, "join on node 1");
      c.nodes[2].io.to("team").emit("team-msg");
      await waitFor(() => clients[0].count("team-msg") === 1 && clients[1].count("team-msg") === 1, "team delivery");
      c.nodes[2].io.in("team").socketsLeave("team");
      await waitFor(() => c.nodes.every((n) => !n.io.of("/").adapter.rooms.has("team")), "leave everywhere");
      c.nodes[1].io.in("b").disconnectSockets(true);
      await waitFor(() => clients[2].closed, "remote disconnect");
      expect(clients[0].closed || clients[1].closed).toBe(false);
    });
  });

  describe("#serverSideEmit", () => {
    it("runs the other nodes' listeners and collects one reply per node", async () => {
      const c = await start();
      const heard: number[] = [];
      c.nodes.forEach((node, i) => {
        node.io.of("/").on("hello" as never, ((greeting: string, reply?: (r: unknown) => void) => {
          heard.push(i);
          reply?.(`${greeting} from ${i}`);
        }) as never);
      });
      c.nodes[0].io.serverSideEmit("hello" as never, "hi" as never);
      await waitFor(() => heard.length === 2, "listeners");
      expect(heard.sort()).toEqual([1, 2]);
      const replies = await c.nodes[1].io.serverSideEmitWithAck("hello" as never, "hey");
      expect([...replies].sort()).toEqual(["hey from 0", "hey from 2"]);
    });

    it("reaches listeners registered on the server itself, as Socket.IO apps write them", async () => {
      const c = await start();
      const heard: number[] = [];
      c.nodes.forEach((node, i) => node.io.on("hello" as never, (() => heard.push(i)) as never));
      c.nodes[2].io.serverSideEmit("hello" as never);
      await waitFor(() => heard.length === 2, "listeners on io");
      expect(heard.sort()).toEqual([0, 1]);
    });
  });

  describe("io.adapter()", () => {
    it("closes the adapter it replaces, so the old one leaves the cluster", async () => {
      const c = await start();
      const old = c.nodes[0].adapter();
      let closed = false;
      const close = old.close.bind(old);
      old.close = () => {
        closed = true;
        return close();
      };
      c.nodes[0].io.adapter(Adapter);
      await waitFor(() => closed, "old adapter closed");
      await c.waitForServerCount(2, c.nodes.slice(1));
    });
  });

  describe("node liveness", () => {
    it("counts the nodes and drops a dead one; a request to it fails with the partial result", async () => {
      const c = await start(3, { heartbeatInterval: 100, heartbeatTimeout: 600, requestsTimeout: 1500 });
      await c.client(0);
      await c.client(1);
      await c.client(2);
      expect(await c.nodes[0].io.of("/").adapter.serverCount()).toBe(3);
      // Node 2 vanishes without a goodbye, as if its process had been killed.
      c.nodes[2].bus.detach();
      const err = await c.nodes[0].io.fetchSockets().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PartialResponseError);
      expect((err as PartialResponseError).code).toBe(ErrorCode.PARTIAL_RESPONSE);
      expect((err as PartialResponseError).responses).toHaveLength(2);
      expect((err as PartialResponseError).data.missing).toEqual([c.nodes[2].adapter().uid]);
      await c.waitForServerCount(2, c.nodes.slice(0, 2));
      expect(c.nodes[0].adapter().metrics.nodesLost).toBe(1);
      // Requests sent now wait only for the living.
      expect(await c.nodes[0].io.fetchSockets()).toHaveLength(2);
    });

    it("forgets a node at once when it closes", async () => {
      const c = await start();
      await c.nodes[2].io.close();
      await c.waitForServerCount(2, c.nodes.slice(0, 2));
      expect(c.nodes[0].adapter().metrics.nodesLost).toBe(0);
    });
  });

  describe("room-scoped delivery", () => {
    it("a node hears a room's broadcasts only while it has members in it", async () => {
      const c = await start();
      const member = await c.client(1, ["news"]);
      await c.client(2, ["other"]);
      await quiesce();
      const channel = "roomcast#/#news#";
      const before = c.nodes.map((n) => n.bus.receivedByChannel.get(channel) ?? 0);
      for (let i = 0; i < 5; i++) c.nodes[0].io.to("news").emit("n", i);
      await waitFor(() => member.count("n") === 5, "deliveries");
      await quiesce();
      const heard = c.nodes.map((n, i) => (n.bus.receivedByChannel.get(channel) ?? 0) - before[i]);
      expect(heard).toEqual([0, 5, 0]);
      expect(c.nodes[2].bus.subscriptions()).not.toContain(channel);
      // Once the last member leaves, node 1 unsubscribes too.
      member.close();
      await waitFor(() => !c.nodes[1].bus.subscriptions().includes(channel), "unsubscribe");
      c.nodes[0].io.to("news").emit("n", 99);
      await quiesce();
      expect(c.nodes[1].bus.receivedByChannel.get(channel)).toBe(before[1] + 5);
    });
  });
});
