import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, PacketType, type Packet } from "@roomcast/protocol";
import { AckTimeoutError, type Socket } from "../src/index.js";
import type { RawClient } from "./support/raw-client.js";
import { once, startServer, waitUntil, type TestServer } from "./support/server.js";

type EventWithId = Packet & { type: 4; id: number; data: unknown[] };

function eventWithAck(client: RawClient, event: string, nsp = "/"): Promise<EventWithId> {
  return client.waitFor((p) => p.type === PacketType.EVENT && p.nsp === nsp && p.data[0] === event && p.id !== undefined) as Promise<EventWithId>;
}

/** Makes `client` answer every `event` that asks for an ack with `reply`. */
function autoReply(client: RawClient, event: string, reply: (args: unknown[]) => unknown[]): void {
  client.ws.on("message", (data) => {
    const wire = JSON.parse(data.toString()) as unknown[];
    if (wire[0] === 5 && wire[3] === event) client.ack(wire[1] as string, wire[2] as number, ...reply(wire.slice(4)));
  });
}

async function joinedPair(server: TestServer): Promise<{ client: RawClient; socket: Socket }> {
  const connection = once<Socket>(server.io, "connection");
  const client = await server.joined("/");
  return { client, socket: await connection };
}

describe("Acks: server to client", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("socket.emit(ev, ..., cb) calls cb with the client's reply", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    const reply = new Promise((resolve) => socket.emit("question", 41, (answer: number) => resolve(answer)));
    const packet = await eventWithAck(client, "question");
    expect(packet.data).toEqual(["question", 41]);
    client.ack("/", packet.id, 42);
    expect(await reply).toBe(42);
    expect(socket.pendingAcks).toBe(0);
  });

  it("socket.timeout(ms).emit calls back with ERR_ACK_TIMEOUT when the client is silent", async () => {
    server = await startServer();
    const { socket } = await joinedPair(server);
    const [err] = await new Promise<unknown[]>((resolve) => socket.timeout(50).emit("silent", (...args: unknown[]) => resolve(args)));
    expect(err).toBeInstanceOf(AckTimeoutError);
    expect((err as AckTimeoutError).code).toBe(ErrorCode.ACK_TIMEOUT);
    expect(socket.pendingAcks).toBe(0);
    expect(server.io.metrics.ackTimeouts).toBe(1);
  });

  it("socket.timeout(ms).emit gets (null, reply) in time; a late or duplicate ack is ignored", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    const result = new Promise<unknown[]>((resolve) => socket.timeout(2000).emit("q", (...args: unknown[]) => resolve(args)));
    const packet = await eventWithAck(client, "q");
    client.ack("/", packet.id, "yes");
    client.ack("/", packet.id, "again");
    client.ack("/", 999_999, "made up");
    expect(await result).toEqual([null, "yes"]);
  });

  it("emitWithAck resolves with the reply and rejects on timeout", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    autoReply(client, "double", (args) => [(args[0] as number) * 2]);
    expect(await socket.emitWithAck("double", 21)).toBe(42);
    await expect(socket.timeout(50).emitWithAck("never")).rejects.toMatchObject({ code: ErrorCode.ACK_TIMEOUT });
  });

  it("pending acks are cancelled on disconnect: error-first callbacks get ERR_ACK_CANCELLED", async () => {
    server = await startServer();
    const { client, socket } = await joinedPair(server);
    const plain: unknown[] = [];
    socket.emit("a", (r: unknown) => plain.push(r));
    const timed = new Promise<unknown[]>((resolve) => socket.timeout(10_000).emit("b", (...args: unknown[]) => resolve(args)));
    const awaited = socket.emitWithAck("c");
    expect(socket.pendingAcks).toBe(3);
    client.close();
    const [err] = await timed;
    expect((err as { code: string }).code).toBe(ErrorCode.ACK_CANCELLED);
    await expect(awaited).rejects.toMatchObject({ code: ErrorCode.ACK_CANCELLED });
    expect(plain).toEqual([]);
    expect(socket.pendingAcks).toBe(0);
  });

  it("bounds pending acks per socket with maxPendingAcks", async () => {
    server = await startServer({ maxPendingAcks: 2 });
    const { socket } = await joinedPair(server);
    socket.emit("a", () => {});
    socket.timeout(5000).emit("b", () => {});
    expect(() => socket.emit("c", () => {})).toThrow(expect.objectContaining({ code: ErrorCode.TOO_MANY_PENDING_ACKS }));
    const [err] = await new Promise<unknown[]>((resolve) => socket.timeout(5000).emit("d", (...args: unknown[]) => resolve(args)));
    expect((err as { code: string }).code).toBe(ErrorCode.TOO_MANY_PENDING_ACKS);
    await expect(socket.emitWithAck("e")).rejects.toMatchObject({ code: ErrorCode.TOO_MANY_PENDING_ACKS });
    expect(socket.pendingAcks).toBe(2);
  });
});

describe("Acks: client to server", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("the handler gets a callback as last argument; calling it sends ACK once", async () => {
    server = await startServer();
    server.io.on("connection", (socket) => {
      socket.on("add", (a: number, b: number, ack: (sum: number) => void) => {
        ack(a + b);
        ack(0);
      });
    });
    const client = await server.joined("/");
    client.emitWithId("/", 7, "add", 2, 3);
    const packet = await client.waitFor((p) => p.type === PacketType.ACK);
    expect(packet).toEqual({ type: PacketType.ACK, nsp: "/", id: 7, data: [5] });
    client.emitWithId("/", 8, "add", 1, 1);
    await client.waitFor((p) => p.type === PacketType.ACK && p.id === 8);
    expect(client.packets.filter((p) => p.type === PacketType.ACK)).toHaveLength(2);
  });
});

describe("Acks: broadcasts", () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it("io.to(room).timeout(ms).emit aggregates every member's reply", async () => {
    server = await startServer();
    const members: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const { client, socket } = await joinedPair(server);
      socket.join("jury");
      autoReply(client, "vote", () => [`yes-${i}`]);
      members.push(client);
    }
    await joinedPair(server); // not in the room
    const [err, responses] = await new Promise<unknown[]>((resolve) =>
      server.io.to("jury").timeout(2000).emit("vote", (...args: unknown[]) => resolve(args)),
    );
    expect(err).toBeNull();
    expect((responses as string[]).sort()).toEqual(["yes-0", "yes-1", "yes-2"]);
    const again = await server.io.to("jury").timeout(2000).emitWithAck("vote");
    expect((again as string[]).sort()).toEqual(["yes-0", "yes-1", "yes-2"]);
  });

  it("resolves at once with [] when nobody is targeted", async () => {
    server = await startServer();
    expect(await server.io.to("empty").timeout(5000).emitWithAck("x")).toEqual([]);
  });

  it("times out with ERR_ACK_TIMEOUT carrying the partial responses when a member never replies", async () => {
    server = await startServer();
    const a = await joinedPair(server);
    const b = await joinedPair(server);
    a.socket.join("r");
    b.socket.join("r");
    autoReply(a.client, "poll", () => ["from-a"]);
    const error = await server.io.to("r").timeout(100).emitWithAck("poll").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AckTimeoutError);
    expect((error as AckTimeoutError).code).toBe(ErrorCode.ACK_TIMEOUT);
    expect((error as AckTimeoutError).responses).toEqual(["from-a"]);
    // The silent member's pending entry expired with the broadcast timeout.
    await waitUntil(() => b.socket.pendingAcks === 0);
  });

  it("socket.broadcast.timeout(ms).emitWithAck leaves out the sender", async () => {
    server = await startServer();
    const a = await joinedPair(server);
    const b = await joinedPair(server);
    autoReply(a.client, "who", () => ["a"]);
    autoReply(b.client, "who", () => ["b"]);
    expect(await a.socket.broadcast.timeout(2000).emitWithAck("who")).toEqual(["b"]);
  });

  it("a broadcast with a callback but no timeout does not throw; it waits 0 ms, as in Socket.IO (test/socketio-parity)", async () => {
    server = await startServer();
    const answer = await new Promise((resolve) => server.io.emit("x", ((err: Error | null, replies: unknown[]) => resolve([err, replies])) as never));
    expect(answer).toEqual([null, []]);
    await expect(server.io.emitWithAck("x")).resolves.toEqual([]);
  });
});
