/**
 * roomcast, set up as its README tells a user to (JSON codec by default; clients pick the codec).
 * `serverOptions` are added to the defaults: roomcast-sio.mjs passes `socketio: true`,
 * roomcast-recovery.mjs `connectionStateRecovery`. `pingInterval` comes from a workload's settings
 * (memory and scale shorten it so that heartbeats run while they measure).
 */
import { createServer } from "node:http";
import { Server } from "@roomcast/core";

export async function start({ host, redisPort, pingInterval }, serverOptions = {}) {
  const http = createServer();
  const redisClients = [];
  const options = { ...serverOptions };
  if (pingInterval !== undefined) options.pingInterval = pingInterval;
  if (redisPort) {
    const { Redis } = await import("ioredis");
    const { createAdapter } = await import("@roomcast/redis-adapter");
    const pub = new Redis({ host: "127.0.0.1", port: redisPort, lazyConnect: true });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    redisClients.push(pub, sub);
    options.adapter = createAdapter(pub, sub);
  }
  const io = new Server(http, options);
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
    /** The sockets of "/", for acks the server asks for. */
    sockets: () => [...io.of("/").sockets.values()],
    /** Emits "req" with `payload` to `socket`; `done` runs on its ack. */
    ask: (socket, payload, done) => socket.emit("req", payload, done),
    async close() {
      await io.close();
      for (const c of redisClients) c.disconnect();
    },
  };
}
