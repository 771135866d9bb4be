/**
 * Load clients of the `sessions` workload: `count` @roomcast/client sockets that connect as fast
 * as `concurrency` allows, then each join and leave rooms in a loop (one request in flight per
 * socket), timing each round trip. Config in argv[2]; commands over IPC (see lib/child.mjs).
 */
import { io } from "@roomcast/client";
import { serveIpc } from "../lib/child.mjs";
import { Histogram, nowMs } from "../lib/histogram.mjs";

const config = JSON.parse(process.argv[2]);
const sockets = [];

function connectOne() {
  return new Promise((resolve, reject) => {
    const socket = io(config.url, { forceNew: true, reconnection: false, transports: ["websocket"] });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

serveIpc({
  async connect() {
    const started = nowMs();
    let next = 0;
    const workers = Array.from({ length: config.concurrency }, async () => {
      while (next++ < config.count) sockets.push(await connectOne());
    });
    await Promise.all(workers);
    return { connected: sockets.length, elapsedMs: nowMs() - started };
  },
  /** Every socket joins then leaves one of `rooms` rooms, again and again, for `durationMs`. */
  async churn({ durationMs, rooms }) {
    const joins = new Histogram();
    const leaves = new Histogram();
    const end = nowMs() + durationMs;
    const started = nowMs();
    await Promise.all(
      sockets.map(async (socket, i) => {
        for (let n = 0; nowMs() < end; n++) {
          const room = `room-${(i + n) % rooms}`;
          let t = nowMs();
          await socket.emitWithAck("join", room);
          joins.record(nowMs() - t);
          t = nowMs();
          await socket.emitWithAck("leave", room);
          leaves.record(nowMs() - t);
        }
      }),
    );
    return { joins: joins.toJSON(), leaves: leaves.toJSON(), elapsedMs: nowMs() - started };
  },
  exit() {
    for (const socket of sockets) socket.disconnect();
  },
});
process.send({ type: "started" });
