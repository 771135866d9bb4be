/**
 * Bare `ws` the way most people write it: one `ws.send` per recipient per broadcast. Acks are
 * JSON arrays: a client's request `[id,"req",payload]` is answered `[id,payload]`; the server's own
 * `["req",id,payload]` is answered `[id,payload]` and settled from a per-socket map of callbacks.
 * Heartbeat only when a workload sets `pingInterval` (memory, scale): then the one ws's README
 * shows (`isAlive` per socket, a `pong` listener, `ping()` to everyone every interval, terminate
 * who did not answer the previous one), so that idle connections compare with heartbeats on.
 */
import { WebSocketServer } from "ws";
import { roomFromUrl } from "./rooms.mjs";

function heartbeat() {
  this.isAlive = true;
}

export async function startWs({ host, pingInterval }, makeBroadcast) {
  const wss = new WebSocketServer({ host, port: 0, perMessageDeflate: false, clientTracking: false });
  const rooms = new Map();
  const all = new Set();
  let connections = 0;
  wss.on("connection", (ws, req) => {
    all.add(ws);
    if (pingInterval !== undefined) {
      ws.isAlive = true;
      ws.on("pong", heartbeat);
    }
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
      if (!Array.isArray(request)) return;
      if (request[1] === "req") ws.send(JSON.stringify([request[0], request[2]]));
      else {
        const done = ws.acks?.get(request[0]);
        if (done === undefined) return;
        ws.acks.delete(request[0]);
        done(request[1]);
      }
    });
    ws.on("close", () => {
      all.delete(ws);
      connections--;
      members.delete(ws);
      if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
    });
  });
  wss.on("error", () => {});
  const pinger =
    pingInterval === undefined
      ? undefined
      : setInterval(() => {
          for (const ws of all) {
            if (ws.isAlive === false) {
              ws.terminate();
              continue;
            }
            ws.isAlive = false;
            ws.ping();
          }
        }, pingInterval);
  await new Promise((resolve) => wss.once("listening", resolve));
  return {
    port: wss.address().port,
    broadcast: makeBroadcast(rooms),
    roomSize: (room) => rooms.get(room)?.size ?? 0,
    connections: () => connections,
    sockets: () => [...all],
    ask(ws, payload, done) {
      ws.acks ??= new Map();
      ws.nextAck = (ws.nextAck ?? 0) + 1;
      ws.acks.set(ws.nextAck, done);
      ws.send(JSON.stringify(["req", ws.nextAck, payload]));
    },
    close: () => {
      clearInterval(pinger);
      return new Promise((resolve) => wss.close(() => resolve()));
    },
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
