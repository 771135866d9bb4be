/**
 * Rough memory cost of connection-state recovery in the in-memory store: bytes per kept packet
 * (a 64-byte payload, encoded once for JSON clients as a live broadcast does) and per kept
 * session. After a build: node --expose-gc packages/core/scripts/recovery-memory.mjs
 */
import { jsonCodec } from "@roomcast/protocol";
import { InMemoryRecoveryStore } from "../dist/index.js";

const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");

function used() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const COUNT = 100_000;
const payload = "x".repeat(64);
const rooms = new Set(["lobby"]);

const store = new InMemoryRecoveryStore({
  nsp: "/",
  maxDisconnectionDuration: 3_600_000,
  maxPackets: COUNT,
  deliver: (packet) => void packet.frame(jsonCodec),
  warn: () => {},
});
let before = used();
for (let i = 0; i < COUNT; i++) store.append(["chat", { text: payload }], { rooms });
const perPacket = (used() - before) / COUNT;

before = used();
for (let i = 0; i < COUNT; i++) {
  store.persistSession({ pid: `${i}`.padStart(16, "p"), sid: `${i}`.padStart(16, "s"), rooms: ["lobby", `user:${i}`], data: { name: `user ${i}` } }, 3_600_000);
}
const perSession = (used() - before) / COUNT;
console.log(JSON.stringify({ packets: store.size, sessions: store.sessionCount, bytesPerPacket: Math.round(perPacket), bytesPerSession: Math.round(perSession) }));
store.close();
