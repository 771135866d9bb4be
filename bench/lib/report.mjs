/**
 * Turns one run's raw results into the table: one row per figure, one column per system, the
 * ratios the targets are stated in, and whether each target held. Nothing here fails a run.
 */

export const SYSTEMS = ["roomcast", "socketio", "ws", "ws-ref"];
const SYSTEM_LABEL = { roomcast: "roomcast", socketio: "Socket.IO", ws: "ws", "ws-ref": "ws-ref" };

/** Which system's result fills each column: by default a column shows its own system. */
const OWN_COLUMNS = Object.fromEntries(SYSTEMS.map((s) => [s, s]));
/*
 * Rows about roomcast's Socket.IO endpoint (system roomcast-sio) put its figure in the roomcast
 * column next to Socket.IO's, so rc/SIO compares two servers speaking the same protocol to the
 * same clients. ws and ws-ref speak neither, so those columns stay empty.
 */
const SIO_DIALECT = { roomcast: "roomcast-sio", socketio: "socketio" };

/* Memory with connection-state recovery on (system roomcast-recovery) in the roomcast column. */
const RECOVERY = { roomcast: "roomcast-recovery", socketio: "socketio", ws: "ws" };

/* The exactly-once rows: roomcast's acks as EVENT_ONCE (system roomcast-once), next to the plain ones of the same run. */
const ONCE = { roomcast: "roomcast-once" };

const int = (v) => Math.round(v).toLocaleString("en-US");
const ms = (v) => v.toFixed(2);
const bytes = (v) => int(v);
const kb = (v) => `${(v / 1024).toFixed(2)} KB`;

const sizeOf = (name) => (r) => ({ roomcast: r[name]?.gzipBytes, socketio: r["socket.io-client"]?.gzipBytes });

/**
 * `targets`: ratio to another system (`vs`) or an absolute bound; `max` / `min` say which side.
 * `columns`: which system fills each column, when not the column's own (see SIO_DIALECT).
 */
export const ROWS = [
  { workload: "fanout", key: "deliveriesPerSec", label: "fan-out deliveries/s", fmt: int, better: "higher" },
  { workload: "fanout", key: "cpuMsPer1000", label: "fan-out server CPU ms / 1000 deliveries", fmt: ms, better: "lower", targets: [{ vs: "socketio", max: 0.25 }, { vs: "ws-ref", max: 1.5 }] },
  {
    workload: "fanout",
    label: "fan-out server CPU, DEBUG=roomcast:* on / off",
    values: (r) => ({ roomcast: ratio(r["roomcast-traced"]?.cpuMsPer1000, r.roomcast?.cpuMsPer1000) }),
    fmt: (v) => `${v.toFixed(2)}×`,
    better: "lower",
  },
  { workload: "fanout", key: "deliveriesPerSec", columns: SIO_DIALECT, label: "fan-out deliveries/s, Socket.IO dialect", fmt: int, better: "higher" },
  { workload: "fanout", key: "cpuMsPer1000", columns: SIO_DIALECT, label: "fan-out server CPU ms / 1000 deliveries, Socket.IO dialect", fmt: ms, better: "lower", targets: [{ vs: "socketio", max: 0.25 }] },
  { workload: "latency", key: "p50", label: "paced latency p50 (ms), client libraries", fmt: ms, better: "lower", targets: [{ vs: "ws", max: 1.1 }] },
  { workload: "latency", key: "p99", label: "paced latency p99 (ms), client libraries", fmt: ms, better: "lower", targets: [{ vs: "ws", max: 1.1 }] },
  { workload: "latency", key: "clientCpuUsPerMessage", label: "client process CPU µs / received message, client libraries", fmt: ms, better: "lower" },
  {
    // what each library adds to reading the same frames with ws and JSON.parse: its own decode and emit path
    workload: "latency",
    label: "client library CPU µs / received message, above bare ws",
    values: (r) => {
      const base = r.ws?.clientCpuUsPerMessage;
      const out = {};
      for (const s of ["roomcast", "socketio"]) {
        const d = difference(r[s]?.clientCpuUsPerMessage, base);
        if (d !== undefined) out[s] = d;
      }
      return out;
    },
    fmt: ms,
    better: "lower",
    targets: [{ vs: "socketio", max: 0.5 }],
  },
  { workload: "latency", key: "p50", columns: SIO_DIALECT, label: "paced latency p50 (ms), client libraries, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "latency", key: "p99", columns: SIO_DIALECT, label: "paced latency p99 (ms), client libraries, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "latency", key: "serverCpuUsPerDelivery", label: "paced: server CPU µs per delivery (one broadcast per tick)", fmt: ms, better: "lower" },
  { workload: "latency-raw", key: "p50", label: "paced latency p50 (ms), raw-dialect clients", fmt: ms, better: "lower" },
  { workload: "latency-raw", key: "p99", label: "paced latency p99 (ms), raw-dialect clients", fmt: ms, better: "lower" },
  { workload: "latency-raw", key: "p99", columns: SIO_DIALECT, label: "paced latency p99 (ms), raw-dialect clients, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "acks", key: "acksPerSec", label: "acks/s, client to server", fmt: int, better: "higher", targets: [{ vs: "ws", min: 0.9 }] },
  { workload: "acks", key: "serverCpuMsPer1000", label: "acks client to server: server CPU ms / 1000 acks", fmt: ms, better: "lower", targets: [{ vs: "ws", max: 1.1 }] },
  { workload: "acks", key: "p50", label: "ack p50 (ms), client to server", fmt: ms, better: "lower" },
  { workload: "acks", key: "p99", label: "ack p99 (ms), client to server", fmt: ms, better: "lower" },
  { workload: "acks", key: "serverToClient.acksPerSec", label: "acks/s, server to client", fmt: int, better: "higher", targets: [{ vs: "ws", min: 0.9 }] },
  { workload: "acks", key: "serverToClient.serverCpuMsPer1000", label: "acks server to client: server CPU ms / 1000 acks", fmt: ms, better: "lower", targets: [{ vs: "ws", max: 1.1 }] },
  { workload: "acks", key: "serverToClient.p99", label: "ack p99 (ms), server to client", fmt: ms, better: "lower" },
  { workload: "acks", key: "acksPerSec", columns: SIO_DIALECT, label: "acks/s, client to server, Socket.IO dialect", fmt: int, better: "higher" },
  { workload: "acks", key: "serverCpuMsPer1000", columns: SIO_DIALECT, label: "acks client to server: server CPU ms / 1000 acks, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "acks", key: "serverToClient.serverCpuMsPer1000", columns: SIO_DIALECT, label: "acks server to client: server CPU ms / 1000 acks, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "once", key: "serverCpuMsPer1000", columns: ONCE, label: "acks with an id (exactly once): server CPU ms / 1000 acks", fmt: ms, better: "lower" },
  { workload: "once", key: "acksPerSec", columns: ONCE, label: "acks/s with an id (exactly once)", fmt: int, better: "higher" },
  {
    workload: "once",
    label: "exactly once: server CPU per ack, with ids / plain acks",
    values: (r) => ({ roomcast: ratio(r["roomcast-once"]?.serverCpuMsPer1000, r.roomcast?.serverCpuMsPer1000) }),
    fmt: (v) => `${v.toFixed(2)}×`,
    better: "lower",
  },
  { workload: "memory", key: "heapPerConn", label: "heap per idle connection (B)", fmt: bytes, better: "lower", targets: [{ vs: "ws", max: 1.2 }] },
  { workload: "memory", key: "rssPerConn", label: "RSS per idle connection (B)", fmt: bytes, better: "lower", targets: [{ vs: "ws", max: 1.25 }] },
  { workload: "memory", key: "heapPerConn", columns: RECOVERY, label: "heap per idle connection (B), recovery on", fmt: bytes, better: "lower" },
  {
    workload: "memory",
    label: "heap per idle connection, recovery on − off (B)",
    values: (r) => {
      const d = difference(r["roomcast-recovery"]?.heapPerConn, r.roomcast?.heapPerConn);
      return d === undefined ? {} : { roomcast: d };
    },
    fmt: bytes,
    better: "lower",
    targets: [{ max: 1024, unit: "1 KB" }],
  },
  { workload: "memory", key: "heapPerConn", columns: SIO_DIALECT, label: "heap per idle connection (B), Socket.IO dialect", fmt: bytes, better: "lower", targets: [{ vs: "socketio", max: 0.5 }] },
  { workload: "memory", key: "rssPerConn", columns: SIO_DIALECT, label: "RSS per idle connection (B), Socket.IO dialect", fmt: bytes, better: "lower", targets: [{ vs: "socketio", max: 0.5 }] },
  { workload: "crossnode", key: "remoteP50", label: "cross-node remote p50 (ms)", fmt: ms, better: "lower", targets: [{ vs: "socketio", max: 0.6 }] },
  { workload: "crossnode", key: "remoteP99", label: "cross-node remote p99 (ms)", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "localP50", label: "cross-node local p50 (ms)", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "hopP50", label: "cross-node hop, remote − local p50 (ms)", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "nodeBCpuUsPerDelivery", label: "cross-node: receiving node CPU µs per remote delivery", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "redisCpuUsPerBroadcast", label: "cross-node: Redis CPU µs per broadcast (2 subscribed nodes)", fmt: ms, better: "lower" },
  { workload: "size", label: "client min+gzip, JSON codec", values: sizeOf("roomcast-json"), fmt: kb, better: "lower", targets: [{ max: 5 * 1024, unit: "5 KB" }] },
  { workload: "size", label: "client min+gzip, msgpack codec", values: (r) => ({ roomcast: r["roomcast-msgpack"]?.gzipBytes, socketio: r["socket.io-client"]?.gzipBytes }), fmt: kb, better: "lower" },
  { workload: "scale", key: "held", label: "idle connections held by one node", fmt: int, better: "higher", targets: [{ min: 50_000, unit: "50k" }] },
  { workload: "scale", key: "heapPerConn", label: "scale: heap per idle connection at the held count (B)", fmt: bytes, better: "lower" },
  { workload: "scale", key: "rssPerConn", label: "scale: RSS per idle connection at the held count (B)", fmt: bytes, better: "lower" },
  { workload: "scale", key: "idleCpuMsPerSec", label: "scale: idle server CPU ms / s (heartbeats only)", fmt: ms, better: "lower" },
  { workload: "scale", key: "cpuUsPerHeartbeat", label: "scale: server CPU µs per heartbeat", fmt: ms, better: "lower" },
  // crash-safe recovery: the Redis Streams store ("streams") against the Redis adapter alone ("off")
  { workload: "sessions", key: "connectsPerSecOff", label: "sessions: connects/s, recovery off", fmt: int, better: "higher" },
  { workload: "sessions", key: "connectsPerSecStreams", label: "sessions: connects/s, streams store (live sessions)", fmt: int, better: "higher" },
  { workload: "sessions", key: "connectRatio", label: "sessions: connects/s, streams / off", fmt: ms, better: "higher" },
  { workload: "sessions", key: "joinsPerSecOff", label: "sessions: joins/s (acked), recovery off", fmt: int, better: "higher" },
  { workload: "sessions", key: "joinsPerSecStreams", label: "sessions: joins/s (acked once stored), streams store", fmt: int, better: "higher" },
  { workload: "sessions", key: "joinRatio", label: "sessions: joins/s, streams / off", fmt: ms, better: "higher" },
  { workload: "sessions", key: "leavesPerSecOff", label: "sessions: leaves/s, recovery off", fmt: int, better: "higher" },
  { workload: "sessions", key: "leavesPerSecStreams", label: "sessions: leaves/s, streams store", fmt: int, better: "higher" },
  { workload: "sessions", key: "leaveRatio", label: "sessions: leaves/s, streams / off", fmt: ms, better: "higher" },
  { workload: "sessions", key: "joinP50Off", label: "sessions: join ack p50 (ms), recovery off", fmt: ms, better: "lower" },
  { workload: "sessions", key: "joinP50Streams", label: "sessions: join ack p50 (ms), streams store", fmt: ms, better: "lower" },
  { workload: "sessions", key: "cpuPer1000Off", label: "sessions: server CPU ms / 1000 joins+leaves, recovery off", fmt: ms, better: "lower" },
  { workload: "sessions", key: "cpuPer1000Streams", label: "sessions: server CPU ms / 1000 joins+leaves, streams store", fmt: ms, better: "lower" },
  { workload: "sessions", key: "redisCallsPerChangeOff", label: "sessions: Redis commands per join or leave, recovery off", fmt: ms, better: "lower" },
  { workload: "sessions", key: "redisCallsPerChangeStreams", label: "sessions: Redis commands per join or leave, streams store (script bodies included)", fmt: ms, better: "lower" },
  { workload: "sessions", key: "redisScriptsPerChangeStreams", label: "sessions: script calls (EVALSHA) per join or leave, streams store", fmt: ms, better: "lower" },
  { workload: "sessions", key: "redisCallsPerConnectOff", label: "sessions: Redis commands per connect, recovery off", fmt: ms, better: "lower" },
  { workload: "sessions", key: "redisCallsPerConnectStreams", label: "sessions: Redis commands per connect, streams store", fmt: ms, better: "lower" },
  // room scope with recovery on: node B has no member in the room A broadcasts to, node C has
  { workload: "roomscope", key: "packetsReadWithoutMembersPer1000", label: "room scope, recovery on: the room's packets read by a node without members, per 1000 broadcasts", fmt: ms, better: "lower", targets: [{ max: 0, unit: "0" }] },
  { workload: "roomscope", key: "messagesReadWithoutMembersPer1000", label: "room scope, recovery on: pub/sub messages read by a node without members, per 1000 broadcasts", fmt: ms, better: "lower" },
  { workload: "roomscope", key: "messagesReadWithMembersPer1000", label: "room scope, recovery on: pub/sub messages read by a node with members, per 1000 broadcasts", fmt: ms, better: "lower" },
];

/* `key` may name a nested figure: "serverToClient.acksPerSec". */
const figure = (r, key) => key.split(".").reduce((o, k) => (o == null ? undefined : o[k]), r);

function valuesOf(row, results) {
  const raw = results.workloads[row.workload];
  if (!raw) return undefined;
  if (row.values) return row.values(raw);
  const values = {};
  for (const [column, system] of Object.entries(row.columns ?? OWN_COLUMNS)) {
    const r = raw[system];
    const v = figure(r, row.key);
    if (typeof v === "number" && Number.isFinite(v)) values[column] = v;
    else if (r?.error) values[column] = "error";
    else if (r?.pending) values[column] = "pending";
  }
  return values;
}

const difference = (a, b) => (typeof a === "number" && typeof b === "number" ? a - b : undefined);
const ratio = (a, b) => (typeof a === "number" && typeof b === "number" && b !== 0 ? a / b : undefined);

function verdict(row, values) {
  if (!row.targets) return "";
  const parts = [];
  for (const t of row.targets) {
    const mine = values.roomcast;
    const measured = t.vs ? ratio(mine, values[t.vs]) : typeof mine === "number" ? mine : undefined;
    const bound = t.max ?? t.min;
    const what = t.vs ? `${t.max !== undefined ? "≤" : "≥"} ${bound}× ${SYSTEM_LABEL[t.vs]}` : `${t.max !== undefined ? "≤" : "≥"} ${t.unit}`;
    if (measured === undefined) parts.push(`${what}: ${typeof mine === "string" ? mine : "n/a"}`);
    else {
      const met = t.max !== undefined ? measured <= t.max : measured >= t.min;
      parts.push(`${what}: ${met ? "met" : "NOT met"}`);
    }
  }
  return parts.join("; ");
}

/** Rows ready to print: formatted cells plus raw numbers for the JSON. */
export function tabulate(results) {
  const out = [];
  for (const row of ROWS) {
    const values = valuesOf(row, results);
    if (!values || Object.keys(values).length === 0) continue;
    // A row about a system that did not take part would only repeat the other columns' figures.
    if (row.columns && Object.entries(row.columns).every(([column, system]) => column === system || values[column] === undefined)) continue;
    const cell = (s) => (typeof values[s] === "number" ? row.fmt(values[s]) : values[s] ?? "");
    const r = (vs) => ratio(values.roomcast, values[vs]);
    const fmtRatio = (v) => (v === undefined ? "" : `${v.toFixed(2)}×`);
    out.push({
      label: row.label,
      ...(row.columns && { columns: row.columns }),
      values,
      cells: Object.fromEntries(SYSTEMS.map((s) => [s, cell(s)])),
      vsSocketio: fmtRatio(r("socketio")),
      vsWs: fmtRatio(r("ws")),
      vsWsRef: fmtRatio(r("ws-ref")),
      target: verdict(row, values),
    });
  }
  return out;
}

const HEADER = ["figure", "roomcast", "Socket.IO", "ws", "ws-ref", "rc/SIO", "rc/ws", "rc/ws-ref", "target"];
const cellsOf = (r) => [r.label, ...SYSTEMS.map((s) => r.cells[s]), r.vsSocketio, r.vsWs, r.vsWsRef, r.target];

export function textTable(rows) {
  const lines = [HEADER, ...rows.map(cellsOf)];
  const widths = HEADER.map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  const fmt = (l) => l.map((c, i) => (i === 0 || i === l.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [fmt(lines[0]), widths.map((w) => "-".repeat(w)).join("  "), ...lines.slice(1).map(fmt)].join("\n");
}

export function markdownTable(rows) {
  const lines = [`| ${HEADER.join(" | ")} |`, `|${HEADER.map((_, i) => (i === 0 || i === HEADER.length - 1 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) lines.push(`| ${cellsOf(r).join(" | ")} |`);
  return lines.join("\n");
}
