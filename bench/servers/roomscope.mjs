/**
 * The server of the `roomscope` workload, forked by the runner: roomcast with the Redis adapter and
 * connection-state recovery on the Redis Streams store. Sockets join the room named in their
 * handshake query. It counts what its Redis subscriber connections read (the adapter's, and the
 * store's, a duplicate of the store's client), so the figure does not depend on the store's own
 * counters; `ROOMCAST_BENCH_REDIS_ADAPTER` may name another build of @roomcast/redis-adapter to
 * compare two versions.
 */
import { createServer } from "node:http";
import { Server } from "@roomcast/core";
import { Redis } from "ioredis";
import { serveIpc } from "../lib/child.mjs";
import { fixedPayload } from "../lib/payload.mjs";

const config = JSON.parse(process.argv[2]);
const { createAdapter, createStreamsStore } = await import(process.env.ROOMCAST_BENCH_REDIS_ADAPTER ?? "@roomcast/redis-adapter");
const quiet = { warn: () => {}, error: () => {} };
const redis = { host: "127.0.0.1", port: config.redisPort };
const pub = new Redis(redis);
const sub = pub.duplicate();
const storeClient = new Redis(redis);
const clients = [pub, sub, storeClient];
for (const client of clients) client.on("error", () => {});
await Promise.all(clients.map((client) => (client.status === "ready" ? undefined : new Promise((resolve) => client.once("ready", resolve)))));

/** What the subscriber connections read: every message, and the store's by kind. */
let read;
const reset = () => {
  read = { adapter: 0, storePackets: 0, storeTicks: 0, storeOther: 0 };
};
reset();
const PIPE = 0x7c;
sub.on("messageBuffer", () => read.adapter++);
const duplicate = storeClient.duplicate.bind(storeClient);
storeClient.duplicate = (...args) => {
  const copy = duplicate(...args);
  clients.push(copy);
  copy.on("messageBuffer", (channel, message) => {
    // "<position>|<entry>" on a packet channel; nothing after the position: a tick
    if (!channel.toString().includes("#packets")) read.storeOther++;
    else if (message.indexOf(PIPE) === message.length - 1) read.storeTicks++;
    else read.storePackets++;
  });
  return copy;
};

const http = createServer();
const io = new Server(http, {
  logger: quiet,
  adapter: createAdapter(pub, sub, { logger: quiet }),
  connectionStateRecovery: { store: createStreamsStore(storeClient) },
});
io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  socket.join(typeof room === "string" ? room : "bench");
});
await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
await io.of("/").recovery.store.ready;

let paced;
serveIpc({
  reset() {
    reset();
    return {};
  },
  stats() {
    const metrics = io.of("/").adapter.metrics;
    return { read: { ...read }, adapterReceived: metrics.received, store: io.of("/").recovery.store.metrics, connections: io.of("/").sockets.size };
  },
  /** `count` broadcasts of the 64-byte payload to `room`, `rate` a second. */
  send({ room, count, rate }) {
    const payload = fixedPayload();
    return new Promise((resolve) => {
      const start = performance.now();
      let sent = 0;
      const tick = () => {
        // as many as are due now: the pace holds on a busy machine
        const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
        while (sent < due) {
          io.to(room).emit("m", payload);
          sent++;
        }
        if (sent >= count) resolve({ sent, elapsedMs: performance.now() - start });
        else paced = setTimeout(tick, 1);
      };
      tick();
    });
  },
  async exit() {
    clearTimeout(paced);
    await Promise.race([io.close(), new Promise((r) => setTimeout(r, 2000))]);
    for (const client of clients) client.disconnect();
  },
});
process.send({ type: "ready", port: http.address().port });
