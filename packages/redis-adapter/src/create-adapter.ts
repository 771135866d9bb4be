import { type AdapterConstructor, type ClusterAdapterOptions, createClusterAdapter } from "@roomcast/core";
import { type RedisBusOptions, RedisBus } from "./redis-bus.js";
import type { RedisClient } from "./redis-client.js";

export type RedisAdapterOptions = ClusterAdapterOptions & RedisBusOptions;

/**
 * The cluster adapter over Redis pub/sub (PUBLISH/SUBSCRIBE). `pubClient` publishes; `subClient`
 * is put in subscriber mode and must be a separate connection (`pubClient.duplicate()`). Use one
 * pair of clients per server.
 *
 * @example
 * const pubClient = new Redis(process.env.REDIS_URL);
 * const io = new Server(3000, { adapter: createAdapter(pubClient, pubClient.duplicate()) });
 */
export function createAdapter(pubClient: RedisClient, subClient: RedisClient, opts: RedisAdapterOptions = {}): AdapterConstructor {
  return createClusterAdapter(new RedisBus(pubClient, subClient, "classic", opts), opts);
}

/**
 * The cluster adapter over sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+). With Redis Cluster a
 * message only travels inside the shard that owns its channel, so traffic scales with the number
 * of shards instead of being copied to every node of the Redis cluster. With an ioredis `Cluster`,
 * create `subClient` with `shardedSubscribers: true` so that each shard gets its own subscriber.
 *
 * @example
 * const nodes = [{ host: "10.0.0.1", port: 7000 }];
 * const io = new Server(3000, {
 *   adapter: createShardedAdapter(new Cluster(nodes), new Cluster(nodes, { shardedSubscribers: true })),
 * });
 */
export function createShardedAdapter(pubClient: RedisClient, subClient: RedisClient, opts: RedisAdapterOptions = {}): AdapterConstructor {
  return createClusterAdapter(new RedisBus(pubClient, subClient, "sharded", opts), opts);
}
