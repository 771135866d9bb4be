import { afterEach, describe, expect, it } from "vitest";
import { AckTimeoutError, type Socket } from "../../../src/index.js";
import { CLIENT_MODES, nextEvent, startSocketIoServer, type SocketIoTestServer } from "../../support/socketio-client.js";

describe.each(CLIENT_MODES)("socket.io-client acks, $name", (mode) => {
  let server: SocketIoTestServer;
  afterEach(async () => {
    await server?.close();
  });

  describe("client to server", () => {
    it("calls the client's callback with the server's reply", async () => {
      server = await startSocketIoServer(mode);
      server.io.on("connection", (socket) => {
        socket.on("add", (a: number, b: number, ack: (sum: number, note: string) => void) => ack(a + b, "ok"));
      });
      const client = await server.connected();
      const reply = await new Promise<unknown[]>((resolve) => client.emit("add", 2, 3, (...args: unknown[]) => resolve(args)));
      expect(reply).toEqual([5, "ok"]);
    });

    it("resolves emitWithAck, and rejects it after the client's timeout when the server never answers", async () => {
      server = await startSocketIoServer(mode);
      server.io.on("connection", (socket) => {
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack({ echoed: value }));
        socket.on("silent", () => {});
      });
      const client = await server.connected();
      expect(await client.emitWithAck("echo", [1, "two", { three: 3 }])).toEqual({ echoed: [1, "two", { three: 3 }] });
      await expect(client.timeout(150).emitWithAck("silent")).rejects.toThrow("operation has timed out");
    });

    it("answers each of many concurrent acks with its own reply", async () => {
      server = await startSocketIoServer(mode);
      server.io.on("connection", (socket) => {
        socket.on("double", (n: number, ack: (v: number) => void) => setTimeout(() => ack(n * 2), 50 - n));
      });
      const client = await server.connected();
      const replies = await Promise.all(Array.from({ length: 40 }, (_, n) => client.emitWithAck("double", n)));
      expect(replies).toEqual(Array.from({ length: 40 }, (_, n) => n * 2));
    });
  });

  describe("server to client", () => {
    it("resolves socket.timeout().emitWithAck with the client's reply", async () => {
      server = await startSocketIoServer(mode);
      const connected = nextEvent<[Socket]>(server.io, "connection");
      const client = await server.connected();
      client.on("question", (q: string, ack: (answer: string) => void) => ack(`${q}? yes`));
      const [socket] = await connected;
      await expect(socket.timeout(1000).emitWithAck("question", "ready")).resolves.toBe("ready? yes");
    });

    it("calls a timeout(ms) callback with (null, reply), and with an error when the client does not answer", async () => {
      server = await startSocketIoServer(mode);
      const connected = nextEvent<[Socket]>(server.io, "connection");
      const client = await server.connected();
      client.on("ping-me", (ack: (v: string) => void) => ack("pong"));
      client.on("ignore-me", () => {});
      const [socket] = await connected;
      const answered = await new Promise<unknown[]>((resolve) => socket.timeout(1000).emit("ping-me", (...args: unknown[]) => resolve(args)));
      expect(answered).toEqual([null, "pong"]);
      const started = Date.now();
      const [err] = await new Promise<unknown[]>((resolve) => socket.timeout(120).emit("ignore-me", (...args: unknown[]) => resolve(args)));
      expect(err).toBeInstanceOf(Error);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    });

    it("rejects emitWithAck when the client disconnects before answering", async () => {
      server = await startSocketIoServer(mode);
      const connected = nextEvent<[Socket]>(server.io, "connection");
      const client = await server.connected();
      client.on("later", () => setTimeout(() => client.disconnect(), 20));
      const [socket] = await connected;
      await expect(socket.timeout(3000).emitWithAck("later")).rejects.toThrow();
    });
  });

  describe("broadcast acks", () => {
    async function room(count: number, reply: (index: number) => unknown): Promise<void> {
      server.io.on("connection", (socket) => {
        socket.join("jury");
      });
      for (let i = 0; i < count; i++) {
        const client = await server.connected();
        client.on("vote", (_topic: string, ack: (v: unknown) => void) => ack(reply(i)));
      }
    }

    it("collects one reply per member with timeout(ms).emit(ev, (err, replies) => …)", async () => {
      server = await startSocketIoServer(mode);
      await room(3, (i) => `juror-${i}`);
      const [err, replies] = await new Promise<[Error | null, unknown[]]>((resolve) =>
        server.io.to("jury").timeout(2000).emit("vote", "pizza", (e: Error | null, r: unknown[]) => resolve([e, r])),
      );
      expect(err).toBeNull();
      expect([...replies].sort()).toEqual(["juror-0", "juror-1", "juror-2"]);
    });

    it("resolves emitWithAck with every reply, and rejects with the replies that came when one member is silent", async () => {
      server = await startSocketIoServer(mode);
      await room(2, (i) => ({ i }));
      const replies = await server.io.to("jury").timeout(2000).emitWithAck("vote", "tea");
      expect(replies).toHaveLength(2);
      expect(replies).toEqual(expect.arrayContaining([{ i: 0 }, { i: 1 }]));

      // joins "jury" like the others, and never answers
      const silent = await server.connected();
      silent.on("vote", () => {});
      const err = await server.io.to("jury").timeout(200).emitWithAck("vote", "coffee").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AckTimeoutError);
      expect((err as AckTimeoutError).responses).toHaveLength(2);
    });

    it("calls back with an error when the broadcast has no timeout(), as Socket.IO 4.8 does", async () => {
      server = await startSocketIoServer(mode);
      server.io.on("connection", (socket) => {
        socket.join("jury");
      });
      const client = await server.connected();
      // Without timeout() the wait is 0 ms: a reply that comes back within the same millisecond
      // (possible between two sockets of one process) would still count, so this one takes longer.
      client.on("vote", (_topic: string, ack: (v: string) => void) => setTimeout(() => ack("late"), 30));
      const [err, replies] = await new Promise<unknown[]>((resolve) => server.io.to("jury").emit("vote", "x", (...args: unknown[]) => resolve(args)));
      expect(err).toBeInstanceOf(AckTimeoutError);
      expect(replies).toEqual([]);
      await expect(server.io.to("jury").emitWithAck("vote", "y")).rejects.toBeInstanceOf(AckTimeoutError);
    });

    it("leaves the sender out of socket.broadcast acks", async () => {
      server = await startSocketIoServer(mode);
      server.io.on("connection", (socket) => {
        socket.on("poll-others", async (ack: (r: unknown) => void) => ack(await socket.broadcast.timeout(2000).emitWithAck("vote", "?")));
      });
      const clients = [await server.connected(), await server.connected(), await server.connected()];
      clients.forEach((client, i) => client.on("vote", (_topic: string, ack: (v: number) => void) => ack(i)));
      const replies = (await clients[1].emitWithAck("poll-others")) as number[];
      expect([...replies].sort()).toEqual([0, 2]);
    });
  });
});
