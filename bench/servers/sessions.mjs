/**
 * The server of the `sessions` workload, forked by the runner: roomcast with the Redis adapter and,
 * in mode "streams", connection-state recovery with the Redis Streams store, which keeps every
 * live session in Redis (written at connect, after each join and leave, and refreshed). Clients
 * ask it to join and leave rooms; each ack comes once the change is stored (docs/RECOVERY.md).
 */
import { createServer } from "node:http";
import { Server } from "@roomcast/core";
import { createAdapter, createStreamsStore } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";
import { serveIpc } from "../lib/child.mjs";

const config = JSON.parse(process.argv[2]);
const quiet = { warn: () => {}, error: () => {} };
const pub = new Redis({ host: "127.0.0.1", port: config.redisPort, lazyConnect: true });
const sub = pub.duplicate();
for (const client of [pub, sub]) client.on("error", () => {});
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, {
  logger: quiet,
  adapter: createAdapter(pub, sub, { logger: quiet }),
  ...(config.mode === "streams" && { connectionStateRecovery: { store: createStreamsStore(pub) } }),
});
io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    ack();
  });
});
await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));

serveIpc({
  stats: () => ({ cpu: process.cpuUsage(), connections: io.of("/").sockets.size }),
  async exit() {
    await Promise.race([io.close(), new Promise((r) => setTimeout(r, 2000))]);
    pub.disconnect();
    sub.disconnect();
  },
});
process.send({ type: "ready", port: http.address().port });
