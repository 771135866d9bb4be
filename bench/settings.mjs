/**
 * Workload sizes. `full` is what the issue specifies; `quick` is a smoke run small enough to leave
 * a shared 2-core machine usable. `systems` lists who takes part in each workload.
 */
const ALL = ["roomcast", "socketio", "ws", "ws-ref"];
/* roomcast's Socket.IO endpoint, against Socket.IO with the same clients; last, so the others run as before */
const SIO_DIALECT = "roomcast-sio";

export const full = {
  fanout: { systems: [...ALL, SIO_DIALECT], clients: 1000, broadcasts: 1000, burstSize: 50, window: 2, clientProcesses: 2, deadlineMs: 180_000 },
  latency: { systems: [...ALL, SIO_DIALECT], clients: 1000, rate: 50, warmupMs: 2000, durationMs: 10_000, clientProcesses: 2, deadlineMs: 120_000 },
  acks: { systems: ["roomcast", "socketio", "ws", SIO_DIALECT], clients: 100, warmupMs: 1000, durationMs: 5000, clientProcesses: 1, deadlineMs: 60_000 },
  memory: { systems: ["roomcast", "socketio", "ws"], connections: 10_000, clientProcesses: 4, deadlineMs: 240_000 },
  crossnode: { systems: ["roomcast", "socketio"], clients: 1000, rate: 50, warmupMs: 2000, durationMs: 10_000, deadlineMs: 120_000 },
  size: { deadlineMs: 60_000 },
  scale: { systems: ["roomcast", "ws"], target: 50_000, step: 10_000, settleMs: 30_000, deadlineMs: 420_000 },
};

export const quick = {
  fanout: { ...full.fanout, clients: 200, broadcasts: 200, clientProcesses: 1, deadlineMs: 60_000 },
  latency: { ...full.latency, clients: 200, warmupMs: 500, durationMs: 2000, clientProcesses: 1, deadlineMs: 60_000 },
  acks: { ...full.acks, clients: 50, warmupMs: 300, durationMs: 1500, deadlineMs: 30_000 },
  memory: { ...full.memory, connections: 1000, clientProcesses: 1, deadlineMs: 60_000 },
  crossnode: { ...full.crossnode, clients: 200, warmupMs: 1000, durationMs: 2000, deadlineMs: 60_000 },
  size: full.size,
  scale: { ...full.scale, target: 5000, step: 2500, settleMs: 10_000, deadlineMs: 120_000 },
};
