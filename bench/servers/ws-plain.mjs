/** Bare `ws` the way most people write it: one `ws.send` per recipient per broadcast. */
import { WebSocketServer } from "ws";
import { roomFromUrl } from "./rooms.mjs";

export async function startWs({ host }, makeBroadcast) {
  const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false, clientTracking: false });
  const rooms = new Map();
  let connections = 0;
  wss.on("connection", (ws, req) => {
    const room = roomFromUrl(req.url);
    let members = rooms.get(room);
    if (!members) rooms.set(room, (members = new Set()));
    members.add(ws);
    connections++;
    ws.on("error", () => {});
    ws.on("message", (data) => {
      let request;
      try {
        request = JSON.parse(data);
      } catch {
        return;
      }
      if (Array.isArray(request) && request[1] === "req") ws.send(JSON.stringify([request[0], request[2]]));
    });
    ws.on("close", () => {
      connections--;
      members.delete(ws);
      if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
    });
  });
  wss.on("error", () => {});
  await new Promise((resolve) => wss.once("listening", resolve));
  return {
    port: wss.address().port,
    broadcast: makeBroadcast(rooms),
    roomSize: (room) => rooms.get(room)?.size ?? 0,
    connections: () => connections,
    close: () => new Promise((resolve) => wss.close(() => resolve())),
  };
}

export function start(opts) {
  return startWs(opts, (rooms) => (room, event, payload) => {
    const members = rooms.get(room);
    if (!members) return;
    const text = JSON.stringify([event, payload]);
    for (const ws of members) ws.send(text);
  });
}
