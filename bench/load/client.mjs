/**
 * A load-client process: opens `count` WebSocket connections to one server and runs what the
 * runner asks (count fan-out bursts, record latency, drive acks, idle). Config arrives as JSON in
 * argv[2]; commands over IPC (see lib/child.mjs).
 */
import WebSocket from "ws";
import { serveIpc } from "../lib/child.mjs";
import { Histogram, nowMs } from "../lib/histogram.mjs";
import { fixedPayload, readStamp } from "../lib/payload.mjs";
import { dialects, Kind } from "./dialects.mjs";

const config = JSON.parse(process.argv[2]);
const dialect = dialects[config.system];
if (!dialect) throw new Error(`unknown system ${config.system}`);

const sockets = [];
let open = 0;
let ready = 0;
let failed = 0;
let lastError = "";

// Fan-out state: per-connection event counts and, per burst, how many connections finished it.
let counts = new Uint32Array(0);
let burstSize = 0;
let burstDone = new Uint32Array(0);
let mode = "idle";
const latency = new Histogram();
// Ack state: the one request in flight per connection.
let ackSentAt = new Float64Array(0);
let acksDone = 0;
let ackRunning = false;
let ackRecording = false;
let ackLatency = new Histogram();
const ackPayload = fixedPayload();
/* The reply to the server's own ack requests: the same 64-byte payload, as JSON. */
const replyJson = JSON.stringify(ackPayload);

function onFrame(index, socket, data) {
  const kind = dialect.classify(data);
  switch (kind) {
    case Kind.EVENT:
      if (mode === "fanout") {
        const c = ++counts[index];
        if (c % burstSize === 0) {
          const k = c / burstSize - 1;
          if (++burstDone[k] === sockets.length) process.send({ type: "burst-done", burst: k });
        }
      } else if (mode === "latency") {
        latency.record(nowMs() - readStamp(dialect.eventPayload(data)));
      }
      return;
    case Kind.ACK: {
      if (!ackRunning) return;
      const t = nowMs();
      if (ackRecording) {
        ackLatency.record(t - ackSentAt[index]);
        acksDone++;
      }
      ackSentAt[index] = t;
      socket.send(dialect.ackRequest(index, ackPayload));
      return;
    }
    case Kind.REQUEST:
      // the server asks and counts (acks, server to client): answer at once
      socket.send(dialect.ackReply(data, replyJson));
      return;
    case Kind.PING:
      if (dialect.pong) socket.send(dialect.pong);
      return;
    case Kind.OPEN:
      socket.send(dialect.openReply);
      return;
    case Kind.READY:
      ready++;
      return;
    default:
  }
}

function connectOne(index) {
  return new Promise((resolve) => {
    const room = config.rooms ? config.rooms[index % config.rooms.length] : config.room ?? "bench";
    const local = config.localAddresses?.[index % config.localAddresses.length];
    const socket = new WebSocket(config.url + dialect.path(room), dialect.protocols, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      localAddress: local,
      handshakeTimeout: 30_000,
    });
    sockets[index] = socket;
    let settled = false;
    socket.on("open", () => {
      open++;
      dialect.onOpen(socket);
      if (dialect.readyOnOpen) ready++;
      settled = true;
      resolve();
    });
    socket.on("message", (data) => onFrame(index, socket, data));
    socket.on("error", (err) => {
      lastError = err.code ?? err.message;
      if (!settled) {
        settled = true;
        failed++;
        resolve();
      }
    });
    socket.on("close", () => {
      if (settled) open--;
    });
  });
}

async function connectAll(count, concurrency) {
  let next = 0;
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push(
      (async () => {
        while (next < count) await connectOne(next++);
      })(),
    );
  }
  await Promise.all(workers);
}

serveIpc({
  async connect() {
    await connectAll(config.count, config.concurrency ?? 64);
    return { open, failed, lastError };
  },
  state: () => ({ open, ready, failed, lastError }),
  fanout(msg) {
    burstSize = msg.burstSize;
    counts = new Uint32Array(sockets.length);
    burstDone = new Uint32Array(Math.ceil(msg.total / burstSize));
    mode = "fanout";
    return {};
  },
  latencyStart() {
    latency.counts.fill(0);
    latency.total = latency.sum = latency.max = 0;
    mode = "latency";
    return {};
  },
  latencyStop() {
    mode = "idle";
    return { histogram: latency.toJSON() };
  },
  /** Keeps one ack request in flight per connection; counts only after `warmupMs`. */
  async acks(msg) {
    ackSentAt = new Float64Array(sockets.length);
    ackLatency = new Histogram();
    acksDone = 0;
    ackRunning = true;
    for (let i = 0; i < sockets.length; i++) {
      ackSentAt[i] = nowMs();
      sockets[i].send(dialect.ackRequest(i, ackPayload));
    }
    await new Promise((r) => setTimeout(r, msg.warmupMs));
    ackRecording = true;
    const start = nowMs();
    await new Promise((r) => setTimeout(r, msg.durationMs));
    ackRecording = false;
    const elapsedMs = nowMs() - start;
    ackRunning = false;
    // Let the last replies land before a following run starts.
    await new Promise((r) => setTimeout(r, 200));
    return { acks: acksDone, elapsedMs, histogram: ackLatency.toJSON() };
  },
  memory: () => ({ rss: process.memoryUsage().rss }),
  exit() {
    for (const socket of sockets) socket?.terminate();
  },
});
process.send({ type: "started" });
