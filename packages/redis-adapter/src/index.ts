export { createAdapter, createShardedAdapter, type RedisAdapterOptions } from "./create-adapter.js";
export { Emitter, EmitterOperator, type EmitterMetrics, type EmitterOptions } from "./emitter.js";
export { RedisBus, type PubSubMode, type RedisBusOptions } from "./redis-bus.js";
export type { RedisClient } from "./redis-client.js";
export { PartialResponseError } from "@roomcast/core";
export { createStreamsStore, type StreamsStoreOptions } from "./streams-store.js";
export { RedisStreamsStore, type StreamsStoreMetrics } from "./redis-streams-store.js";
