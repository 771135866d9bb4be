import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Socket as ClientSocket } from "@roomcast/client";
import type { ServerOptionsInput } from "@roomcast/core";
import { Redis } from "ioredis";
import { Packr } from "msgpackr";
import { Gate, isAck, nextEvent, retryingClient, startOnceNode, type OnceNode, type Run } from "./support/once-nodes.js";
import { waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";
import { FreezableProxy } from "./support/freezable-proxy.js";
import { cutBefore } from "./support/server-frames.js";
import { TcpProxy, type Tap } from "./support/tcp-proxy.js";

/*
 * A client's retried emit is run once by the server even when the connection drops after the
 * handler ran and before its ack reached the client: a TCP relay between a real @roomcast/client
 * and real servers cuts the connection exactly there, and the client comes back to the same node
 * or to another one.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(name: string, runs: Run[], gate: Gate, redisUrl?: string, options: ServerOptionsInput = {}): Promise<OnceNode> {
  const started = await startOnceNode(name, runs, gate, redisUrl, options);
  cleanups.push(started.close);
  return started;
}

async function proxy(target: number, tap?: () => Tap): Promise<TcpProxy> {
  const started = await TcpProxy.start(target, { tap });
  cleanups.push(() => started.close());
  return started;
}

function client(port: number): ClientSocket {
  const socket = retryingClient(port);
  cleanups.push(() => {
    socket.disconnect();
    socket.io.close();
  });
  return socket;
}

/** Arms a relay for one cut: the first ACK frame on its way to the client after `arm()`. */
function oneCutBeforeAck(): { tap: () => Tap; arm: () => void; cuts: () => number } {
  let armed = false;
  let cuts = 0;
  const tap = cutBefore(isAck, () => {
    if (!armed) return false;
    armed = false;
    cuts++;
    return true;
  });
  return { tap, arm: () => (armed = true), cuts: () => cuts };
}

describe("exactly-once emits across a dropped connection", () => {
  describe("one node (in-memory store)", () => {
    it("runs the handler once when the ack is lost with the connection; the client gets the first reply", async () => {
      const runs: Run[] = [];
      const a = await node("a", runs, new Gate());
      const cut = oneCutBeforeAck();
      const relay = await proxy(a.port, cut.tap);
      const socket = client(relay.port);
      await nextEvent(socket, "connect");
      const id = socket.id;

      cut.arm();
      const reply = await socket.emitWithAck("order", 1);
      expect(cut.cuts()).toBe(1);
      expect(reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
      // the resend after the reconnect was answered from the recovered session's window
      expect(socket.recovered).toBe(true);
      expect(socket.id).toBe(id);
      expect(a.io.metrics.duplicateEmits).toBe(1);

      // later emits are new emits
      expect(await socket.emitWithAck("order", 2)).toEqual({ n: 2, by: "a" });
      expect(runs.map((run) => run.n)).toEqual([1, 2]);
    });

    it("has a resend that arrives while the first run is in progress wait for it, across the reconnect", async () => {
      const runs: Run[] = [];
      const gate = new Gate();
      const a = await node("a", runs, gate);
      const relay = await proxy(a.port);
      const socket = client(relay.port);
      await nextEvent(socket, "connect");

      gate.hold();
      const reply = socket.emitWithAck("order", 1);
      await waitFor(() => runs.length === 1, "the handler to start");
      relay.cut();
      await nextEvent(socket, "connect");
      expect(socket.recovered).toBe(true);
      await waitFor(() => a.io.metrics.duplicateEmits === 1, "the resend on the new connection");
      gate.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
    });

    it("brings a slow handler's answer to the fresh session when the resume fails (history trimmed)", async () => {
      const runs: Run[] = [];
      const gate = new Gate();
      const a = await node("a", runs, gate, undefined, { connectionStateRecovery: { maxPackets: 1 } });
      const relay = await proxy(a.port);
      const socket = client(relay.port);
      await nextEvent(socket, "connect");
      const id = socket.id;

      gate.hold();
      const reply = socket.emitWithAck("order", 1);
      await waitFor(() => runs.length === 1, "the handler to start");
      socket.io.reconnection(false);
      relay.cut();
      await nextEvent(socket, "disconnect");
      await waitFor(() => a.io.sockets.sockets.size === 0, "a to notice the drop");
      // more than maxPackets while the client is away: its resume gets a fresh session
      for (let i = 0; i < 3; i++) a.io.emit("news", i);
      socket.io.reconnection(true);
      socket.io.open();
      await nextEvent(socket, "connect");
      expect(socket.recovered).toBe(false);
      expect(socket.id).not.toBe(id);
      await waitFor(() => a.io.metrics.duplicateEmits === 1, "the resend on the fresh session");
      gate.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
    });

    it("takes over a session whose old connection the server still holds (half-open): recovered, missed events replayed, the handler run once", async () => {
      const runs: Run[] = [];
      const gate = new Gate();
      const a = await node("a", runs, gate);
      const relay = await FreezableProxy.start(a.port);
      cleanups.push(() => relay.close());
      const socket = client(relay.port);
      await nextEvent(socket, "connect");
      const id = socket.id;
      const news: number[] = [];
      socket.on("news", (n: number) => news.push(n));

      gate.hold();
      const reply = socket.emitWithAck("order", 1);
      await waitFor(() => runs.length === 1, "the handler to start");
      // the path goes silent without a close: the server still sees a live socket
      relay.freeze();
      a.io.emit("news", 1);
      const back = nextEvent(socket, "connect");
      // the client gives up on the silent connection (a network switch) and comes back at once
      socket.io.engine.close();
      await back;
      expect(socket.recovered).toBe(true);
      expect(socket.id).toBe(id);
      expect(a.io.sockets.recovery!.stats.takenOver).toBe(1);
      expect(a.io.sockets.sockets.size).toBe(1);
      await waitFor(() => a.io.metrics.duplicateEmits === 1, "the resend on the new connection");
      gate.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
      await waitFor(() => news.length === 1, "the event sent into the dead connection, replayed");
      expect(news).toEqual([1]);
      // the old connection ending later changes nothing
      relay.thaw();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(a.io.sockets.sockets.get(id!)?.connected).toBe(true);
      expect(await socket.emitWithAck("order", 2)).toEqual({ n: 2, by: "a" });
    });
  });

  describe("two nodes (Redis streams store)", () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      await redis?.kill();
    });

    /**
     * Nodes a and b on the test's Redis, a client through a relay to a, and an emit whose handler
     * is held on a; then the relay turns to b and cuts, so the client drops with the run unanswered.
     */
    async function heldRunThenCut() {
      const runs: Run[] = [];
      const gate = new Gate();
      const [a, b] = await Promise.all([node("a", runs, gate, redis.url), node("b", runs, gate, redis.url)]);
      const relay = await proxy(a.port);
      const socket = client(relay.port);
      await nextEvent(socket, "connect");
      const id = socket.id;

      gate.hold();
      const reply = socket.emitWithAck("order", 1);
      await waitFor(() => runs.length === 1, "the handler to start on a");
      socket.io.reconnection(false);
      relay.point(b.port);
      relay.cut();
      await nextEvent(socket, "disconnect");
      return { runs, gate, a, b, socket, id, reply };
    }

    it("answers the resend on the other node from the session's window; the handler ran once", async () => {
      const runs: Run[] = [];
      const gate = new Gate();
      const [a, b] = await Promise.all([node("a", runs, gate, redis.url), node("b", runs, gate, redis.url)]);
      const cut = oneCutBeforeAck();
      const relay = await proxy(a.port, cut.tap);
      const socket = client(relay.port);
      await nextEvent(socket, "connect");
      const id = socket.id;

      cut.arm();
      // the load balancer sends the reconnect to the other node, once a has kept the session
      socket.io.reconnection(false);
      socket.once("disconnect", () => {
        relay.point(b.port);
        void sessionKept(redis.url).then(() => {
          socket.io.reconnection(true);
          socket.io.open();
        });
      });
      const reply = await socket.emitWithAck("order", 1);
      expect(cut.cuts()).toBe(1);
      expect(reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
      expect(socket.recovered).toBe(true);
      expect(b.io.sockets.sockets.get(id!)).toBeDefined();
      expect(b.io.metrics.duplicateEmits).toBe(1);
    });

    it("keeps an answer given while the client is away, for a resume on the other node", async () => {
      const { runs, gate, a, b, socket, reply } = await heldRunThenCut();
      await waitFor(() => a.io.sockets.sockets.size === 0, "a to notice the drop");
      gate.open();
      await waitFor(() => windowInRedis(redis.url).then((window) => window?.[0]?.reply !== undefined), "the late reply in the kept session");

      socket.io.reconnection(true);
      socket.io.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
      expect(socket.recovered).toBe(true);
      expect(b.io.metrics.duplicateEmits).toBe(1);
    });

    it("brings an answer given after a failed resume on the other node to the fresh session that took over the ids", async () => {
      const { runs, gate, a, b, socket, reply, id } = await heldRunThenCut();
      await waitFor(() => a.io.sockets.sockets.size === 0, "a to notice the drop");
      await sessionKept(redis.url);
      // events the client misses, then trimmed away: the resume on b gets a fresh session
      for (let i = 0; i < 3; i++) a.io.emit("news", i);
      await trimStream(redis.url, 3);
      socket.io.reconnection(true);
      socket.io.open();
      await nextEvent(socket, "connect");
      expect(socket.recovered).toBe(false);
      expect(b.io.sockets.sockets.get(socket.id!)).toBeDefined();
      expect(socket.id).not.toBe(id);
      // b's fresh session took over the ids: the resend waits for a's run
      await waitFor(() => b.io.metrics.duplicateEmits === 1, "the resend on b");
      gate.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
    });

    it("brings an answer given after the client resumed on the other node", async () => {
      const { runs, gate, b, socket, reply } = await heldRunThenCut();
      await sessionKept(redis.url);
      socket.io.reconnection(true);
      socket.io.open();
      await nextEvent(socket, "connect");
      expect(socket.recovered).toBe(true);
      // b has the session, its window says the run has not answered: the resend waits
      await waitFor(() => b.io.metrics.duplicateEmits === 1, "the resend on b");
      gate.open();
      expect(await reply).toEqual({ n: 1, by: "a" });
      expect(runs).toEqual([{ node: "a", n: 1 }]);
    });
  });
});

/** Waits until Redis holds a session (a node writes it when it notices the drop). */
async function sessionKept(url: string): Promise<void> {
  const redis = new Redis(url);
  try {
    await waitFor(async () => (await redis.keys("*#session#*")).length > 0, "a kept session");
  } finally {
    redis.disconnect();
  }
}

/** Waits until the namespace's stream holds `count` entries, then trims all but the newest (as `maxPackets: 1` would). */
async function trimStream(url: string, count: number): Promise<void> {
  const redis = new Redis(url);
  try {
    let key: string | undefined;
    await waitFor(async () => {
      [key] = await redis.keys("*#stream");
      return key !== undefined && (await redis.xlen(key)) >= count;
    }, "the events in the stream");
    await redis.xtrim(key!, "MAXLEN", 1);
  } finally {
    redis.disconnect();
  }
}

/** The handled window of the one kept session in Redis, if any. */
async function windowInRedis(url: string): Promise<{ id: number; reply?: unknown }[] | undefined> {
  const redis = new Redis(url);
  try {
    const [key] = await redis.keys("*#handled#*");
    if (key === undefined) return undefined;
    const raw = await redis.getBuffer(key);
    return raw === null ? undefined : (new Packr({ useRecords: false, mapsAsObjects: true }).unpack(raw) as { id: number; reply?: unknown }[]);
  } finally {
    redis.disconnect();
  }
}
