import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { msgpackCodec } from "@roomcast/protocol/msgpack";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

describe("Socket emit", () => {
  let server: TestServer;
  const clients = new ClientPool();

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  describe("buffering", () => {
    it("buffers emits made before connect and sends them in order", async () => {
      const received: number[] = [];
      server.io.on("connection", (s: any) => s.on("n", (i: number) => received.push(i)));
      const socket = clients.connect(server.url);
      socket.emit("n", 1).emit("n", 2).emit("n", 3);
      await waitFor(() => received.length === 3);
      expect(received).toEqual([1, 2, 3]);
    });

    it("drops volatile emits while disconnected and counts them", async () => {
      const received: string[] = [];
      server.io.on("connection", (s: any) => s.on("v", (x: string) => received.push(x)));
      const socket = clients.connect(server.url);
      socket.volatile.emit("v", "dropped");
      expect(socket.sendBuffer).toHaveLength(0);
      expect(socket.droppedPackets).toBe(1);
      await once(socket, "connect");
      socket.volatile.emit("v", "sent");
      await waitFor(() => received.length === 1);
      expect(received).toEqual(["sent"]);
    });

    it("bounds the send buffer: drops the oldest and counts them", async () => {
      const socket = clients.connect(server.url, { autoConnect: false, maxBufferedPackets: 3 });
      for (let i = 0; i < 5; i++) socket.emit("n", i);
      expect(socket.sendBuffer.map((p) => p.data[1])).toEqual([2, 3, 4]);
      expect(socket.droppedPackets).toBe(2);
    });
  });

  describe("acks", () => {
    it("delivers the server's reply to the callback and through emitWithAck", async () => {
      server.io.on("connection", (s: any) => s.on("double", (x: number, ack: (y: number) => void) => ack(x * 2)));
      const socket = clients.connect(server.url);
      const [viaCallback] = await new Promise<[number]>((resolve) => socket.emit("double", 2, (...args: [number]) => resolve(args)));
      expect(viaCallback).toBe(4);
      expect(await socket.emitWithAck("double", 5)).toBe(10);
      expect(await socket.timeout(2000).emitWithAck("double", 6)).toBe(12);
    });

    it("timeout(ms) gives the callback an error when no ack comes", async () => {
      server.io.on("connection", (s: any) => s.on("ignore", () => {}));
      const socket = clients.connect(server.url);
      await once(socket, "connect");
      const err = await new Promise<Error | null>((resolve) => socket.timeout(100).emit("ignore", (e: Error | null) => resolve(e)));
      expect(err?.message).toBe("operation has timed out");
      await expect(socket.timeout(100).emitWithAck("ignore")).rejects.toThrow("operation has timed out");
    });

    it("resends an unacknowledged emit with the same id; the server runs its handler once (exactly once)", async () => {
      const attempts: number[] = [];
      server.io.on("connection", (s: any) =>
        s.on("order", (id: number, ack: (r: string) => void) => {
          attempts.push(id);
          setTimeout(() => ack(`ok ${id}`), 350); // answers after the first two sends timed out
        }),
      );
      const sent: unknown[] = [];
      const socket = clients.connect(server.url, { ackTimeout: 150, retries: 3 });
      await once(socket, "connect");
      const send = socket.io._packet.bind(socket.io);
      socket.io._packet = (packet) => {
        sent.push(packet);
        send(packet);
      };
      expect(await socket.emitWithAck("order", 7)).toBe("ok 7");
      expect(attempts).toEqual([7]);
      // three sends of one emit, each EVENT_ONCE with the id of the first
      expect(sent.length).toBeGreaterThanOrEqual(3);
      expect(new Set(sent.map((p) => JSON.stringify(p)))).toEqual(new Set([JSON.stringify({ type: 4, nsp: "/", data: ["order", 7], id: 0, once: true })]));
      expect(server.io.metrics.duplicateEmits).toBe(sent.length - 1);
    });

    it("gives up after `retries` resends; the handler that never answers ran once", async () => {
      let seen = 0;
      server.io.on("connection", (s: any) => s.on("never", (_ack: () => void) => seen++));
      const socket = clients.connect(server.url, { ackTimeout: 100, retries: 2 });
      await expect(socket.emitWithAck("never")).rejects.toThrow("operation has timed out");
      expect(seen).toBe(1);
      expect(server.io.metrics.duplicateEmits).toBe(2);
    });

    it("gets an empty ack at once from a handler that takes no ack", async () => {
      const seen: string[] = [];
      server.io.on("connection", (s: any) => s.on("note", (text: string) => seen.push(text)));
      const socket = clients.connect(server.url, { ackTimeout: 1000, retries: 2 });
      await socket.emitWithAck("note", "hi");
      expect(seen).toEqual(["hi"]);
      // answered by the first send: nothing was resent
      expect(server.io.metrics.duplicateEmits).toBe(0);
    });

    it("sends volatile emits and emits without retries as before (no id to deduplicate)", async () => {
      let runs = 0;
      server.io.on("connection", (s: any) => s.on("n", () => runs++));
      const plain = clients.connect(server.url);
      const retrying = clients.connect(server.url, { ackTimeout: 1000, retries: 2 });
      await Promise.all([once(plain, "connect"), once(retrying, "connect")]);
      const sent: unknown[] = [];
      for (const socket of [plain, retrying]) {
        const send = socket.io._packet.bind(socket.io);
        socket.io._packet = (packet) => {
          sent.push(packet);
          send(packet);
        };
      }
      plain.emit("n", 1);
      retrying.volatile.emit("n", 2);
      await waitFor(() => runs === 2);
      expect(sent).toEqual([
        { type: 4, nsp: "/", data: ["n", 1] },
        { type: 4, nsp: "/", data: ["n", 2] },
      ]);
    });

    it("answers server emits that wait for an ack", async () => {
      const reply = new Promise<unknown>((resolve) =>
        server.io.on("connection", (s: any) => s.emit("question", "life?", (answer: unknown) => resolve(answer))),
      );
      const socket = clients.connect(server.url);
      socket.on("question", (_q: string, ack: (n: number) => void) => ack(42));
      expect(await reply).toBe(42);
    });
  });

  describe("binary", () => {
    for (const [name, codec] of [
      ["json", undefined],
      ["msgpack", msgpackCodec],
    ] as const) {
      it(`round-trips Uint8Array and ArrayBuffer with the ${name} codec`, async () => {
        server.io.on("connection", (s: any) => s.on("echo", (...args: unknown[]) => (args.pop() as (...a: unknown[]) => void)(...args)));
        const socket = clients.connect(server.url, codec ? { codec } : {});
        await once(socket, "connect");
        expect(socket.io.codec.name).toBe(name);
        const buffer = new Uint8Array([9, 8, 7]).buffer;
        const reply = await new Promise<unknown[]>((resolve) =>
          socket.emit("echo", new Uint8Array([1, 2, 3]), { nested: buffer }, (...args: unknown[]) => resolve(args)),
        );
        expect(reply[0]).toBeInstanceOf(Uint8Array);
        expect([...(reply[0] as Uint8Array)]).toEqual([1, 2, 3]);
        const nested = (reply[1] as { nested: Uint8Array }).nested;
        expect(nested).toBeInstanceOf(Uint8Array);
        expect([...nested]).toEqual([9, 8, 7]);
      });
    }
  });

  describe("catch-all listeners", () => {
    it("onAny, prependAny, offAny and listenersAny see incoming events", async () => {
      server.io.on("connection", (s: any) => s.on("go", () => s.emit("hello", 1, "two")));
      const socket = clients.connect(server.url);
      const calls: string[] = [];
      const first = (ev: string, ...args: unknown[]) => calls.push(`first ${ev} ${JSON.stringify(args)}`);
      const removed = () => calls.push("removed");
      socket.onAny(removed);
      socket.onAny((ev: string) => calls.push(`second ${ev}`));
      socket.prependAny(first);
      socket.offAny(removed);
      expect(socket.listenersAny()).toHaveLength(2);
      expect(socket.listenersAny()[0]).toBe(first);
      const hello = once(socket, "hello");
      socket.emit("go");
      await hello;
      expect(calls).toEqual(['first hello [1,"two"]', "second hello"]);
      socket.offAny();
      expect(socket.listenersAny()).toHaveLength(0);
    });

    it("onAnyOutgoing, prependAnyOutgoing and offAnyOutgoing see sent events, buffered ones when flushed", async () => {
      const socket = clients.connect(server.url);
      const calls: string[] = [];
      const second = (ev: string) => calls.push(`second ${ev}`);
      socket.onAnyOutgoing(second);
      socket.prependAnyOutgoing((ev: string, ...args: unknown[]) => calls.push(`first ${ev} ${JSON.stringify(args)}`));
      socket.emit("buffered", 1);
      expect(calls).toEqual([]);
      await once(socket, "connect");
      expect(calls).toEqual(["first buffered [1]", "second buffered"]);
      socket.offAnyOutgoing(second);
      socket.emit("live");
      expect(calls.slice(2)).toEqual(["first live []"]);
      expect(socket.listenersAnyOutgoing()).toHaveLength(1);
      socket.offAnyOutgoing();
      expect(socket.listenersAnyOutgoing()).toHaveLength(0);
    });
  });

  it("refuses reserved event names", () => {
    const socket = clients.connect(server.url, { autoConnect: false });
    expect(() => socket.emit("disconnect")).toThrow(/reserved/);
  });
});
