import { Server, type Socket } from "@roomcast/core";
import { Redis } from "ioredis";
import { io as socketIoClient, type Socket as SocketIoClient } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, sleep, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { redisForTest } from "./support/redis-server.js";

/*
 * socket.io-client 4.8 (its defaults: long-polling then the upgrade; and WebSocket only) and
 * @roomcast/client sockets in one room, spread over roomcast nodes joined by a real Redis.
 */

type Kind = "socket.io-client (default options)" | 'socket.io-client (transports: ["websocket"])' | "@roomcast/client";

/** A member of the room: which client, on which node, and what it received. */
interface Member {
  kind: Kind;
  node: number;
  events: unknown[][];
  count(event: string): number;
  /** Asks its server-side socket to send `event` to the room (the sender left out). */
  relay(event: string, value: unknown): void;
  /** Answers "poll" with `reply`. */
  answerPolls(reply: string): void;
  /** The reason of its first "disconnect", once there was one. */
  disconnectReason(): string | undefined;
  disconnect(): void;
}

const SOCKET_IO_KINDS: { kind: Kind; options: { transports?: ("polling" | "websocket")[] } }[] = [
  { kind: "socket.io-client (default options)", options: {} },
  { kind: 'socket.io-client (transports: ["websocket"])', options: { transports: ["websocket"] } },
];

/** Every socket joins `auth.rooms`; "relay" sends to the room from the socket, leaving it out. */
function serveRelays(io: Server): void {
  io.on("connection", (socket: Socket) => {
    socket.on("relay", (event: string, value: unknown) => socket.to("room").emit(event, value));
  });
}

async function socketIoMember(kind: Kind, options: object, port: number, node: number, rooms: string[]): Promise<Member> {
  const client: SocketIoClient = socketIoClient(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, auth: { rooms }, ...options });
  const events: unknown[][] = [];
  client.onAny((...args: unknown[]) => events.push(args));
  let reason: string | undefined;
  client.on("disconnect", (why) => (reason ??= why));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} could not connect to node ${node}`)), 5000);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    client.once("connect_error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return {
    kind,
    node,
    events,
    count: (event) => events.filter((e) => e[0] === event).length,
    relay: (event, value) => client.emit("relay", event, value),
    answerPolls: (reply) => client.on("poll", (ack: (r: string) => void) => ack(reply)),
    disconnectReason: () => reason,
    disconnect: () => client.disconnect(),
  };
}

async function roomcastMember(port: number, node: number, rooms: string[]): Promise<Member> {
  const recording: RecordingClient = await recordingClient(port, rooms);
  let reason: string | undefined;
  recording.socket.on("disconnect", (why: string) => (reason ??= why));
  return {
    kind: "@roomcast/client",
    node,
    events: recording.events,
    count: recording.count,
    relay: (event, value) => recording.socket.emit("relay", event, value),
    answerPolls: (reply) => recording.socket.on("poll", (ack: (r: string) => void) => ack(reply)),
    disconnectReason: () => reason,
    disconnect: () => recording.socket.disconnect(),
  };
}

/** One member of each kind on each node: six in "room"; plus one outsider per node. */
async function membersOn(nodes: { port: number }[]): Promise<{ members: Member[]; outsiders: Member[] }> {
  const members: Member[] = [];
  const outsiders: Member[] = [];
  for (const [node, { port }] of nodes.entries()) {
    for (const { kind, options } of SOCKET_IO_KINDS) members.push(await socketIoMember(kind, options, port, node, ["room"]));
    members.push(await roomcastMember(port, node, ["room"]));
    outsiders.push(await socketIoMember(SOCKET_IO_KINDS[0].kind, {}, port, node, ["elsewhere"]));
  }
  return { members, outsiders };
}

/* Members of the running test, disconnected before their nodes stop. */
let connected: Member[] = [];

function disconnectAll(): void {
  for (const member of connected) member.disconnect();
  connected = [];
}

describe("a room of socket.io-clients and @roomcast/client sockets on one roomcast node", () => {
  let io: Server | undefined;
  afterEach(async () => {
    disconnectAll();
    await io?.close();
    io = undefined;
  });

  it("gives each member one copy of every broadcast, from the server or from either kind of client", async () => {
    io = new Server(0, { socketio: true, logger: quietLogger });
    io.on("connection", (socket) => socket.join((socket.handshake.auth as { rooms: string[] }).rooms));
    serveRelays(io);
    const http = io.httpServer!;
    if (!http.listening) await new Promise((resolve) => http.once("listening", resolve));
    const port = (http.address() as { port: number }).port;
    const { members, outsiders } = await membersOn([{ port }]);
    connected = [...members, ...outsiders];
    io.to("room").emit("from-server", 0);
    members.forEach((member, i) => member.relay(`from-${i}`, i));
    await waitFor(() => members.every((m) => m.events.length === members.length), "every delivery");
    await sleep(150);
    for (const [i, member] of members.entries()) {
      expect(member.count("from-server"), member.kind).toBe(1);
      for (const [j] of members.entries()) expect(member.count(`from-${j}`), `${member.kind} from member ${j}`).toBe(i === j ? 0 : 1);
      expect(member.events, member.kind).toHaveLength(members.length);
    }
    expect(outsiders[0].events).toEqual([]);
  });
});

describe("a room of socket.io-clients and @roomcast/client sockets over two roomcast nodes and Redis", () => {
  let redis: Awaited<ReturnType<typeof redisForTest>>;
  let nodes: RedisNode[] = [];

  beforeAll(async () => {
    redis = await redisForTest(false);
  });

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(async () => {
    disconnectAll();
    await Promise.allSettled(nodes.map(stopNode));
    nodes = [];
  });

  async function startCluster(prefix: string): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const pub = new Redis(redis.url, { maxRetriesPerRequest: 3 });
      const sub = pub.duplicate();
      const node = await startNode(createAdapter(pub, sub, { prefix, logger: quietLogger }), [pub, sub], { socketio: true });
      serveRelays(node.io);
      nodes.push(node);
    }
    for (const node of nodes) await waitFor(async () => (await node.adapter().serverCount()) === 2, "both nodes to see each other");
  }

  /** Waits until both nodes subscribed to the room's channel. */
  async function roomSubscribed(prefix: string): Promise<void> {
    const probe = new Redis(redis.url);
    try {
      await waitFor(async () => {
        const [, count] = (await probe.pubsub("NUMSUB", `${prefix}#/#room#`)) as [string, number];
        return Number(count) === 2;
      }, "both nodes to subscribe to the room");
    } finally {
      probe.disconnect();
    }
  }

  it("delivers broadcasts from either node, and from any member's socket.to(room), to every member exactly once", async () => {
    const prefix = `sio${Date.now()}a`;
    await startCluster(prefix);
    const { members, outsiders } = await membersOn(nodes);
    connected = [...members, ...outsiders];
    await roomSubscribed(prefix);

    nodes[0].io.to("room").emit("from-node-0", { n: 0 });
    nodes[1].io.to("room").emit("from-node-1", { n: 1 });
    // each member sends once through its own socket: every other member, on either node, gets it
    members.forEach((member, i) => member.relay(`from-${i}`, i));
    const expectedEach = 2 + members.length - 1;
    await waitFor(() => members.every((m) => m.events.length >= expectedEach), "every delivery", 8000);
    // duplicates would arrive after the expected deliveries
    await sleep(300);
    for (const [i, member] of members.entries()) {
      const label = `${member.kind} on node ${member.node}`;
      expect(member.count("from-node-0"), label).toBe(1);
      expect(member.count("from-node-1"), label).toBe(1);
      for (const [j] of members.entries()) expect(member.count(`from-${j}`), `${label}, from member ${j}`).toBe(i === j ? 0 : 1);
      expect(member.events, label).toHaveLength(expectedEach);
    }
    for (const outsider of outsiders) expect(outsider.events).toEqual([]);
  });

  it("collects one broadcast-ack reply per member across both nodes", async () => {
    const prefix = `sio${Date.now()}b`;
    await startCluster(prefix);
    const { members, outsiders } = await membersOn(nodes);
    connected = [...members, ...outsiders];
    await roomSubscribed(prefix);
    members.forEach((member, i) => member.answerPolls(`${member.kind}@${member.node}#${i}`));
    const expected = members.map((member, i) => `${member.kind}@${member.node}#${i}`).sort();

    for (const node of nodes) {
      const replies = await node.io.to("room").timeout(5000).emitWithAck("poll");
      expect([...replies].sort()).toEqual(expected);
    }
    const [err, replies] = await new Promise<[Error | null, unknown[]]>((resolve) =>
      nodes[1].io.to("room").timeout(5000).emit("poll", (e: Error | null, r: unknown[]) => resolve([e, r])),
    );
    expect(err).toBeNull();
    expect([...replies].sort()).toEqual(expected);
    await sleep(100);
    for (const member of members) expect(member.count("poll")).toBe(3);
  });

  it("fetches and disconnects the room's sockets of both kinds on both nodes", async () => {
    const prefix = `sio${Date.now()}c`;
    await startCluster(prefix);
    const { members, outsiders } = await membersOn(nodes);
    connected = [...members, ...outsiders];
    await roomSubscribed(prefix);
    const found = await nodes[1].io.in("room").fetchSockets();
    expect(found).toHaveLength(members.length);
    expect(found.every((socket) => socket.rooms.has("room"))).toBe(true);
    nodes[0].io.in("room").disconnectSockets();
    await waitFor(() => members.every((m) => m.disconnectReason() !== undefined), "every member to be disconnected");
    expect(members.map((m) => m.disconnectReason())).toEqual(members.map(() => "io server disconnect"));
    expect(outsiders.map((o) => o.disconnectReason())).toEqual([undefined, undefined]);
    expect(await nodes[0].io.in("room").fetchSockets()).toEqual([]);
  });
});
