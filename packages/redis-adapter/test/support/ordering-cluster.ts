import { Cluster, Redis } from "ioredis";
import { createAdapter, createShardedAdapter, createStreamsStore, Emitter } from "../../src/index.js";
import { quietLogger, recordingClient, type RecordingClient, type RedisNode, startNode, stopNode, waitFor } from "./redis-nodes.js";
import { RedisClusterServer, redisForTest } from "./redis-server.js";
import { hashSlot, SlowLink } from "./slow-link.js";

export type Mode = "classic" | "sharded";

/** Where a room's channel lives, sharded: the shard nearest the nodes, or the farthest. */
export type Shard = "near" | "far";

/*
 * Sharded, every client reaches the masters through relays: the namespace channel's master 4 ms
 * away each way, one other master 0 ms ("near") and the third 8 ms ("far"). A change then
 * arrives after an emit published later on a near room, and an emit on a far room after a change
 * published later: each rule fails there unless the adapter keeps the order itself.
 */
const NAMESPACE_SHARD_DELAY_MS = 4;
const FAR_SHARD_DELAY_MS = 8;

interface ShardMap {
  /** Cluster clients connect to the relays: announced address -> relay. */
  natMap: Record<string, { host: string; port: number }>;
  startupNodes: { host: string; port: number }[];
  /** The port of the master that owns each slot range. */
  ranges: [number, number, number][];
  near: number;
  far: number;
}

/**
 * Three roomcast nodes on one Redis (classic pub/sub) or on a three-master Redis Cluster (sharded
 * pub/sub), an emitter, and the recording clients of a test. Sockets join `auth.rooms` on connect.
 */
export class OrderingCluster {
  readonly nodes: RedisNode[] = [];
  readonly clients: RecordingClient[] = [];
  private readonly emitters: Emitter[] = [];
  private readonly extraClients: (Redis | Cluster)[] = [];
  private rooms = 0;
  private readonly links: SlowLink[] = [];
  private shards: ShardMap | undefined;

  private constructor(
    readonly mode: Mode,
    readonly prefix: string,
    private readonly redisUrl: string | undefined,
    private readonly redisCluster: RedisClusterServer | undefined,
    private readonly stopRedis: () => Promise<void>,
    /** Connection-state recovery on, with the Redis streams store: recoverable emits go through the stream. */
    readonly recovery: boolean,
  ) {}

  /** Puts a relay in front of each master, delayed by how far its shard is (see above). */
  private async relayShards(redisCluster: RedisClusterServer): Promise<void> {
    const probe = new Redis(redisCluster.nodes[0].port);
    let ranges: [number, number, number][];
    try {
      // [start, end, [host, port, id], ...replicas] per slot range
      ranges = (await probe.cluster("SLOTS")).map(([start, end, master]): [number, number, number] => [start, end, master[1]]);
    } finally {
      probe.disconnect();
    }
    const masterOf = (slot: number): number => ranges.find(([start, end]) => slot >= start && slot <= end)![2];
    const namespaceMaster = masterOf(hashSlot(`${this.prefix}#/#`));
    const [near, far] = redisCluster.nodes.map((node) => node.port).filter((port) => port !== namespaceMaster);
    const natMap: ShardMap["natMap"] = {};
    const startupNodes: ShardMap["startupNodes"] = [];
    for (const node of redisCluster.nodes) {
      const delay = node.port === namespaceMaster ? NAMESPACE_SHARD_DELAY_MS : node.port === far ? FAR_SHARD_DELAY_MS : 0;
      const link = await SlowLink.start(node.port, delay);
      this.links.push(link);
      natMap[`127.0.0.1:${node.port}`] = { host: "127.0.0.1", port: link.port };
      startupNodes.push({ host: "127.0.0.1", port: link.port });
    }
    this.shards = { natMap, startupNodes, ranges, near, far };
  }

  private clusterClient(subscriber: boolean): Cluster {
    const { natMap, startupNodes } = this.shards!;
    return new Cluster(startupNodes, { natMap, ...(subscriber && { shardedSubscribers: true }) });
  }

  static async start(mode: Mode, recovery = false): Promise<OrderingCluster> {
    const prefix = `order${mode[0]}${recovery ? "r" : ""}${process.pid}${Date.now() % 100_000}`;
    let cluster: OrderingCluster;
    if (mode === "classic") {
      const redis = await redisForTest(true);
      cluster = new OrderingCluster(mode, prefix, redis.url, undefined, () => redis.stop(), recovery);
    } else {
      const redisCluster = await RedisClusterServer.start(3);
      cluster = new OrderingCluster(mode, prefix, undefined, redisCluster, () => redisCluster.stop(), recovery);
    }
    try {
      if (cluster.redisCluster !== undefined) await cluster.relayShards(cluster.redisCluster);
      for (let i = 0; i < 3; i++) await cluster.addNode();
      for (const node of cluster.nodes) {
        await waitFor(async () => (await node.adapter().serverCount()) === 3, "every node to see the others", 15_000);
      }
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  private async addNode(): Promise<void> {
    const opts = { prefix: this.prefix, logger: quietLogger };
    const store = this.recovery ? (this.redisCluster === undefined ? new Redis(this.redisUrl!) : this.clusterClient(false)) : undefined;
    const storeClients = store === undefined ? [] : [store as unknown as Redis];
    const options = store === undefined ? {} : { connectionStateRecovery: { store: createStreamsStore(store as unknown as Redis, { prefix: this.prefix }) } };
    if (this.redisCluster === undefined) {
      const pub = new Redis(this.redisUrl!);
      const sub = pub.duplicate();
      this.nodes.push(await startNode(createAdapter(pub, sub, opts), [pub, sub, ...storeClients], options));
      return;
    }
    const pub = this.clusterClient(false);
    const sub = this.clusterClient(true);
    this.nodes.push(await startNode(createShardedAdapter(pub, sub, opts), [pub as unknown as Redis, sub as unknown as Redis, ...storeClients], options));
  }

  /** A new emitter with its own Redis connection, closed with the cluster. */
  emitter(): Emitter {
    const client = this.redisCluster === undefined ? new Redis(this.redisUrl!) : this.clusterClient(false);
    this.extraClients.push(client);
    const emitter = new Emitter(client, { prefix: this.prefix, mode: this.mode, logger: quietLogger });
    this.emitters.push(emitter);
    return emitter;
  }

  /** A room name no test used before; sharded, one whose channel lives on the `shard` asked for. */
  room(shard: Shard = "near"): string {
    for (;;) {
      const room = `room-${++this.rooms}`;
      const shards = this.shards;
      if (shards === undefined) return room;
      const slot = hashSlot(`${this.prefix}#/#${room}#`);
      const master = shards.ranges.find(([start, end]) => slot >= start && slot <= end)![2];
      if (master === shards[shard]) return room;
    }
  }

  async client(node: number, rooms: string[] = []): Promise<RecordingClient> {
    const client = await recordingClient(this.nodes[node].port, rooms);
    this.clients.push(client);
    return client;
  }

  /** Disconnects the clients of the test that ends. */
  dropClients(): void {
    for (const client of this.clients.splice(0)) client.socket.disconnect();
  }

  /** Waits until `count` nodes subscribe to `room`'s channel in Redis (joins on connect subscribe asynchronously). */
  async subscribed(room: string, count: number): Promise<void> {
    const channel = `${this.prefix}#/#${room}#`;
    await waitFor(async () => (await this.subscriberCount(channel)) === count, `${count} subscriber(s) of ${room}`, 10_000);
  }

  private async subscriberCount(channel: string): Promise<number> {
    if (this.redisCluster === undefined) {
      const probe = new Redis(this.redisUrl!);
      try {
        const [, count] = (await probe.pubsub("NUMSUB", channel)) as [string, number];
        return Number(count);
      } finally {
        probe.disconnect();
      }
    }
    let total = 0;
    for (const master of this.redisCluster.nodes) {
      const reply = (await master.cli("pubsub", "shardnumsub", channel)).trim().split("\n");
      total += Number(reply[1] ?? 0);
    }
    return total;
  }

  /** Every node's ordering counters, added up. */
  orderingTotals(): { orderingHolds: number; orderingTimeouts: number; orderingOverflows: number; fenceTimeouts: number; fenceOverflows: number } {
    const total = { orderingHolds: 0, orderingTimeouts: 0, orderingOverflows: 0, fenceTimeouts: 0, fenceOverflows: 0 };
    for (const node of this.nodes) {
      const m = node.adapter().metrics;
      total.orderingHolds += m.orderingHolds;
      total.orderingTimeouts += m.orderingTimeouts;
      total.orderingOverflows += m.orderingOverflows;
      total.fenceTimeouts += m.fenceTimeouts;
      total.fenceOverflows += m.fenceOverflows;
    }
    for (const emitter of this.emitters) {
      const m = emitter.metrics;
      total.orderingHolds += m.orderingHolds;
      total.orderingTimeouts += m.orderingTimeouts;
      total.orderingOverflows += m.orderingOverflows;
      total.fenceOverflows += m.fenceOverflows;
    }
    return total;
  }

  async close(): Promise<void> {
    this.dropClients();
    await Promise.all(this.emitters.map((emitter) => emitter.close()));
    await Promise.allSettled(this.nodes.map(stopNode));
    for (const client of this.extraClients) client.disconnect();
    await Promise.all(this.links.map((link) => link.close()));
    await this.stopRedis();
  }
}
