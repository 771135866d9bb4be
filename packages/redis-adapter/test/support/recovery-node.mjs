// One roomcast node with crash-safe recovery (Redis adapter + streams store) in its own process,
// from the built packages. Env: REDIS_URL, PREFIX, NAME, FLUSH_DELAY (sessionFlushDelay, ms),
// MAX_DISCONNECTION (ms). Serves /healthz for load balancers. Prints {"port":N} once listening;
// takes commands over the IPC channel: {id, cmd, ...} answered with {id, ...}.
import { once } from "node:events";
import { createServer } from "node:http";
import { createHealthHandler, Server } from "@roomcast/core";
import { createAdapter, createStreamsStore } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";

const name = process.env.NAME ?? `node-${process.pid}`;
const quiet = { warn: () => {}, error: () => {} };
const pubClient = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 3 });
const subClient = pubClient.duplicate();
const http = createServer((req, res) => {
  if (!health(req, res)) res.writeHead(404).end();
});
const io = new Server(http, {
  logger: quiet,
  socketio: true,
  pingInterval: 1000,
  pingTimeout: 1000,
  adapter: createAdapter(pubClient, subClient, { prefix: process.env.PREFIX, heartbeatInterval: 500, heartbeatTimeout: 2000, requestsTimeout: 2000, logger: quiet }),
  connectionStateRecovery: {
    maxDisconnectionDuration: Number(process.env.MAX_DISCONNECTION ?? 60_000),
    store: createStreamsStore(pubClient, { prefix: process.env.PREFIX, sessionFlushDelay: Number(process.env.FLUSH_DELAY ?? 0) }),
  },
});
const health = createHealthHandler(io);

io.on("connection", (socket) => {
  if (!socket.recovered) {
    const rooms = socket.handshake.auth?.rooms ?? [];
    socket.join(rooms);
    socket.data = { rooms, first: name };
  }
  socket.on("whoami", (ack) => ack(name));
  // a membership change the client asked for: the ack comes only once it is stored
  socket.on("join", (room, ack) => {
    socket.join(room);
    process.send?.({ event: "joined", sid: socket.id, room });
    io.to(room).emit("n", `joined ${room}`);
    ack(name);
  });
  socket.on("set-data", (key, value, ack) => {
    socket.data[key] = value;
    io.of("/").recovery.changed(socket);
    ack(name);
  });
});

const tickers = new Map();
const handlers = {
  /** Emits "n" with 0, 1, 2… to `room` every `every` ms until "stop". */
  pace({ room, every, from = 0 }) {
    const ticker = { n: from, timer: undefined };
    ticker.timer = setInterval(() => io.to(room).emit("n", ticker.n++), every);
    tickers.set(room, ticker);
    return {};
  },
  /** Stops "pace"; answers the next number it would have sent. */
  stop({ room }) {
    const ticker = tickers.get(room);
    clearInterval(ticker.timer);
    tickers.delete(room);
    return { next: ticker.n };
  },
  emit({ room, value }) {
    io.to(room).emit("n", value);
    return {};
  },
  socket({ sid }) {
    const socket = io.of("/").sockets.get(sid);
    return socket === undefined ? { found: false } : { found: true, rooms: [...socket.rooms], data: socket.data, recovered: socket.recovered };
  },
  stats() {
    const recovery = io.of("/").recovery;
    return { stats: { ...recovery.stats }, sockets: io.of("/").sockets.size, liveSessions: recovery.store.live.size, dirty: recovery.store.live.dirtyCount };
  },
};

process.on("message", async (msg) => {
  try {
    process.send({ id: msg.id, ...(await handlers[msg.cmd](msg)) });
  } catch (err) {
    process.send({ id: msg.id, error: String(err?.stack ?? err) });
  }
});

http.listen(0, "127.0.0.1");
if (!http.listening) await once(http, "listening");
process.stdout.write(`${JSON.stringify({ port: http.address().port })}\n`);

async function shutdown() {
  for (const ticker of tickers.values()) clearInterval(ticker.timer);
  await io.close();
  pubClient.disconnect();
  subClient.disconnect();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("disconnect", () => process.exit(0));
