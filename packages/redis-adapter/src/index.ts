export { createAdapter, createShardedAdapter, type RedisAdapterOptions } from "./create-adapter.js";
export { Emitter, EmitterOperator, type EmitterOptions } from "./emitter.js";
export { RedisBus, type PubSubMode, type RedisBusOptions, type RedisClient } from "./redis-bus.js";
export { PartialResponseError } from "@roomcast/core";
export { createStreamsStore, RedisStreamsStore, type StreamsStoreOptions } from "./streams-store.js";
