// A roomcast server on the Redis adapter and one @roomcast/client in one process, from the built
// packages, for the trace test: the client connects with a token, joins, emits one event with an
// ack and disconnects; then the server closes. Env: REDIS_URL, TOKEN, SECRET (the event's text).
import { once } from "node:events";
import { io as connect } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { createAdapter } from "@roomcast/redis-adapter";
import { Redis } from "ioredis";

const quiet = { warn: () => {}, error: () => {} };
const { REDIS_URL, TOKEN, SECRET } = process.env;
const pub = new Redis(REDIS_URL);
const sub = pub.duplicate();
const io = new Server(0, { adapter: createAdapter(pub, sub, { logger: quiet }), logger: quiet });
io.use((socket, next) => (socket.handshake.auth.token === TOKEN ? next() : next(new Error("unauthorized"))));
const disconnected = new Promise((resolve) => {
  io.on("connection", (socket) => {
    socket.join("lobby");
    socket.on("chat", (text, ack) => {
      socket.to("lobby").emit("chat", text);
      ack("ok");
    });
    // the client's disconnect() leaves the namespace, then closes its WebSocket
    socket.conn.once("close", resolve);
  });
});
if (!io.httpServer.listening) await once(io.httpServer, "listening");
await new Promise((resolve) => (pub.status === "ready" && sub.status === "ready" ? resolve() : setTimeout(resolve, 200)));

const client = connect(`http://127.0.0.1:${io.httpServer.address().port}`, { auth: { token: TOKEN }, reconnection: false });
await once(client, "connect");
const reply = await client.timeout(5000).emitWithAck("chat", SECRET);
client.disconnect();
await disconnected;
await io.close();
await Promise.all([pub.quit(), sub.quit()]);
process.stdout.write(`${JSON.stringify({ reply })}\n`);
