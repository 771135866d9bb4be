/**
 * Workload sizes. `full` is what the issue specifies; `quick` is a smoke run small enough to leave
 * a shared 2-core machine usable. `systems` lists who takes part in each workload.
 */
const ALL = ["roomcast", "socketio", "ws", "ws-ref"];
/* roomcast's Socket.IO endpoint, against Socket.IO with the same clients; last, so the others run as before */
const SIO_DIALECT = "roomcast-sio";

export const full = {
  fanout: { systems: [...ALL, SIO_DIALECT, "roomcast-traced"], clients: 1000, broadcasts: 1000, burstSize: 50, window: 2, clientProcesses: 2, deadlineMs: 180_000 },
  /* clients on each system's own library (@roomcast/client, socket.io-client, ws + JSON.parse) */
  latency: { systems: [...ALL, SIO_DIALECT], library: true, clients: 1000, rate: 50, warmupMs: 2000, durationMs: 10_000, clientProcesses: 2, deadlineMs: 150_000 },
  /* the same with clients that speak each wire protocol over bare ws: the servers' share alone */
  "latency-raw": { systems: [...ALL, SIO_DIALECT], clients: 1000, rate: 50, warmupMs: 2000, durationMs: 10_000, clientProcesses: 2, deadlineMs: 120_000 },
  /* client to server, then (serverToClient) server to client */
  acks: { systems: ["roomcast", "socketio", "ws", SIO_DIALECT], serverToClient: true, clients: 100, warmupMs: 1000, durationMs: 5000, clientProcesses: 1, deadlineMs: 90_000 },
  /* the acks workload twice on roomcast: plain EVENT_WITH_ACK, then EVENT_ONCE (exactly once) */
  once: { systems: ["roomcast", "roomcast-once"], clients: 100, warmupMs: 1000, durationMs: 5000, clientProcesses: 1, deadlineMs: 60_000 },
  /*
   * Each connection in one room, heartbeats on (every pingInterval ms; read after two rounds), no
   * recovery; roomcast-recovery repeats roomcast with connection-state recovery on, roomcast-sio
   * serves the same raw Engine.IO/Socket.IO clients as Socket.IO.
   */
  memory: {
    systems: ["roomcast", "socketio", "ws", "roomcast-recovery", SIO_DIALECT],
    connections: 10_000,
    pingInterval: 2000,
    heartbeatRounds: 2,
    clientProcesses: 4,
    deadlineMs: 240_000,
  },
  crossnode: { systems: ["roomcast", "socketio"], clients: 1000, rate: 50, warmupMs: 2000, durationMs: 10_000, deadlineMs: 120_000 },
  size: { deadlineMs: 60_000 },
  /* up to 50k, capped 1000 below the open-files limit (19k here); heartbeats every 5 s, idle CPU over 20 s */
  scale: { systems: ["roomcast", "ws"], target: 50_000, step: 10_000, settleMs: 30_000, pingInterval: 5000, heartbeatWindowMs: 20_000, deadlineMs: 420_000 },
  /* roomcast alone, with and without crash-safe recovery (the Redis Streams store) */
  sessions: { systems: ["roomcast"], clients: 500, connectConcurrency: 50, rooms: 10, durationMs: 5000, deadlineMs: 120_000 },
  /* three nodes with recovery on (Redis Streams store); what a node without members in a room reads of its broadcasts */
  roomscope: { systems: ["roomcast"], clientsPerNode: 20, broadcasts: 5000, rate: 1000, deadlineMs: 90_000 },
};

export const quick = {
  fanout: { ...full.fanout, clients: 200, broadcasts: 200, clientProcesses: 1, deadlineMs: 60_000 },
  latency: { ...full.latency, clients: 200, warmupMs: 500, durationMs: 2000, clientProcesses: 1, deadlineMs: 60_000 },
  "latency-raw": { ...full["latency-raw"], clients: 200, warmupMs: 500, durationMs: 2000, clientProcesses: 1, deadlineMs: 60_000 },
  acks: { ...full.acks, clients: 50, warmupMs: 300, durationMs: 1500, deadlineMs: 30_000 },
  once: { ...full.once, clients: 50, warmupMs: 300, durationMs: 1500, deadlineMs: 30_000 },
  memory: { ...full.memory, connections: 1000, heartbeatRounds: 1, clientProcesses: 1, deadlineMs: 60_000 },
  crossnode: { ...full.crossnode, clients: 200, warmupMs: 1000, durationMs: 2000, deadlineMs: 60_000 },
  size: full.size,
  scale: { ...full.scale, target: 5000, step: 2500, settleMs: 10_000, heartbeatWindowMs: 5000, deadlineMs: 120_000 },
  sessions: { ...full.sessions, clients: 200, durationMs: 2000, deadlineMs: 60_000 },
  roomscope: { ...full.roomscope, broadcasts: 1000, deadlineMs: 60_000 },
};
