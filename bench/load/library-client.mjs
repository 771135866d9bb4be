/**
 * A load-client process that runs each system's own client library, as its users run it:
 * `@roomcast/client` for roomcast, `socket.io-client` for Socket.IO and for roomcast's Socket.IO
 * endpoint, and a `ws` WebSocket with `JSON.parse` per message for the bare-ws servers. Every
 * connection is a client of its own (`forceNew`), joined to the room named in its query, listening
 * to "m". It records the latency of each "m" and the CPU this process spends while it does, so
 * the runner can report the client's cost per received message next to the latency.
 *
 * Speaks the same IPC commands as client.mjs for what the latency workload needs: connect,
 * latencyStart, latencyStop, exit.
 */
import WebSocket from "ws";
import { io as roomcastIo } from "@roomcast/client";
import { io as socketIoClient } from "socket.io-client";
import { serveIpc } from "../lib/child.mjs";
import { Histogram, nowMs } from "../lib/histogram.mjs";
import { readStamp } from "../lib/payload.mjs";

const config = JSON.parse(process.argv[2]);

const clients = [];
let failed = 0;
let lastError = "";
let recording = false;
const latency = new Histogram();
let received = 0;
let cpuAtStart = process.cpuUsage();
let startedAt = 0;

function onMessage(payload) {
  if (!recording) return;
  received++;
  latency.record(nowMs() - readStamp(payload));
}

/** Opens one client of `config.system`; resolves once it may receive broadcasts (or failed). */
const OPEN = {
  roomcast(room) {
    const socket = roomcastIo(config.url, { forceNew: true, query: { room }, reconnection: false });
    clients.push({ close: () => socket.disconnect() });
    socket.on("m", onMessage);
    return new Promise((resolve) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (err) => resolve((failed++, (lastError = err.message))));
    });
  },
  socketio(room) {
    const socket = socketIoClient(config.url, { forceNew: true, transports: ["websocket"], query: { room }, reconnection: false });
    clients.push({ close: () => socket.disconnect() });
    socket.on("m", onMessage);
    return new Promise((resolve) => {
      socket.once("connect", resolve);
      socket.once("connect_error", (err) => resolve((failed++, (lastError = err.message))));
    });
  },
  ws(room) {
    const socket = new WebSocket(`${config.url}/?room=${encodeURIComponent(room)}`);
    clients.push({ close: () => socket.terminate() });
    socket.on("message", (data) => {
      const message = JSON.parse(data);
      if (message[0] === "m") onMessage(message[1]);
    });
    return new Promise((resolve) => {
      socket.once("open", resolve);
      socket.once("error", (err) => resolve((failed++, (lastError = err.code ?? err.message))));
    });
  },
};
const LIBRARY = { roomcast: OPEN.roomcast, socketio: OPEN.socketio, "roomcast-sio": OPEN.socketio, ws: OPEN.ws, "ws-ref": OPEN.ws };
const open = LIBRARY[config.system];
if (!open) throw new Error(`no client library for system ${config.system}`);

async function connectAll(count, concurrency) {
  let next = 0;
  const room = config.room ?? "bench";
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push(
      (async () => {
        while (next < count) {
          next++;
          await open(room);
        }
      })(),
    );
  }
  await Promise.all(workers);
}

serveIpc({
  async connect() {
    await connectAll(config.count, config.concurrency ?? 32);
    return { open: clients.length - failed, failed, lastError };
  },
  latencyStart() {
    latency.counts.fill(0);
    latency.total = latency.sum = latency.max = 0;
    received = 0;
    cpuAtStart = process.cpuUsage();
    startedAt = nowMs();
    recording = true;
    return {};
  },
  latencyStop() {
    recording = false;
    const cpu = process.cpuUsage(cpuAtStart);
    return { histogram: latency.toJSON(), received, cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: nowMs() - startedAt };
  },
  exit() {
    for (const client of clients) client.close();
  },
});
process.send({ type: "started" });
