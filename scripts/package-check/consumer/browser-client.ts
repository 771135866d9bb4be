// The client as a browser app sees it: DOM types and no Node types at all.
import { io } from "@roomcast/client";
import { msgpackCodec } from "@roomcast/client/msgpack";
import type { ClientToServer, ServerToClient } from "./events.js";

const socket = io<ServerToClient, ClientToServer>(location.origin, { codec: msgpackCodec });
socket.on("news", (text) => {
  document.title = text;
});
socket.emit("hello", "browser", (reply) => console.log(reply.greeting));
