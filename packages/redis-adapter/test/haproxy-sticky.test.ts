import { Agent, createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as roomcastClient, type Socket as RoomcastClient } from "@roomcast/client";
import { type ClusterAdapter, Server, type Socket } from "@roomcast/core";
import { Redis } from "ioredis";
import { io as socketIoClient, type Socket as SocketIoClient } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { backendSection, haproxyBlocks } from "./support/deployment-doc.js";
import { Haproxy, requireHaproxy } from "./support/haproxy.js";
import { quietLogger, sleep, waitFor } from "./support/redis-nodes.js";
import { freePort, redisForTest } from "./support/redis-server.js";

/*
 * docs/DEPLOYMENT.md, "Socket.IO clients: long-polling needs sticky sessions", run as written:
 * HAProxy with the page's own configuration blocks (only addresses replaced) in front of three
 * roomcast nodes that share a Redis. socket.io-clients keep their default transports (long-polling,
 * then the upgrade) and reach `/socket.io/`; @roomcast/client sockets reach `/roomcast`.
 */

const SECTION = "Socket.IO clients: long-polling needs sticky sessions";
const SOCKET_IO_CLIENTS = 10;
const ROOMCAST_CLIENTS = 3;
const PREFIX = `sticky${Date.now()}`;

/* ---- the configurations, from the page ---- */

interface DocConfigs {
  /** Frontend routing by path; `/socket.io/` sticky by client address, `/roomcast` round-robin. */
  source: string;
  /** The same with the cookie backend for `/socket.io/`. */
  cookie: string;
  /** The same with `/socket.io/` round-robin: what the page says breaks. */
  roundRobin: string;
}

function docConfigs(): DocConfigs {
  const blocks = haproxyBlocks(SECTION);
  const source = blocks.find((block) => block.includes("frontend "));
  const cookieBackend = blocks.find((block) => block.includes("cookie SERVERID"));
  if (source === undefined || cookieBackend === undefined) throw new Error(`docs/DEPLOYMENT.md, "${SECTION}": expected a full configuration and a cookie backend`);
  const sticky = backendSection(source, "socketio");
  expect(source).toContain("use_backend socketio if { path_beg /socket.io/ }");
  expect(source).toContain("default_backend roomcast");
  expect(sticky).toMatch(/^\s+balance source$/m);
  expect(sticky).toMatch(/^\s+hash-type consistent$/m);
  expect(backendSection(source, "roomcast")).toMatch(/^\s+balance roundrobin$/m);
  expect(cookieBackend).toMatch(/^\s+cookie SERVERID insert indirect nocache$/m);
  const roundRobinBackend = sticky.replace(/^(\s+)balance source\n/m, "$1balance roundrobin\n").replace(/^\s+hash-type consistent\n/m, "");
  return {
    source,
    cookie: source.replace(sticky, backendSection(cookieBackend, "socketio")),
    roundRobin: source.replace(sticky, roundRobinBackend),
  };
}

/** The page's addresses (`*:80`, `10.0.0.N:3000`) replaced by the balancer's port and node N's. */
function onLoopback(config: string, balancerPort: number, nodePorts: number[]): string {
  const local = config
    .replace(/^(\s*bind )\*:80$/m, `$1127.0.0.1:${balancerPort}`)
    .replace(/\b10\.0\.0\.(\d+):3000\b/g, (_all, n: string) => `127.0.0.1:${nodePorts[Number(n) - 1]}`);
  expect(local).not.toMatch(/10\.0\.0\.|\*:80/);
  return local;
}

/* ---- nodes ---- */

interface Node {
  name: string;
  io: Server;
  http: HttpServer;
  port: number;
  redis: Redis[];
  /** Engine.IO session ids of the requests this node received (handshakes carry none). */
  sids: Set<string>;
  handshakes: number;
  /** `connection_error` with code 1: a request for a session this node does not hold. */
  unknownSid: number;
  /** Every `connection_error`, as "<code> <message> <context.code>". */
  errors: Set<string>;
}

/** The Engine.IO session id a request to `/socket.io/` carries: null for a handshake, undefined for another path. */
function sidOf(req: IncomingMessage): string | null | undefined {
  const [path, query = ""] = (req.url ?? "").split("?");
  if (!path.startsWith("/socket.io/")) return undefined;
  return new URLSearchParams(query).get("sid");
}

async function startNode(name: string, redisUrl: string): Promise<Node> {
  const pub = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { socketio: true, adapter: createAdapter(pub, sub, { prefix: PREFIX, logger: quietLogger }), logger: quietLogger });
  const node: Node = { name, io, http, port: 0, redis: [pub, sub], sids: new Set(), handshakes: 0, unknownSid: 0, errors: new Set() };
  // Runs for every long-polling request and every upgrade of the Socket.IO endpoint that reaches this node.
  io.engine.use((req, _res, next) => {
    const sid = sidOf(req);
    if (sid === null) node.handshakes++;
    else if (sid !== undefined) node.sids.add(sid);
    next();
  });
  io.engine.on("connection_error", (err) => {
    if (err.code === 1) node.unknownSid++;
    node.errors.add(`${err.code} ${err.message} ${err.context.code}`);
  });
  io.on("connection", (socket: Socket) => {
    socket.join("room");
    socket.on("whoami", (ack: (node: string) => void) => ack(name));
    socket.on("relay", (event: string, value: unknown) => socket.to("room").emit(event, value));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  node.port = (http.address() as AddressInfo).port;
  return node;
}

async function stopNode(node: Node): Promise<void> {
  try {
    await node.io.close();
  } finally {
    for (const client of node.redis) client.disconnect();
  }
}

/* ---- clients ---- */

/** A socket.io-client and everything it went through. */
interface SocketIoMember {
  client: SocketIoClient;
  address: string;
  connects: number;
  connectErrors: string[];
  disconnects: string[];
  events: unknown[][];
}

/**
 * A socket.io-client with its default transports, from its own loopback address (127.0.0.2, ...):
 * each stands for a user on another machine, which is what `balance source` tells apart.
 */
function connectSocketIo(url: string, index: number, options: { withCredentials?: boolean } = {}): SocketIoMember {
  const address = `127.0.0.${index + 2}`;
  // engine.io-client types `agent` as string | boolean; on Node it is handed to http.request and ws as is.
  const agent = new Agent({ localAddress: address }) as unknown as string;
  const client = socketIoClient(url, { forceNew: true, agent, ...options });
  const member: SocketIoMember = { client, address, connects: 0, connectErrors: [], disconnects: [], events: [] };
  client.on("connect", () => member.connects++);
  client.on("connect_error", (err) => member.connectErrors.push(err.message));
  client.on("disconnect", (reason) => member.disconnects.push(reason));
  client.onAny((...args: unknown[]) => member.events.push(args));
  return member;
}

/** A member of the room: either kind of client, and the node serving it. */
interface Member {
  client: SocketIoClient | RoomcastClient;
  events: unknown[][];
  label: string;
  node: string;
}

let opened: { disconnect(): unknown }[] = [];

/* ---- the suite ---- */

describe("HAProxy in front of three nodes, configured as docs/DEPLOYMENT.md says", () => {
  let redis: Awaited<ReturnType<typeof redisForTest>> | undefined;
  let nodes: Node[] = [];
  let configs: DocConfigs;
  let haproxy: Haproxy | undefined;

  let setup: Promise<void> | undefined;
  // Every test awaits it: a missing haproxy fails each of them with the install command, never skips.
  const ready = (): Promise<void> =>
    (setup ??= (async () => {
      requireHaproxy();
      configs = docConfigs();
      redis = await redisForTest(false);
      for (let i = 1; i <= 3; i++) nodes.push(await startNode(`node${i}`, redis.url));
      const counts = () => Promise.all(nodes.map((node) => (node.io.of("/").adapter as ClusterAdapter).serverCount()));
      await waitFor(async () => (await counts()).every((count) => count === nodes.length), "three nodes to see each other");
    })());
  beforeAll(() => ready().catch(() => {}));

  async function balancer(config: string): Promise<string> {
    const port = await freePort();
    haproxy = await Haproxy.start(onLoopback(config, port, nodes.map((n) => n.port)), port);
    for (const node of nodes) {
      node.sids.clear();
      node.handshakes = 0;
      node.unknownSid = 0;
      node.errors.clear();
    }
    return `http://127.0.0.1:${port}`;
  }

  afterEach(async () => {
    for (const client of opened) client.disconnect();
    opened = [];
    await haproxy?.stop();
    haproxy = undefined;
  });

  afterAll(async () => {
    await Promise.allSettled(nodes.map(stopNode));
    nodes = [];
    await redis?.stop();
  });

  /** Each member, then each node, sends to the room once; everyone gets every message but their own, once. */
  async function exchangeInRoom(members: Member[]): Promise<void> {
    const probe = new Redis(redis!.url);
    try {
      await waitFor(async () => Number(((await probe.pubsub("NUMSUB", `${PREFIX}#/#room#`)) as [string, number])[1]) === nodes.length, "every node to subscribe to the room");
    } finally {
      probe.disconnect();
    }
    members.forEach((member, i) => member.client.emit("relay", "from-member", i));
    nodes.forEach((node, i) => node.io.to("room").emit("from-node", i));
    const expected = members.length - 1 + nodes.length;
    await waitFor(() => members.every((m) => m.events.length >= expected), "every delivery", 5000);
    // a duplicate would arrive after the expected deliveries
    await sleep(200);
    for (const [i, member] of members.entries()) {
      const label = `${member.label} on ${member.node}`;
      const fromMembers = member.events.filter(([event]) => event === "from-member").map(([, n]) => n as number);
      const fromNodes = member.events.filter(([event]) => event === "from-node").map(([, n]) => n as number);
      expect(fromMembers.sort((a, b) => a - b), label).toEqual(members.map((_, j) => j).filter((j) => j !== i));
      expect(fromNodes.sort((a, b) => a - b), label).toEqual(nodes.map((_, j) => j));
      expect(member.events, label).toHaveLength(expected);
    }
    // a broadcast with acks from one node: one reply per member, whichever node holds it
    for (const member of members) member.client.on("poll", (ack: (reply: string) => void) => ack(member.label));
    const replies = (await nodes[0].io.to("room").timeout(3000).emitWithAck("poll")) as string[];
    expect([...replies].sort()).toEqual(members.map((m) => m.label).sort());
  }

  /** Connects the socket.io-clients at once and waits for each to connect and to upgrade to WebSocket. */
  async function connectedSocketIoMembers(url: string, options: { withCredentials?: boolean } = {}): Promise<(SocketIoMember & Member)[]> {
    const clients = Array.from({ length: SOCKET_IO_CLIENTS }, (_, i) => connectSocketIo(url, i, options));
    opened.push(...clients.map((m) => m.client));
    await waitFor(() => clients.every((m) => m.connects === 1), "every socket.io-client to connect", 5000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(clients.map(({ address, connects, connectErrors }) => ({ address, connects, connectErrors })))}`);
    });
    await waitFor(() => clients.every((m) => m.client.io.engine.transport.name === "websocket"), "every socket.io-client to upgrade", 5000);
    return Promise.all(
      clients.map(async (m, i) => Object.assign(m, { label: `socket.io-client ${i} (${m.address})`, node: (await m.client.timeout(2000).emitWithAck("whoami")) as string })),
    );
  }

  /** @roomcast/client sockets, one after the other, so that round-robin gives each node one. */
  async function roomcastMembers(url: string): Promise<Member[]> {
    const members: Member[] = [];
    for (let i = 0; i < ROOMCAST_CLIENTS; i++) {
      const client = roomcastClient(url, { forceNew: true, reconnection: false });
      opened.push(client);
      const events: unknown[][] = [];
      client.onAny((...args: unknown[]) => events.push(args));
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("connect_error", reject);
      });
      members.push({ client, events, label: `@roomcast/client ${i}`, node: (await client.timeout(2000).emitWithAck("whoami")) as string });
    }
    return members;
  }

  /** Every request that carried a client's session id reached the node holding its socket, and no other. */
  function expectEachSessionOnOneNode(members: (SocketIoMember & Member)[]): void {
    for (const member of members) {
      const sid = member.client.io.engine.id;
      const reached = nodes.filter((node) => node.sids.has(sid)).map((node) => node.name);
      expect(reached, member.label).toEqual([member.node]);
    }
    expect(nodes.map((node) => node.unknownSid)).toEqual(nodes.map(() => 0));
  }

  describe("/socket.io/ sticky by client address (balance source, hash-type consistent)", () => {
    it("connects and upgrades every socket.io-client, each session on one node, and mixes them with @roomcast/clients in one room", async () => {
      await ready();
      const url = await balancer(configs.source);
      const socketIo = await connectedSocketIoMembers(url);
      const roomcast = await roomcastMembers(url);

      expectEachSessionOnOneNode(socketIo);
      // Ten addresses hash to more than one node, and round-robin on /roomcast reaches all three.
      expect(new Set(socketIo.map((m) => m.node)).size).toBeGreaterThan(1);
      expect(roomcast.map((m) => m.node).sort()).toEqual(nodes.map((n) => n.name));
      await exchangeInRoom([...socketIo, ...roomcast]);
      // The same client address always lands on the same node.
      const again = connectSocketIo(url, 0);
      opened.push(again.client);
      await waitFor(() => again.connects === 1, "the returning client to connect", 5000);
      expect(await again.client.timeout(2000).emitWithAck("whoami")).toBe(socketIo[0].node);

      for (const member of socketIo) {
        expect(member.connects, member.label).toBe(1);
        expect(member.connectErrors, member.label).toEqual([]);
        expect(member.disconnects, member.label).toEqual([]);
        expect(member.client.io.engine.transport.name, member.label).toBe("websocket");
      }
      expect(nodes.map((node) => node.unknownSid)).toEqual(nodes.map(() => 0));
    });
  });

  describe("/socket.io/ sticky by cookie (cookie SERVERID insert indirect nocache)", () => {
    it("connects and upgrades every socket.io-client that keeps cookies (withCredentials: true on Node), each session on one node", async () => {
      await ready();
      const url = await balancer(configs.cookie);
      const socketIo = await connectedSocketIoMembers(url, { withCredentials: true });
      const roomcast = await roomcastMembers(url);

      expectEachSessionOnOneNode(socketIo);
      // Handshakes are balanced round-robin, then the cookie holds each session where it started.
      expect(new Set(socketIo.map((m) => m.node)).size).toBe(3);
      await exchangeInRoom([...socketIo, ...roomcast]);
      for (const member of socketIo) {
        expect(member.connects, member.label).toBe(1);
        expect(member.disconnects, member.label).toEqual([]);
      }
      expect(nodes.map((node) => node.unknownSid)).toEqual(nodes.map(() => 0));
    });

    it("does not hold a socket.io-client that drops cookies (Node's default): it fails as with no stickiness", async () => {
      await ready();
      const url = await balancer(configs.cookie);
      await expectNeverConnects(url);
    });
  });

  /*
   * Ten socket.io-clients with default options through a backend that spreads a session's
   * requests, one client at a time so that nothing else moves the round-robin: the handshake goes
   * to one node and the next three requests of the session (the POST carrying Socket.IO's CONNECT
   * packet, the long-polling GET, the WebSocket probe) to the next three, one of which is the
   * handshake's node again, so the POST or the GET always reaches a node without the session.
   * Each client is watched for its first attempt only; its reconnection fails the same way.
   */
  async function expectNeverConnects(url: string): Promise<void> {
    const members: SocketIoMember[] = [];
    for (let i = 0; i < SOCKET_IO_CLIENTS; i++) {
      const member = connectSocketIo(url, i);
      opened.push(member.client);
      members.push(member);
      await waitFor(() => member.connectErrors.length > 0 || member.connects > 0, `socket.io-client ${i} to connect or fail`, 5000);
      member.client.disconnect();
    }
    for (const member of members) {
      expect(member.connects, member.address).toBe(0);
      expect(member.connectErrors[0], member.address).toMatch(/^xhr (post|poll) error$/);
    }
    const handshakes = nodes.reduce((sum, node) => sum + node.handshakes, 0);
    const unknownSid = nodes.reduce((sum, node) => sum + node.unknownSid, 0);
    expect(handshakes).toBe(SOCKET_IO_CLIENTS);
    expect(unknownSid).toBeGreaterThanOrEqual(SOCKET_IO_CLIENTS);
    expect(new Set(nodes.flatMap((node) => [...node.errors]))).toEqual(new Set(["1 Session ID unknown ERR_UNKNOWN_SID"]));
  }

  describe("/socket.io/ round-robin: the negative control", () => {
    it("sends each request of a session to the next node: only every third one finds the session", async () => {
      await ready();
      const url = await balancer(configs.roundRobin);
      const handshake = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
      expect(handshake.status).toBe(200);
      const { sid } = JSON.parse((await handshake.text()).slice(1)) as { sid: string };
      const answers: string[] = [];
      for (let i = 0; i < 6; i++) {
        // a noop packet: harmless on the node that holds the session
        const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "6" });
        answers.push(`${response.status} ${await response.text()}`);
      }
      const unknown = '400 {"code":1,"message":"Session ID unknown"}';
      expect(answers).toEqual([unknown, unknown, "200 ok", unknown, unknown, "200 ok"]);
    });

    it("never connects a socket.io-client with default options: the node after the handshake answers 400 Session ID unknown", async () => {
      await ready();
      const url = await balancer(configs.roundRobin);
      await expectNeverConnects(url);
    });

    it("connects the same clients when they skip polling (transports: [\"websocket\"])", async () => {
      await ready();
      const url = await balancer(configs.roundRobin);
      const clients = Array.from({ length: SOCKET_IO_CLIENTS }, () => socketIoClient(url, { forceNew: true, transports: ["websocket"] }));
      opened.push(...clients);
      await waitFor(() => clients.every((client) => client.connected), "every WebSocket-only socket.io-client to connect", 5000);
      const where = await Promise.all(clients.map((client) => client.timeout(2000).emitWithAck("whoami")));
      expect(new Set(where).size).toBe(3);
      expect(nodes.map((node) => node.unknownSid)).toEqual(nodes.map(() => 0));
    });
  });
});
