import { looksLikeSocketId } from "@roomcast/core";
import { Redis, type RedisOptions } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { generateLoad, type Load, modelTraffic, respArraySize, type Variant } from "../../../bench/lib/cluster-traffic/model.mjs";
import { createAdapter, createStreamsStore } from "../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, sleep, startNode, stopNode, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";

/*
 * docs/DEPLOYMENT.md's traffic tables come from bench/tools/cluster-traffic-model.mjs. This runs
 * the same load, at a small scale, on a real cluster (three nodes, a redis-server of its own, real
 * @roomcast/client connections) and checks the model's counts against what Redis and the nodes
 * report: PUBLISH calls (INFO commandstats), channels (INFO stats), subscriptions (CLIENT LIST),
 * messages and bytes each node's subscriber connections read, bytes Redis wrote.
 */

const LOAD = { nodes: 3, rooms: 40, connections: 300, roomsPerConnection: 2, zipf: 1, balancer: "least-connections", seed: 7 } as const;
/** Each connection says this many messages in each of its rooms. */
const MESSAGES_PER_ROOM = 2;
const HEARTBEAT_MS = 500;
const TEXT = "x".repeat(64);

/** A publisher whose duplicates (the streams store's subscriber) the test can listen to. */
class TrackedRedis extends Redis {
  readonly copies: Redis[] = [];
  override duplicate(override?: Partial<RedisOptions>): Redis {
    const copy = super.duplicate(override);
    this.copies.push(copy);
    return copy;
  }
}

/** What one node's subscriber connections read, by kind of channel. */
interface Heard {
  /** The adapter's room channels. */
  room: number;
  /** The adapter's namespace channel (heartbeats). */
  namespace: number;
  /** The store's namespace packet channel. */
  packets: number;
  /** The store's room packet channels. */
  packetRooms: number;
  other: number;
  /** RESP bytes of every push read (`*3 message <channel> <payload>`). */
  bytes: number;
}

let redis: RedisServer | undefined;
let nodes: RedisNode[] = [];
let clients: RecordingClient[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const client of clients) client.socket.disconnect();
  await Promise.allSettled(nodes.map(stopNode));
  await redis?.kill();
  nodes = [];
  clients = [];
  redis = undefined;
});

/** Three nodes with the model's membership: each connection on its node, in its rooms. */
async function startCluster(load: Load, recovery: boolean): Promise<Heard[]> {
  redis = await RedisServer.start();
  const heard: Heard[] = [];
  for (let i = 0; i < LOAD.nodes; i++) {
    const pub = new TrackedRedis(redis.url, { maxRetriesPerRequest: 3, connectionName: `node${i}` });
    const sub = pub.duplicate();
    const store = recovery ? new TrackedRedis(redis.url, { connectionName: `node${i}` }) : undefined;
    const adapter = createAdapter(pub, sub, { logger: quietLogger, heartbeatInterval: HEARTBEAT_MS });
    const node = await startNode(adapter, store ? [pub, sub, store] : [pub, sub], store ? { connectionStateRecovery: { store: createStreamsStore(store) } } : {});
    node.io.on("connection", (socket) => socket.on("say", (room: string) => socket.to(room).emit("chat", { text: TEXT })));
    nodes.push(node);
    if (store) await (node.io.sockets.recovery!.store as unknown as { ready: Promise<void> }).ready;
    const counts: Heard = { room: 0, namespace: 0, packets: 0, packetRooms: 0, other: 0, bytes: 0 };
    heard.push(counts);
    for (const subscriber of [sub, ...(store?.copies ?? [])]) {
      subscriber.on("messageBuffer", (channelBytes: Buffer, message: Buffer) => {
        const channel = channelBytes.toString();
        counts.bytes += respArraySize([7, channelBytes.length, message.length]);
        if (channel === "roomcast#/#") counts.namespace++;
        else if (channel.startsWith("roomcast#/#")) counts.room++;
        else if (channel.endsWith("#packets")) counts.packets++;
        else if (channel.includes("#packets#")) counts.packetRooms++;
        else counts.other++;
      });
    }
  }
  for (const node of nodes) await waitFor(async () => (await node.adapter().serverCount()) === LOAD.nodes, "every node to see the others");
  for (let i = 0; i < load.connections.length; i += 30) {
    const batch = load.connections.slice(i, i + 30);
    clients.push(...(await Promise.all(batch.map(({ node, rooms }) => recordingClient(nodes[node].port, rooms.map(load.roomName))))));
  }
  return heard;
}

interface RedisStats {
  publish: number;
  commands: number;
  netIn: number;
  netOut: number;
  channels: number;
  subscriptions: number;
  /** Bytes of the replies to these questions, which Redis counts in the next reading's `netOut`. */
  replyBytes: number;
}

/** INFO fields and CLIENT LIST subscriptions, read through a connection of the test's own. */
async function redisStats(probe: Redis): Promise<RedisStats> {
  const info = (await probe.info("everything")) as string;
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
  const list = (await probe.client("LIST")) as string;
  const bulkBytes = (text: string): number => respArraySize([Buffer.byteLength(text)]) - 4;
  return {
    publish: Number(/^cmdstat_publish:calls=(\d+)/m.exec(info)?.[1] ?? 0),
    commands: field("total_commands_processed"),
    netIn: field("total_net_input_bytes"),
    netOut: field("total_net_output_bytes"),
    channels: field("pubsub_channels"),
    subscriptions: [...list.matchAll(/ sub=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0),
    replyBytes: bulkBytes(info) + bulkBytes(list),
  };
}

/** Sends the load's messages, waits until every client has them; returns the seconds it took. */
async function sendMessages(load: Load): Promise<number> {
  let expected = 0;
  for (const { rooms } of load.connections) for (const room of rooms) expected += MESSAGES_PER_ROOM * (load.memberTotal[room] - 1);
  const received = (): number => clients.reduce((sum, c) => sum + c.count("chat"), 0);
  const started = performance.now();
  for (let round = 0; round < MESSAGES_PER_ROOM; round++) {
    load.connections.forEach(({ rooms }, i) => {
      for (const room of rooms) clients[i].socket.emit("say", load.roomName(room));
    });
    await sleep(200);
  }
  await waitFor(() => received() >= expected, `${expected} chat events at the clients`, 10_000);
  await sleep(100);
  expect(received()).toBe(expected);
  return (performance.now() - started) / 1000;
}

/** Relative difference, for tolerances. */
const off = (measured: number, predicted: number): number => Math.abs(measured - predicted) / Math.max(1, predicted);

async function checkModel(variant: Variant): Promise<void> {
  const load = generateLoad({ ...LOAD });
  const recovery = variant !== "roomcast";
  const heard = await startCluster(load, recovery);
  // One message per node before measuring: the append script gets loaded (EVALSHA), the adapters are warm.
  for (const node of nodes) node.io.to("warm-up").emit("chat", { text: TEXT });
  await sleep(300);

  const probe = new Redis(redis!.url, { enableReadyCheck: false });
  cleanups.push(() => probe.disconnect());
  const before = await redisStats(probe);
  const adapterBefore = nodes.map((n) => ({ ...n.adapter().metrics }));
  for (const h of heard) Object.assign(h, { room: 0, namespace: 0, packets: 0, packetRooms: 0, other: 0, bytes: 0 });
  const seconds = await sendMessages(load);
  const after = await redisStats(probe);

  /*
   * The model, for these messages over `seconds`, with no churn and no session refresh in the
   * window. Heartbeats come from timers that a busy event loop delays, so the model gets the
   * heartbeat rate the nodes kept (PUBLISH calls beyond the chat messages) rather than the
   * nominal one: what is checked is where each message goes and what it costs, not the timers.
   */
  const k = LOAD.roomsPerConnection;
  const chatPublishes = load.connections.length * k * MESSAGES_PER_ROOM;
  const publishes = after.publish - before.publish;
  // every heartbeat and every tick of the store reaches every node, node 0 included
  const ticks = heard[0].packets;
  const heartbeats = publishes - chatPublishes - ticks;
  expect(heartbeats).toBeGreaterThan(0);
  const base = { messagesPerConnection: (MESSAGES_PER_ROOM * k) / seconds, sessionMinutes: Infinity, sessionRefreshInterval: Infinity };
  const model = modelTraffic(load, { ...base, heartbeatInterval: (LOAD.nodes * seconds * 1000) / heartbeats }, variant);
  const chatOnly = modelTraffic(load, { ...base, heartbeatInterval: Infinity }, variant);

  // Chat messages: exact, node by node (the adapter's room channels, or the store's), and PUBLISH calls.
  const chatHeard = heard.map((h) => (recovery ? h.packetRooms : h.room));
  chatHeard.forEach((count, i) => expect(count).toBeCloseTo((chatOnly.perNode.inbound[i] - chatOnly.perNode.control[i]) * seconds, 6));
  if (recovery) expect(heard.map((h) => h.room)).toEqual([0, 0, 0]);
  expect(heard.map((h) => h.other)).toEqual([0, 0, 0]);
  // (the store's ticks, its control messages, reach every node: node 0's count is theirs)
  expect((chatOnly.publishes - chatOnly.perNode.control[0]) * seconds).toBeCloseTo(chatPublishes, 6);

  // With heartbeats: every one reaches every node. One may straddle the start of the window on each node.
  const slack = LOAD.nodes;
  const near = (measured: number, predicted: number): void => expect(Math.abs(measured - predicted)).toBeLessThanOrEqual(slack);
  heard.forEach((h, i) => {
    near(h.namespace, heartbeats);
    near(h.packets, ticks);
    near(h.room + h.namespace + h.packets + h.packetRooms, model.perNode.inbound[i] * seconds);
  });

  // Other commands: the append scripts' (recovery), and the probe's first INFO and CLIENT LIST.
  const others = after.commands - before.commands - publishes;
  near(others - 2, (model.commands - model.publishes) * seconds);

  // Channels and subscriptions. A socket id without both letter cases gets a room channel of its own (channels.ts).
  // (the store gives it one too).
  const idChannels = clients.filter((c) => !looksLikeSocketId(c.socket.id!)).length * (recovery ? 2 : 1);
  expect(after.channels).toBe(model.channels + idChannels);
  expect(after.subscriptions).toBe(model.subscriptions + idChannels);

  // Bytes: what each node read, and what Redis read and wrote (RESP), within 2%.
  heard.forEach((h, i) => expect(off(h.bytes, model.perNode.bytesIn[i] * seconds)).toBeLessThan(0.02));
  expect(off(after.netIn - before.netIn, model.bytesIn * seconds)).toBeLessThan(0.02);
  expect(off(after.netOut - before.netOut - before.replyBytes, model.bytesOut * seconds)).toBeLessThan(0.02);

  // The adapters' own counters: what they published, and what they acted on from the other nodes.
  const metrics = nodes.map((n, i) => {
    const now = n.adapter().metrics;
    return { published: now.published - adapterBefore[i].published, received: now.received - adapterBefore[i].received };
  });
  near(
    metrics.reduce((sum, m) => sum + m.published, 0),
    recovery ? heartbeats : publishes,
  );
  metrics.forEach((m, i) => {
    // A node hears its own publications too (it is in the rooms it speaks to) and ignores them.
    near(m.received, heard[i].room + heard[i].namespace - m.published);
    // The model's view: what the adapter reads, less its own chat messages and its own heartbeats.
    const ownHeartbeats = heartbeats / LOAD.nodes / seconds;
    const storeRate = chatOnly.perNode.inbound[i] - chatOnly.perNode.control[i] + ticks / seconds;
    const adapterRate = model.perNode.inbound[i] - (recovery ? storeRate : model.perNode.echoes[i]) - ownHeartbeats;
    near(m.received, adapterRate * seconds);
  });
}

describe("the cluster traffic model (bench/tools/cluster-traffic-model.mjs) against a real cluster", () => {
  it("predicts roomcast's room-scoped traffic: per-node inbound, PUBLISH, channels, subscriptions, bytes", { timeout: 20_000 }, async () => {
    await checkModel("roomcast");
  });

  // docs/DEPLOYMENT.md names the streams store's delivery in effect in one sentence: keep it in step with this.
  it("predicts the streams store's traffic, recoverable broadcasts delivered per room", { timeout: 20_000 }, async () => {
    await checkModel("recovery-rooms");
  });
});
