import { Agent as HttpAgent, createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AddressInfo } from "node:net";
import { io as roomcastClient, type Socket as RoomcastClient } from "@roomcast/client";
import { msgpackCodec } from "@roomcast/client/msgpack";
import { type ClusterAdapter, Server, type Socket } from "@roomcast/core";
import { Redis } from "ioredis";
import { io as socketIoClient, type Socket as SocketIoClient } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { selfSignedCertificate, type TestCertificate } from "./support/certificate.js";
import { nginxBlocks } from "./support/deployment-doc.js";
import { Nginx, requireNginx } from "./support/nginx.js";
import { quietLogger, sleep, waitFor } from "./support/redis-nodes.js";
import { freePort, redisForTest } from "./support/redis-server.js";

/*
 * docs/DEPLOYMENT.md, "nginx", run as written: nginx with the page's own configuration (only the
 * listen addresses, node addresses and certificate paths replaced) in front of two roomcast nodes
 * that share a Redis. @roomcast/client reaches `/roomcast`, socket.io-clients with their default
 * transports (long-polling, then the upgrade) reach `/socket.io/`, over http and https.
 */

const SECTION = "nginx";
const PREFIX = `nginx${Date.now()}`;
/** socket.io-clients from new addresses until both nodes serve some, at most this many. */
const MAX_SOCKET_IO_CLIENTS = 40;

/* ---- the configuration, from the page ---- */

function docConfig(): string {
  const blocks = nginxBlocks(SECTION);
  expect(blocks, `docs/DEPLOYMENT.md, "${SECTION}": one nginx block`).toHaveLength(1);
  const [config] = blocks;
  // What the page explains, so that an edit dropping one of them fails here first.
  expect(config).toMatch(/upstream roomcast_nodes \{\n\s+least_conn;\n/);
  expect(config).toMatch(/upstream socketio_nodes \{\n\s+hash \$remote_addr consistent;\n/);
  expect(config).toMatch(/^\s+proxy_http_version 1\.1;$/m);
  expect(config).toMatch(/^\s+proxy_set_header Upgrade \$http_upgrade;$/m);
  expect(config).toMatch(/^\s+proxy_set_header Connection \$connection_upgrade;$/m);
  expect(config).toMatch(/^\s+proxy_read_timeout 60s;$/m);
  expect(config).toMatch(/location = \/roomcast \{\n\s+proxy_pass http:\/\/roomcast_nodes;\n/);
  expect(config).toMatch(/location \/socket\.io\/ \{\n\s+proxy_pass http:\/\/socketio_nodes;\n/);
  return config;
}

/** The counter-check: the same configuration with `/socket.io/` round-robin, as the page warns. */
function withoutStickiness(config: string): string {
  const plain = config.replace(/^\s+hash \$remote_addr consistent;\n/m, "");
  expect(plain).not.toContain("hash $remote_addr");
  return plain;
}

interface Ports {
  http: number;
  https: number;
}

/** The page's addresses and certificate paths replaced by local ones. */
function onLoopback(config: string, ports: Ports, nodePorts: number[], dir: string): string {
  const local = config
    .replace(/^(\s*listen )80;$/m, `$1127.0.0.1:${ports.http};`)
    .replace(/^(\s*listen )443 ssl;$/m, `$1127.0.0.1:${ports.https} ssl;`)
    .replace(/\b10\.0\.0\.(\d+):3000\b/g, (_all, n: string) => `127.0.0.1:${nodePorts[Number(n) - 1]}`)
    .replace(/^(\s*ssl_certificate\s+)\S+;$/m, `$1${dir}/cert.pem;`)
    .replace(/^(\s*ssl_certificate_key\s+)\S+;$/m, `$1${dir}/key.pem;`);
  expect(local).not.toMatch(/10\.0\.0\.|listen 80;|listen 443 |\/etc\//);
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
  /** `connection_error` with code 1: a request for a session this node does not hold. */
  unknownSid: number;
}

/** What a socket learns about itself from the node that serves it. */
interface WhoAmI {
  node: string;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  codec: string | undefined;
}

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
  const node: Node = { name, io, http, port: 0, redis: [pub, sub], sids: new Set(), unknownSid: 0 };
  io.engine.use((req, _res, next) => {
    const sid = sidOf(req);
    if (sid) node.sids.add(sid);
    next();
  });
  io.engine.on("connection_error", (err) => {
    if (err.code === 1) node.unknownSid++;
  });
  io.on("connection", (socket: Socket) => {
    socket.join("room");
    const { headers } = socket.handshake;
    const me: WhoAmI = {
      node: name,
      forwardedFor: headers["x-forwarded-for"] as string | undefined,
      forwardedProto: headers["x-forwarded-proto"] as string | undefined,
      codec: socket.conn.codec?.name,
    };
    socket.on("whoami", (ack: (me: WhoAmI) => void) => ack(me));
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

interface Member {
  client: SocketIoClient | RoomcastClient;
  events: unknown[][];
  label: string;
  me: WhoAmI;
}

interface SocketIoMember extends Member {
  client: SocketIoClient;
  address: string;
  connectErrors: string[];
  disconnects: string[];
}

let opened: { disconnect(): unknown }[] = [];

async function whoami(client: SocketIoClient | RoomcastClient): Promise<WhoAmI> {
  return (await client.timeout(2000).emitWithAck("whoami")) as WhoAmI;
}

/* ---- the suite ---- */

describe("nginx in front of two nodes, configured as docs/DEPLOYMENT.md says", () => {
  let redis: Awaited<ReturnType<typeof redisForTest>> | undefined;
  let nodes: Node[] = [];
  let certificate: TestCertificate;
  let nginx: Nginx | undefined;
  let ports: Ports;
  let httpUrl: string;
  let httpsUrl: string;

  let setup: Promise<void> | undefined;
  // Every test awaits it: a missing nginx fails each of them with the install command, never skips.
  const ready = (): Promise<void> =>
    (setup ??= (async () => {
      requireNginx();
      const config = docConfig();
      certificate = await selfSignedCertificate();
      redis = await redisForTest(false);
      for (let i = 1; i <= 2; i++) nodes.push(await startNode(`node${i}`, redis.url));
      const counts = () => Promise.all(nodes.map((node) => (node.io.of("/").adapter as ClusterAdapter).serverCount()));
      await waitFor(async () => (await counts()).every((count) => count === nodes.length), "two nodes to see each other");
      ({ nginx, ports } = await startNginx(config));
      httpUrl = `http://127.0.0.1:${ports.http}`;
      httpsUrl = `https://127.0.0.1:${ports.https}`;
    })());
  beforeAll(() => ready().catch(() => {}));

  /** nginx running `config` on two free ports, with the run's certificate. */
  async function startNginx(config: string): Promise<{ nginx: Nginx; ports: Ports }> {
    const ports = { http: await freePort(), https: await freePort() };
    const nodePorts = nodes.map((node) => node.port);
    const files = { "cert.pem": certificate.cert, "key.pem": certificate.key };
    return { nginx: await Nginx.start((dir) => onLoopback(config, ports, nodePorts, dir), [ports.http, ports.https], files), ports };
  }

  afterEach(() => {
    for (const client of opened) client.disconnect();
    opened = [];
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.allSettled(nodes.map(stopNode));
    nodes = [];
    await redis?.stop();
  });

  async function roomcast(url: string, options: Parameters<typeof roomcastClient>[1] = {}): Promise<Member> {
    const client = roomcastClient(url, { forceNew: true, reconnection: false, ...options });
    opened.push(client);
    const events: unknown[][] = [];
    client.onAny((...args: unknown[]) => events.push(args));
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("connect_error", reject);
    });
    return { client, events, label: `@roomcast/client ${client.id}`, me: await whoami(client) };
  }

  /** A socket.io-client with default transports from its own loopback address (127.0.0.2 and up): one user's machine. */
  function socketIo(url: string, index: number, options: { ca?: string; transports?: string[]; reconnection?: boolean } = {}) {
    const address = `127.0.0.${index + 2}`;
    const agentOptions = { localAddress: address, ca: options.ca };
    // engine.io-client types `agent` as string | boolean; on Node it is handed to http(s).request and ws as is.
    const agent = (url.startsWith("https:") ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions)) as unknown as string;
    const client = socketIoClient(url, { forceNew: true, agent, ...options });
    opened.push(client);
    const state = { client, address, connects: 0, connectErrors: [] as string[], disconnects: [] as string[], events: [] as unknown[][] };
    client.on("connect", () => state.connects++);
    client.on("connect_error", (err) => state.connectErrors.push(err.message));
    client.on("disconnect", (reason) => state.disconnects.push(reason));
    client.onAny((...args: unknown[]) => state.events.push(args));
    return state;
  }

  /**
   * socket.io-clients from one new address after another, each connected and upgraded to
   * WebSocket, until both nodes serve at least `perNode` of them.
   */
  async function socketIoOnBothNodes(url: string, perNode: number, options: { ca?: string } = {}): Promise<SocketIoMember[]> {
    const members: SocketIoMember[] = [];
    const served = (name: string) => members.filter((m) => m.me.node === name).length;
    for (let i = 0; nodes.some((node) => served(node.name) < perNode); i++) {
      if (i === MAX_SOCKET_IO_CLIENTS) throw new Error(`${i} client addresses all hashed to ${members[0].me.node}`);
      const state = socketIo(url, i, options);
      await waitFor(() => state.connects === 1 || state.connectErrors.length > 0, `socket.io-client from ${state.address} to connect`, 5000);
      expect(state.connectErrors, state.address).toEqual([]);
      await waitFor(() => state.client.io.engine.transport.name === "websocket", `socket.io-client from ${state.address} to upgrade`, 5000);
      members.push({ ...state, label: `socket.io-client from ${state.address}`, me: await whoami(state.client) });
    }
    return members;
  }

  /** Every request that carried a client's session id reached the node holding its socket, and no other. */
  function expectEachSessionOnOneNode(members: SocketIoMember[]): void {
    for (const member of members) {
      const sid = member.client.io.engine.id;
      expect(
        nodes.filter((node) => node.sids.has(sid)).map((node) => node.name),
        member.label,
      ).toEqual([member.me.node]);
      expect(member.connectErrors, member.label).toEqual([]);
      expect(member.disconnects, member.label).toEqual([]);
    }
    expect(nodes.map((node) => node.unknownSid)).toEqual([0, 0]);
  }

  /** Each member, then each node, sends to the room once; everyone gets every message but their own, once. */
  async function exchangeInRoom(members: Member[]): Promise<void> {
    const probe = new Redis(redis!.url);
    try {
      await waitFor(async () => Number(((await probe.pubsub("NUMSUB", `${PREFIX}#/#room#`)) as [string, number])[1]) === nodes.length, "both nodes to subscribe to the room");
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
      const label = `${member.label} on ${member.me.node}`;
      const from = (event: string) =>
        member.events
          .filter(([name]) => name === event)
          .map(([, n]) => n as number)
          .sort((a, b) => a - b);
      expect(from("from-member"), label).toEqual(members.map((_, j) => j).filter((j) => j !== i));
      expect(from("from-node"), label).toEqual(nodes.map((_, j) => j));
      expect(member.events, label).toHaveLength(expected);
    }
    // a broadcast with acks from one node: one reply per member, whichever node holds it
    for (const member of members) member.client.on("poll", (ack: (reply: string) => void) => ack(member.label));
    const replies = (await nodes[0].io.to("room").timeout(3000).emitWithAck("poll")) as string[];
    expect([...replies].sort()).toEqual(members.map((m) => m.label).sort());
  }

  it("passes @roomcast/client WebSockets through to /roomcast, spreading them over both nodes (least_conn)", async () => {
    await ready();
    const members = [await roomcast(httpUrl), await roomcast(httpUrl, { codec: msgpackCodec }), await roomcast(httpUrl), await roomcast(httpUrl)];
    // Each new connection goes to the node with fewer open ones.
    expect(members.map((m) => m.me.node).sort()).toEqual(["node1", "node1", "node2", "node2"]);
    // Sec-WebSocket-Protocol passed through: the codec the client asked for is the one in use.
    expect(members.map((m) => m.me.codec)).toEqual(["json", "msgpack", "json", "json"]);
    for (const member of members) expect(member.me).toMatchObject({ forwardedFor: "127.0.0.1", forwardedProto: "http" });
    // A plain GET to /roomcast reaches a node too, which asks for the upgrade.
    const plain = await fetch(`${httpUrl}/roomcast`, { signal: AbortSignal.timeout(5000) });
    expect(plain.status).toBe(426);
  });

  it("holds each socket.io-client's long-polling session on one node and upgrades it (hash $remote_addr consistent)", async () => {
    await ready();
    const members = await socketIoOnBothNodes(httpUrl, 1);
    expectEachSessionOnOneNode(members);
    for (const member of members) expect(member.me).toMatchObject({ forwardedFor: member.address, forwardedProto: "http" });
    // The same address comes back to the same node.
    const again = socketIo(httpUrl, 0);
    await waitFor(() => again.connects === 1, "the returning client to connect", 5000);
    expect((await whoami(again.client)).node).toBe(members[0].me.node);
  });

  it("carries broadcasts across the two nodes to both kinds of client, each once", async () => {
    await ready();
    const socketIoMembers = await socketIoOnBothNodes(httpUrl, 1);
    const roomcastMembers = [await roomcast(httpUrl), await roomcast(httpUrl)];
    expect(roomcastMembers.map((m) => m.me.node).sort()).toEqual(["node1", "node2"]);
    await exchangeInRoom([...socketIoMembers, ...roomcastMembers]);
    expectEachSessionOnOneNode(socketIoMembers);
  });

  describe("TLS terminated at nginx (listen 443 ssl)", () => {
    it("connects @roomcast/client over wss:// when it trusts the certificate, and refuses it otherwise", async () => {
      await ready();
      const trusted = await roomcast(httpsUrl, { ca: certificate.cert });
      expect(trusted.me).toMatchObject({ forwardedProto: "https", forwardedFor: "127.0.0.1" });

      const refused = roomcastClient(httpsUrl, { forceNew: true, reconnection: false });
      opened.push(refused);
      const err = await new Promise<Error>((resolve) => refused.once("connect_error", resolve));
      expect(err.message).toContain(`wss://127.0.0.1:${ports.https}/roomcast`);
      expect(err.message).toContain("self-signed certificate");
      expect((err.cause as { code?: string }).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");

      // development only: any certificate
      expect((await roomcast(httpsUrl, { rejectUnauthorized: false })).me.forwardedProto).toBe("https");
    });

    it("holds socket.io-clients' sessions on one node over https:// long-polling, then upgrades them to wss://", async () => {
      await ready();
      const members = await socketIoOnBothNodes(httpsUrl, 1, { ca: certificate.cert });
      expectEachSessionOnOneNode(members);
      for (const member of members) expect(member.me).toMatchObject({ forwardedProto: "https", forwardedFor: member.address });
      const roomcastMembers = [await roomcast(httpsUrl, { ca: certificate.cert }), await roomcast(httpsUrl, { ca: certificate.cert })];
      await exchangeInRoom([...members, ...roomcastMembers]);
    });
  });

  describe("counter-check: /socket.io/ without the hash line", () => {
    let roundRobin: Nginx | undefined;
    afterAll(async () => {
      await roundRobin?.stop();
    });

    it("fails socket.io-clients that start with long-polling, and still connects WebSocket-only ones", async () => {
      await ready();
      const started = await startNginx(withoutStickiness(docConfig()));
      roundRobin = started.nginx;
      const url = `http://127.0.0.1:${started.ports.http}`;
      const before = nodes.reduce((sum, node) => sum + node.unknownSid, 0);
      // One at a time: the requests of a session alternate between the nodes, nothing interleaves.
      for (let i = 0; i < 3; i++) {
        const state = socketIo(url, i, { reconnection: false });
        await waitFor(() => state.connectErrors.length > 0 || state.connects > 0, `socket.io-client ${i} to give up`, 5000);
        expect(state.connects, state.address).toBe(0);
      }
      expect(nodes.reduce((sum, node) => sum + node.unknownSid, 0)).toBeGreaterThan(before);

      const websocketOnly = Array.from({ length: 4 }, (_, i) => socketIo(url, i, { transports: ["websocket"] }));
      await waitFor(() => websocketOnly.every((state) => state.connects === 1), "every WebSocket-only socket.io-client to connect", 5000);
      const served = await Promise.all(websocketOnly.map(async (state) => (await whoami(state.client)).node));
      expect(new Set(served).size).toBe(2);
    });
  });
});
