// One roomcast node in its own process, built packages only (run after `pnpm turbo run build`).
// Env: REDIS_URL, PREFIX, HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT. Prints {"port":N} once listening.
import { once } from "node:events";
import { Server } from "@roomcast/core";
import { createAdapter } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";

const quiet = { warn: () => {}, error: () => {} };
const pubClient = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 3 });
const subClient = pubClient.duplicate();
const io = new Server(0, {
  logger: quiet,
  adapter: createAdapter(pubClient, subClient, {
    prefix: process.env.PREFIX,
    heartbeatInterval: Number(process.env.HEARTBEAT_INTERVAL ?? 5000),
    heartbeatTimeout: Number(process.env.HEARTBEAT_TIMEOUT ?? 10000),
    requestsTimeout: 2000,
    logger: quiet,
  }),
});

io.on("connection", (socket) => {
  const rooms = socket.handshake.auth?.rooms;
  if (Array.isArray(rooms)) socket.join(rooms);
  socket.on("say", (room, text) => io.to(room).emit("said", { pid: process.pid, text }));
  socket.on("server-count", async (ack) => ack(await io.of("/").adapter.serverCount()));
  socket.on("count-room", async (room, ack) => {
    const sockets = await io.in(room).fetchSockets().catch((err) => err.responses ?? []);
    ack(sockets.length);
  });
});

if (!io.httpServer.listening) await once(io.httpServer, "listening");
process.stdout.write(`${JSON.stringify({ port: io.httpServer.address().port })}\n`);

async function shutdown() {
  await io.close();
  pubClient.disconnect();
  subClient.disconnect();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
