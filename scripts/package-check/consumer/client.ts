// A new user's Node client, built from the packed packages: connects, emits with an ack, checks
// the reply and a broadcast that came through Redis, then disconnects (exit code 0).
import { io } from "@roomcast/client";
import type { ClientToServer, ServerToClient } from "./events.js";

const socket = io<ServerToClient, ClientToServer>(process.env.ROOMCAST_URL, { reconnection: false });
const news = new Promise<string>((resolve, reject) => {
  socket.once("news", resolve);
  setTimeout(() => reject(new Error("no news broadcast within 5000 ms")), 5000).unref();
});

const reply = await socket.timeout(5000).emitWithAck("hello", "stranger");
if (reply.greeting !== "hello stranger") throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
console.log(`reply ${JSON.stringify(reply)}, news "${await news}"`);
socket.disconnect();
