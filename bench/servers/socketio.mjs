/** Socket.IO 4.8, websocket transport only, as a user would set it up. */
import { createServer } from "node:http";
import { Server } from "socket.io";

export async function start({ host, redisPort, pingInterval }) {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"], serveClient: false, ...(pingInterval !== undefined && { pingInterval }) });
  const redisClients = [];
  if (redisPort) {
    const { Redis } = await import("ioredis");
    const { createAdapter } = await import("@socket.io/redis-adapter");
    const pub = new Redis({ host: "127.0.0.1", port: redisPort, lazyConnect: true });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub));
  }
  io.on("connection", (socket) => {
    const room = socket.handshake.query.room;
    socket.join(typeof room === "string" ? room : "bench");
    socket.on("req", (x, ack) => {
      if (typeof ack === "function") ack(x);
    });
  });
  await new Promise((resolve) => http.listen(0, host, resolve));
  return {
    port: http.address().port,
    broadcast: (room, event, payload) => io.to(room).emit(event, payload),
    roomSize: (room) => io.of("/").adapter.rooms.get(room)?.size ?? 0,
    connections: () => io.of("/").sockets.size,
    sockets: () => [...io.of("/").sockets.values()],
    ask: (socket, payload, done) => socket.emit("req", payload, done),
    async close() {
      await new Promise((resolve) => io.close(() => resolve()));
      for (const c of redisClients) c.disconnect();
    },
  };
}
