/**
 * A server process for one system. The runner forks it with `--expose-gc` (and `--cpu-prof` when
 * profiling), reads its port from the `ready` message, then drives broadcasts over IPC. The server
 * reports its own cpuUsage and memoryUsage, so client processes never count against it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapStatistics, writeHeapSnapshot } from "node:v8";
import { serveIpc } from "../lib/child.mjs";
import { Histogram, nowMs } from "../lib/histogram.mjs";
import { fixedPayload, stampedPayload } from "../lib/payload.mjs";

const config = JSON.parse(process.argv[2]);
const impl = await import(`./${config.system === "ws" ? "ws-plain" : config.system}.mjs`);
const server = await impl.start({ host: config.host ?? "127.0.0.1", redisPort: config.redisPort, pingInterval: config.pingInterval });

function gc() {
  if (typeof globalThis.gc !== "function") return;
  // Several passes so weak and finalised objects are really gone before heap is read.
  for (let i = 0; i < 4; i++) globalThis.gc();
}

/** memoryUsage reads /proc, which needs a free descriptor; at the fd limit fall back to V8's view. */
function memory() {
  try {
    return process.memoryUsage();
  } catch {
    const heap = getHeapStatistics();
    return { heapUsed: heap.used_heap_size, heapTotal: heap.total_heap_size, external: heap.external_memory, rss: NaN, arrayBuffers: NaN };
  }
}

function stats() {
  return { cpu: process.cpuUsage(), mem: memory(), connections: server.connections() };
}

let paced = undefined;
let profiler = undefined;

serveIpc({
  stats,
  gc() {
    gc();
    return stats();
  },
  /** Starts V8's CPU profiler on this process (the same profiler as --cpu-prof, for one phase). */
  async profileStart() {
    profiler = new Session();
    profiler.connect();
    const post = (method, params) => new Promise((resolve, reject) => profiler.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: 200 });
    await post("Profiler.start");
    return {};
  },
  async profileStop(msg) {
    if (!profiler) return {};
    const session = profiler;
    profiler = undefined;
    const { profile } = await new Promise((resolve, reject) => session.post("Profiler.stop", (err, r) => (err ? reject(err) : resolve(r))));
    session.disconnect();
    writeFileSync(msg.file, JSON.stringify(profile));
    return { file: msg.file };
  },
  /** Writes a heap snapshot (after gc) for tools/heap-diff.mjs. */
  heapSnapshot(msg) {
    gc();
    return { file: writeHeapSnapshot(msg.file) };
  },
  roomSize: (msg) => ({ size: server.roomSize(msg.room) }),
  /** `count` broadcasts in one synchronous loop: a burst. */
  burst(msg) {
    const payload = fixedPayload();
    for (let i = 0; i < msg.count; i++) server.broadcast(msg.room, "m", payload);
    return {};
  },
  /** Broadcasts a time-stamped payload `rate` times a second until `durationMs` passes. */
  paced(msg) {
    // The server's own event-loop delay tells server stalls from client-side ones.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    return new Promise((resolve) => {
      const interval = 1000 / msg.rate;
      const start = nowMs();
      let sent = 0;
      const tick = () => {
        const now = nowMs();
        if (now - start >= msg.durationMs) {
          paced = undefined;
          delay.disable();
          resolve({ sent, loopDelayP99: delay.percentile(99) / 1e6, loopDelayMax: delay.max / 1e6 });
          return;
        }
        server.broadcast(msg.room, "m", stampedPayload(nowMs()));
        sent++;
        // Schedule against the ideal timeline so slow ticks do not lower the rate.
        const next = start + (sent) * interval;
        paced = setTimeout(tick, Math.max(0, next - nowMs()));
      };
      tick();
    });
  },
  /**
   * Acks asked by the server: each socket of "/" gets "req" with the 64-byte payload and, on its
   * ack, the next one (exactly one in flight per socket). Counts and times the acks of the
   * `durationMs` after `warmupMs`, and the server's CPU over that window.
   */
  acksOut(msg) {
    const sockets = server.sockets();
    const payload = fixedPayload();
    const sentAt = new Float64Array(sockets.length);
    const histogram = new Histogram();
    let running = true;
    let recording = false;
    let acks = 0;
    // one callback per socket, made once: the loop itself allocates nothing per ack
    const asks = sockets.map((socket, i) => {
      const done = () => {
        if (!running) return;
        const t = nowMs();
        if (recording) {
          histogram.record(t - sentAt[i]);
          acks++;
        }
        sentAt[i] = t;
        server.ask(socket, payload, done);
      };
      return () => {
        sentAt[i] = nowMs();
        server.ask(socket, payload, done);
      };
    });
    for (const ask of asks) ask();
    return new Promise((resolve) => {
      setTimeout(() => {
        recording = true;
        const cpu0 = process.cpuUsage();
        const t0 = nowMs();
        setTimeout(() => {
          recording = false;
          running = false;
          const cpu = process.cpuUsage(cpu0);
          const elapsedMs = nowMs() - t0;
          resolve({ acks, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, histogram: histogram.toJSON() });
        }, msg.durationMs);
      }, msg.warmupMs);
    });
  },
  async exit() {
    if (paced) clearTimeout(paced);
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2000))]);
  },
});
/** The open-files limit decides how many connections one process can hold; report it. */
function fdLimit() {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line.slice("Max open files".length).trim().split(/\s+/);
    return { soft: Number(soft) || soft, hard: Number(hard) || hard };
  } catch {
    return undefined;
  }
}

process.send({ type: "ready", port: server.port, fdLimit: fdLimit() });
