import { afterEach, describe, expect, it } from "vitest";
import { type Packet, PacketType } from "@roomcast/protocol";
import { Server, type ServerOptionsInput } from "../src/index.js";
import type { RawClient } from "./support/raw-client.js";
import { memoryLogger, startServer, waitUntil, type TestServer } from "./support/server.js";
import { CLIENT_MODES, startSocketIoServer, type SocketIoTestServer } from "./support/socketio-client.js";

type Connected = Packet & { type: typeof PacketType.CONNECTED };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: ServerOptionsInput = {}): Promise<TestServer> {
  // the server resolves partial option objects (`handledEmits: { maxAge }`) itself
  server = await startServer(options as never);
  return server;
}

/** Sends EVENT_ONCE `[9, nsp, id, event, ...args]`, as a client resending an emit does. */
function emitOnce(client: RawClient, id: number, event: string, ...args: unknown[]): void {
  client.send({ type: PacketType.EVENT, nsp: "/", data: [event, ...args], id, once: true });
}

function acks(client: RawClient, id?: number): unknown[][] {
  return client.packets.filter((p) => p.type === PacketType.ACK && (id === undefined || p.id === id)).map((p) => (p as { data: unknown[] }).data);
}

function errors(client: RawClient): unknown[] {
  return client.events("/", "error").map((p) => p.data[1]);
}

const ackOf = (id: number) => (p: Packet) => p.type === PacketType.ACK && p.id === id;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects the unhandled rejections of the process while `run` runs (and a little after). */
async function unhandledRejectionsDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  process.on("unhandledRejection", listener);
  try {
    await run();
    await sleep(50);
  } finally {
    process.off("unhandledRejection", listener);
  }
  return seen;
}

/** A promise and the function that settles it, to hold a handler until the test lets it go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * A "slow" handler for every socket: counts the run, waits until `open()`, then answers `reply`.
 * `runs()` is how many runs started.
 */
function slowHandler(reply: string): { handle: (ack: (text: string) => void) => Promise<void>; open: () => void; runs: () => number } {
  const hold = gate();
  let runs = 0;
  return {
    handle: async (ack) => {
      runs++;
      await hold.wait;
      ack(reply);
    },
    open: hold.open,
    runs: () => runs,
  };
}

describe("emits with an id (EVENT_ONCE)", () => {
  it("runs the handler once and answers every resend with the first reply", async () => {
    const s = await start();
    let runs = 0;
    s.io.on("connection", (socket) => socket.on("order", (item: string, ack: (reply: unknown) => void) => ack({ n: ++runs, item })));
    const client = await s.joined();
    emitOnce(client, 5, "order", "tea");
    await client.waitFor(ackOf(5));
    emitOnce(client, 5, "order", "tea");
    emitOnce(client, 5, "order", "tea");
    await waitUntil(() => acks(client, 5).length === 3);
    expect(runs).toBe(1);
    expect(acks(client, 5)).toEqual([[{ n: 1, item: "tea" }], [{ n: 1, item: "tea" }], [{ n: 1, item: "tea" }]]);
    expect(s.io.metrics.duplicateEmits).toBe(2);
    // another id is another emit
    emitOnce(client, 6, "order", "tea");
    await client.waitFor(ackOf(6));
    expect(runs).toBe(2);
  });

  it("has a resend that arrives while the first run is in progress wait for its answer", async () => {
    const s = await start();
    const slow = slowHandler("done");
    s.io.on("connection", (socket) => socket.on("slow", slow.handle));
    const client = await s.joined();
    emitOnce(client, 1, "slow");
    await waitUntil(() => slow.runs() === 1);
    emitOnce(client, 1, "slow");
    await waitUntil(() => s.io.metrics.duplicateEmits === 1);
    expect(acks(client)).toEqual([]);
    slow.open();
    await client.waitFor(ackOf(1));
    // one answer for the one pending ack id, and one run
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acks(client, 1)).toEqual([["done"]]);
    expect(slow.runs()).toBe(1);
  });

  it("acknowledges an emit whose handler takes no ack with no arguments, at once and on resends", async () => {
    const s = await start();
    const seen: string[] = [];
    s.io.on("connection", (socket) => socket.on("note", (text: string) => seen.push(text)));
    const client = await s.joined();
    emitOnce(client, 3, "note", "a");
    await client.waitFor(ackOf(3));
    emitOnce(client, 3, "note", "a");
    await waitUntil(() => acks(client, 3).length === 2);
    expect(acks(client, 3)).toEqual([[], []]);
    expect(seen).toEqual(["a"]);
  });

  it("acknowledges an event nobody listens to, once", async () => {
    const s = await start();
    const client = await s.joined();
    emitOnce(client, 1, "nobody");
    await client.waitFor(ackOf(1));
    expect(acks(client, 1)).toEqual([[]]);
  });

  it("leaves EVENT_WITH_ACK as it was: every copy runs the handler", async () => {
    const s = await start();
    let runs = 0;
    s.io.on("connection", (socket) => socket.on("order", (ack: (n: number) => void) => ack(++runs)));
    const client = await s.joined();
    client.emitWithId("/", 1, "order");
    client.emitWithId("/", 1, "order");
    await waitUntil(() => acks(client, 1).length === 2);
    expect(acks(client, 1)).toEqual([[1], [2]]);
  });

  it("forgets an emit packet middleware refused, so its resend goes through it again", async () => {
    const s = await start();
    let allow = false;
    let runs = 0;
    s.io.on("connection", (socket) => {
      socket.use((_event, next) => next(allow ? undefined : new Error("not yet")));
      socket.on("error", () => {});
      socket.on("order", (ack: () => void) => {
        runs++;
        ack();
      });
    });
    const client = await s.joined();
    emitOnce(client, 1, "order");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acks(client)).toEqual([]);
    allow = true;
    emitOnce(client, 1, "order");
    await client.waitFor(ackOf(1));
    expect(runs).toBe(1);
  });

  describe("handlers that fail or never answer", () => {
    it("forgets the id of a handler that throws, reports the error, and keeps later emits coming", async () => {
      const logger = memoryLogger();
      const s = await start({ logger, handledEmits: { maxIds: 2 } });
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("order", (_n: number, _ack: () => void) => {
          runs++;
          throw new Error("out of stock");
        }),
      );
      const client = await s.joined();
      for (const id of [1, 2, 3]) emitOnce(client, id, "order", id);
      await waitUntil(() => runs === 3);
      // a resend runs it again: its first run never answered
      emitOnce(client, 1, "order", 1);
      await waitUntil(() => runs === 4);
      await sleep(20);
      expect(errors(client)).toEqual([]);
      expect(acks(client)).toEqual([]);
      expect(s.io.metrics.refusedEmits).toBe(0);
      expect(s.io.metrics.handlerErrors).toBe(4);
      expect(logger.errors).toEqual([expect.objectContaining({ message: "out of stock" }), expect.anything(), expect.anything(), expect.anything()]);
    });

    it("does not acknowledge a handler without an ack that throws: its resend runs it again", async () => {
      const s = await start();
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("note", (_text: string) => {
          if (++runs === 1) throw new Error("not now");
        }),
      );
      const client = await s.joined();
      emitOnce(client, 1, "note", "a");
      await waitUntil(() => runs === 1);
      await sleep(20);
      expect(acks(client, 1)).toEqual([]);
      emitOnce(client, 1, "note", "a");
      await client.waitFor(ackOf(1));
      expect(runs).toBe(2);
      expect(s.io.metrics.handlerErrors).toBe(1);
    });

    it("forgets the id of an async handler that rejects, reports it as a handler error, and leaves no unhandled rejection", async () => {
      const logger = memoryLogger();
      const s = await start({ logger, handledEmits: { maxIds: 2 } });
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("order", async (_n: number, _ack: () => void) => {
          runs++;
          await Promise.resolve();
          throw new Error("payment refused");
        }),
      );
      const client = await s.joined();
      const unhandled = await unhandledRejectionsDuring(async () => {
        for (const [n, id] of [1, 2, 3, 1].entries()) {
          emitOnce(client, id, "order", id);
          await waitUntil(() => s.io.metrics.handlerErrors === n + 1 || errors(client).length > 0);
        }
      });
      expect(runs).toBe(4);
      expect(unhandled).toEqual([]);
      expect(errors(client)).toEqual([]);
      expect(s.io.metrics.refusedEmits).toBe(0);
      expect(logger.errors[0]).toMatchObject({ message: "payment refused" });
    });

    it("keeps the answer of a handler that answered before it rejected", async () => {
      const s = await start();
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("order", async (ack: (n: number) => void) => {
          ack(++runs);
          await Promise.resolve();
          throw new Error("after the answer");
        }),
      );
      const client = await s.joined();
      emitOnce(client, 1, "order");
      await client.waitFor(ackOf(1));
      await waitUntil(() => s.io.metrics.handlerErrors === 1);
      emitOnce(client, 1, "order");
      await waitUntil(() => acks(client, 1).length === 2);
      expect(acks(client, 1)).toEqual([[1], [1]]);
      expect(runs).toBe(1);
    });

    it("reports a catch-all listener whose promise rejects instead of leaving an unhandled rejection", async () => {
      const s = await start();
      s.io.on("connection", (socket) =>
        socket.onAny(async () => {
          await Promise.resolve();
          throw new Error("audit log down");
        }),
      );
      const client = await s.joined();
      const unhandled = await unhandledRejectionsDuring(async () => {
        client.emit("/", "chat", "hi");
        await waitUntil(() => s.io.metrics.handlerErrors === 1);
      });
      expect(unhandled).toEqual([]);
    });

    it("gives up a run that has not answered within maxRunTime: its id is forgotten, reported, and no longer counts against maxIds", async () => {
      const logger = memoryLogger();
      const s = await start({ logger, handledEmits: { maxIds: 1, maxRunTime: 500 } });
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("order", (_ack: () => void) => {
          runs++; // never answers
        }),
      );
      const client = await s.joined();
      emitOnce(client, 1, "order");
      await waitUntil(() => runs === 1);
      emitOnce(client, 1, "order");
      emitOnce(client, 2, "order");
      await client.waitForEvent("error");
      expect(runs).toBe(1);
      expect(errors(client)).toEqual([expect.objectContaining({ code: "ERR_TOO_MANY_PENDING_EMITS", id: 2 })]);
      await sleep(600);
      emitOnce(client, 2, "order");
      await waitUntil(() => runs === 2);
      expect(s.io.metrics.handlerErrors).toBe(1);
      expect(String((logger.errors[0] as Error).message)).toMatch(/emit 1 .*handledEmits\.maxRunTime \(500 ms\)/);
    });
  });

  describe("limits", () => {
    it("refuses an emit while maxIds runs have not answered, with ERR_TOO_MANY_PENDING_EMITS, on that socket only", async () => {
      const s = await start({ handledEmits: { maxIds: 2, maxAge: 60_000, maxReplyBytes: 1024 } });
      const hold = gate();
      s.io.on("connection", (socket) =>
        socket.on("slow", async (ack: () => void) => {
          await hold.wait;
          ack();
        }),
      );
      const client = await s.joined();
      const other = await s.joined();
      emitOnce(client, 1, "slow");
      emitOnce(client, 2, "slow");
      emitOnce(client, 3, "slow");
      await client.waitForEvent("error");
      expect(errors(client)).toEqual([{ code: "ERR_TOO_MANY_PENDING_EMITS", message: expect.any(String), id: 3 }]);
      expect(s.io.metrics.refusedEmits).toBe(1);
      emitOnce(other, 3, "slow");
      hold.open();
      await client.waitFor(ackOf(2));
      await other.waitFor(ackOf(3));
      // answered runs make room again
      emitOnce(client, 3, "slow");
      await client.waitFor(ackOf(3));
      expect(client.closeInfo).toBeUndefined();
    });

    it("sends a reply over maxReplyBytes once, and refuses its resends with ERR_REPLY_TOO_LARGE", async () => {
      const s = await start({ handledEmits: { maxReplyBytes: 16 } });
      let runs = 0;
      s.io.on("connection", (socket) =>
        socket.on("big", (ack: (text: string) => void) => {
          runs++;
          ack("x".repeat(100));
        }),
      );
      const client = await s.joined();
      emitOnce(client, 1, "big");
      await client.waitFor(ackOf(1));
      expect(acks(client, 1)).toEqual([["x".repeat(100)]]);
      emitOnce(client, 1, "big");
      await client.waitForEvent("error");
      expect(errors(client)).toEqual([{ code: "ERR_REPLY_TOO_LARGE", message: expect.any(String), id: 1 }]);
      expect(runs).toBe(1);
      expect(acks(client, 1)).toHaveLength(1);
    });

    it("forgets ids after maxAge", async () => {
      const s = await start({ handledEmits: { maxAge: 100 } });
      let runs = 0;
      s.io.on("connection", (socket) => socket.on("order", (ack: (n: number) => void) => ack(++runs)));
      const client = await s.joined();
      emitOnce(client, 1, "order");
      await client.waitFor(ackOf(1));
      await new Promise((resolve) => setTimeout(resolve, 150));
      emitOnce(client, 1, "order");
      await waitUntil(() => acks(client, 1).length === 2);
      expect(acks(client, 1)).toEqual([[1], [2]]);
    });

    it("checks the handledEmits option like every other", () => {
      expect(() => new Server({ handledEmits: { maxIds: 0 } })).toThrow(/handledEmits\.maxIds/);
      expect(() => new Server({ handledEmits: { maxAge: -1 } })).toThrow(/handledEmits\.maxAge/);
      expect(() => new Server({ handledEmits: { maxReplyBytes: 1.5 } })).toThrow(/handledEmits\.maxReplyBytes/);
      expect(() => new Server({ handledEmits: { maxIdz: 3 } as never })).toThrow(/unknown option "handledEmits\.maxIdz"/);
      const io = new Server({ handledEmits: { maxIds: 4 } });
      expect(io.options.handledEmits).toEqual({ maxIds: 4, maxAge: 300_000, maxRunTime: 60_000, maxReplyBytes: 1024 });
      void io.close();
    });

    it("refuses a maxReplyBytes of 0: a window that keeps no reply could answer no resend", () => {
      expect(() => new Server({ handledEmits: { maxReplyBytes: 0 } })).toThrow(/"handledEmits\.maxReplyBytes" must be an integer number of bytes >= 1/);
    });

    it("refuses a maxRunTime above maxAge, and lowers its default to a smaller maxAge", () => {
      expect(() => new Server({ handledEmits: { maxAge: 1000, maxRunTime: 2000 } })).toThrow(/handledEmits\.maxRunTime.*handledEmits\.maxAge/);
      expect(() => new Server({ handledEmits: { maxRunTime: 0 } })).toThrow(/handledEmits\.maxRunTime/);
      const io = new Server({ handledEmits: { maxAge: 100 } });
      expect(io.options.handledEmits.maxRunTime).toBe(100);
      void io.close();
    });

    it("warns through the logger when maxAge is below the recovery's maxDisconnectionDuration", () => {
      const warnings: string[] = [];
      const logger = { warn: (message: string) => void warnings.push(message), error: () => {} };
      const low = new Server({ logger, handledEmits: { maxAge: 60_000 }, connectionStateRecovery: {} });
      void low.close();
      expect(warnings).toEqual([expect.stringMatching(/handledEmits\.maxAge \(60000 ms\).*maxDisconnectionDuration \(120000 ms\)/)]);
      warnings.length = 0;
      for (const options of [{ connectionStateRecovery: {} }, { handledEmits: { maxAge: 60_000 } }, { handledEmits: { maxAge: 60_000 }, connectionStateRecovery: { maxDisconnectionDuration: 30_000 } }]) {
        void new Server({ logger, ...options }).close();
      }
      expect(warnings).toEqual([]);
    });
  });

  describe("with connection-state recovery", () => {
    function connect(client: RawClient, resume?: { pid: string; position: string }): Promise<Connected> {
      client.send(resume ? { type: PacketType.CONNECT, nsp: "/", resume } : { type: PacketType.CONNECT, nsp: "/" });
      return client.waitFor((p) => p.type === PacketType.CONNECTED && p.nsp === "/") as Promise<Connected>;
    }

    async function drop(client: RawClient): Promise<void> {
      client.ws.terminate();
      await client.closed;
    }

    it("answers a resend after a resume from the session's window", async () => {
      const s = await start({ connectionStateRecovery: {} });
      let runs = 0;
      s.io.on("connection", (socket) => socket.on("order", (ack: (n: number) => void) => ack(++runs)));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "order");
      await first.waitFor(ackOf(1));
      await drop(first);
      await waitUntil(() => s.io.sockets.sockets.size === 0);

      const second = await s.client();
      const resumed = await connect(second, { pid: info.pid!, position: info.position! });
      expect(resumed.info.recovered).toBe(true);
      emitOnce(second, 1, "order");
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([[1]]);
      expect(runs).toBe(1);
    });

    it("sends an answer given after the drop to the socket that resumed the session", async () => {
      const s = await start({ connectionStateRecovery: {} });
      const slow = slowHandler("late");
      s.io.on("connection", (socket) => socket.on("slow", slow.handle));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "slow");
      await waitUntil(() => slow.runs() === 1);
      await drop(first);
      await waitUntil(() => s.io.sockets.sockets.size === 0);

      const second = await s.client();
      await connect(second, { pid: info.pid!, position: info.position! });
      emitOnce(second, 1, "slow");
      await waitUntil(() => s.io.metrics.duplicateEmits === 1);
      slow.open();
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([["late"]]);
      expect(slow.runs()).toBe(1);
    });

    it("keeps an answer given while the client is away in the kept session", async () => {
      const s = await start({ connectionStateRecovery: {} });
      const slow = slowHandler("kept");
      s.io.on("connection", (socket) => socket.on("slow", slow.handle));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "slow");
      await waitUntil(() => slow.runs() === 1);
      await drop(first);
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      slow.open();
      await new Promise((resolve) => setTimeout(resolve, 20));

      const second = await s.client();
      await connect(second, { pid: info.pid!, position: info.position! });
      emitOnce(second, 1, "slow");
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([["kept"]]);
      expect(slow.runs()).toBe(1);
    });

    it("sends an answer given after a failed resume to the fresh session that took over the ids", async () => {
      const s = await start({ connectionStateRecovery: { maxPackets: 1 } });
      const slow = slowHandler("late");
      s.io.on("connection", (socket) => socket.on("slow", slow.handle));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "slow");
      await waitUntil(() => slow.runs() === 1);
      await drop(first);
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      // more than maxPackets while the client is away: the replay cannot be done
      for (let i = 0; i < 3; i++) s.io.emit("news", i);

      const second = await s.client();
      const fresh = await connect(second, { pid: info.pid!, position: info.position! });
      expect(fresh.info.recovered).toBe(false);
      emitOnce(second, 1, "slow");
      await waitUntil(() => s.io.metrics.duplicateEmits === 1);
      slow.open();
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([["late"]]);
      expect(slow.runs()).toBe(1);
    });

    it("keeps that answer in the fresh session's kept session when it dropped too", async () => {
      const s = await start({ connectionStateRecovery: { maxPackets: 1 } });
      const slow = slowHandler("late");
      s.io.on("connection", (socket) => socket.on("slow", slow.handle));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "slow");
      await waitUntil(() => slow.runs() === 1);
      await drop(first);
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      for (let i = 0; i < 3; i++) s.io.emit("news", i);
      const second = await s.client();
      const fresh = await connect(second, { pid: info.pid!, position: info.position! });
      expect(fresh.info.recovered).toBe(false);
      await drop(second);
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      slow.open();
      await sleep(20);

      const third = await s.client();
      const resumed = await connect(third, { pid: fresh.info.pid!, position: fresh.info.position! });
      expect(resumed.info.recovered).toBe(true);
      emitOnce(third, 1, "slow");
      await third.waitFor(ackOf(1));
      expect(acks(third, 1)).toEqual([["late"]]);
      expect(slow.runs()).toBe(1);
    });

    it("takes over a session whose old connection is still open (half-open): recovered, and the run answers to the new socket", async () => {
      const s = await start({ connectionStateRecovery: {} });
      const slow = slowHandler("late");
      const reasons: string[] = [];
      s.io.on("connection", (socket) => {
        socket.on("disconnect", (reason) => reasons.push(reason));
        socket.on("slow", slow.handle);
        if (!socket.recovered) socket.join("room");
      });
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "slow");
      await waitUntil(() => slow.runs() === 1);
      // sent on the old connection, which the client no longer reads
      s.io.to("room").emit("news", 1);

      const second = await s.client();
      const resumed = await connect(second, { pid: info.pid!, position: info.position! });
      expect(resumed.info).toMatchObject({ recovered: true, sid: info.sid, missed: 1 });
      await waitUntil(() => second.packets.some((p) => p.type === PacketType.EVENT_AT));
      expect(second.packets.filter((p) => p.type === PacketType.EVENT_AT).map((p) => (p as { data: unknown[] }).data)).toEqual([["news", 1]]);
      expect(s.io.sockets.recovery!.stats.takenOver).toBe(1);
      expect(reasons).toEqual(["server namespace disconnect"]);
      expect(s.io.sockets.sockets.size).toBe(1);
      expect([...s.io.sockets.sockets.get(info.sid!)!.rooms].sort()).toEqual([info.sid, "room"].sort());
      emitOnce(second, 1, "slow");
      await waitUntil(() => s.io.metrics.duplicateEmits === 1);
      slow.open();
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([["late"]]);
      expect(acks(first, 1)).toEqual([]);
      expect(slow.runs()).toBe(1);
      // the old connection closing later changes nothing
      first.close();
      await first.closed;
      await sleep(20);
      expect([...s.io.sockets.sockets.get(info.sid!)!.rooms].sort()).toEqual([info.sid, "room"].sort());
    });

    it("starts a fresh window with a fresh session", async () => {
      const s = await start({ connectionStateRecovery: {} });
      let runs = 0;
      s.io.on("connection", (socket) => socket.on("order", (ack: (n: number) => void) => ack(++runs)));
      const first = await s.client();
      await connect(first);
      emitOnce(first, 1, "order");
      await first.waitFor(ackOf(1));
      await drop(first);
      const second = await s.client();
      await connect(second);
      emitOnce(second, 1, "order");
      await second.waitFor(ackOf(1));
      expect(acks(second, 1)).toEqual([[2]]);
    });

    it("forgets the window of a socket that left on purpose", async () => {
      const s = await start({ connectionStateRecovery: {} });
      s.io.on("connection", (socket) => socket.on("order", (ack: () => void) => ack()));
      const first = await s.client();
      const { info } = await connect(first);
      emitOnce(first, 1, "order");
      await first.waitFor(ackOf(1));
      first.send({ type: PacketType.DISCONNECT, nsp: "/" });
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      expect((s.io.sockets.recovery!.store as unknown as { sessionCount: number }).sessionCount).toBe(0);
      const second = await s.client();
      const fresh = await connect(second, { pid: info.pid!, position: info.position! });
      expect(fresh.info.recovered).toBe(false);
    });
  });
});

describe("socket.io-client with retries (the Socket.IO dialect sends no ids)", () => {
  let sio: SocketIoTestServer | undefined;
  afterEach(async () => {
    await sio?.close();
    sio = undefined;
  });

  it("keeps Socket.IO's at-least-once: every resend runs the handler", async () => {
    sio = await startSocketIoServer(CLIENT_MODES[1]);
    const attempts: number[] = [];
    sio.io.on("connection", (socket) =>
      socket.on("order", (n: number, ack: (reply: string) => void) => {
        attempts.push(n);
        if (attempts.length > 1) ack(`ok ${n}`); // the first attempt is left unanswered
      }),
    );
    const client = await sio.connected("/", { ackTimeout: 150, retries: 3 });
    expect(await client.emitWithAck("order", 7)).toBe("ok 7");
    expect(attempts).toEqual([7, 7]);
    expect(sio.io.metrics.duplicateEmits).toBe(0);
  });
});

describe("docs/PROTOCOL.md, section 6", () => {
  it("runs its EVENT_ONCE exchange against a real server", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../../docs/PROTOCOL.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## 6. Emits processed once"), doc.indexOf("## Worked example session"));
    const lines = /```session\n([\s\S]*?)```/.exec(section)![1].split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const s = await start();
    let orders = 0;
    s.io.on("connection", (socket) => socket.on("order", (_item: string, ack: (reply: unknown) => void) => ack({ ok: true, n: ++orders })));
    const client = await s.joined();
    let received = 0;
    for (const line of lines) {
      const frame = line.slice(2);
      if (line.startsWith("> ")) {
        client.sendRaw(frame);
      } else {
        await waitUntil(() => client.packets.filter((p) => p.type === PacketType.ACK).length > received);
        const ack = client.packets.filter((p) => p.type === PacketType.ACK)[received++];
        expect(JSON.stringify([6, ack.nsp, (ack as { id: number }).id, ...(ack as { data: unknown[] }).data])).toBe(frame);
      }
    }
    expect(orders).toBe(1);
  });
});
