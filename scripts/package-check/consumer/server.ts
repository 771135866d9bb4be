// A new user's server, built from the packed packages: roomcast with the Redis adapter on the
// ioredis the app installed itself. Prints "listening <port>" once it accepts connections, answers
// one client, and ends by itself once that client has gone (exit code 0).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@roomcast/core";
import { createAdapter, createShardedAdapter, Emitter } from "@roomcast/redis-adapter";
import { Cluster, Redis } from "ioredis";
import type { ClientToServer, ServerToClient } from "./events.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Keys and channels of this run only, apart from anything else using the same Redis.
const prefix = process.env.ROOMCAST_PREFIX ?? "roomcast";
const pubClient = new Redis(redisUrl);
const subClient = pubClient.duplicate();
// The emitter stands for another process: what it sends reaches the client only through Redis.
const emitterClient = new Redis(redisUrl);
const emitter = new Emitter(emitterClient, { prefix });
await pubClient.ping();

const httpServer = createServer();
const io = new Server<ClientToServer, ServerToClient>(httpServer, { adapter: createAdapter(pubClient, subClient, { prefix }) });

io.on("connection", (socket) => {
  socket.on("hello", (name, ack) => {
    emitter.emit("news", `${name} joined`);
    ack({ greeting: `hello ${name}` });
  });
  socket.on("disconnect", () => {
    void io.close().then(() => {
      pubClient.disconnect();
      subClient.disconnect();
      emitterClient.disconnect();
    });
  });
});

/** Typechecked, not run: the sharded adapter on an ioredis Cluster. */
export function shardedAdapter(nodes: { host: string; port: number }[]) {
  return createShardedAdapter(new Cluster(nodes), new Cluster(nodes, { shardedSubscribers: true }));
}

httpServer.listen(0, "127.0.0.1", () => {
  console.log(`listening ${(httpServer.address() as AddressInfo).port}`);
});
