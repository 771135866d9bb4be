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
  { workload: "fanout", key: "deliveriesPerSec", columns: SIO_DIALECT, label: "fan-out deliveries/s, Socket.IO dialect", fmt: int, better: "higher" },
  { workload: "fanout", key: "cpuMsPer1000", columns: SIO_DIALECT, label: "fan-out server CPU ms / 1000 deliveries, Socket.IO dialect", fmt: ms, better: "lower", targets: [{ vs: "socketio", max: 0.25 }] },
  { workload: "latency", key: "p50", label: "paced latency p50 (ms)", fmt: ms, better: "lower" },
  { workload: "latency", key: "p99", label: "paced latency p99 (ms)", fmt: ms, better: "lower", targets: [{ vs: "ws", max: 1 }] },
  { workload: "latency", key: "p99", columns: SIO_DIALECT, label: "paced latency p99 (ms), Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "acks", key: "acksPerSec", label: "acks/s", fmt: int, better: "higher", targets: [{ vs: "socketio", min: 1.5 }] },
  { workload: "acks", key: "serverCpuMsPer1000", label: "acks: server CPU ms / 1000 acks", fmt: ms, better: "lower" },
  { workload: "acks", key: "p50", label: "ack p50 (ms)", fmt: ms, better: "lower" },
  { workload: "acks", key: "p99", label: "ack p99 (ms)", fmt: ms, better: "lower" },
  { workload: "acks", key: "acksPerSec", columns: SIO_DIALECT, label: "acks/s, Socket.IO dialect", fmt: int, better: "higher" },
  { workload: "acks", key: "serverCpuMsPer1000", columns: SIO_DIALECT, label: "acks: server CPU ms / 1000 acks, Socket.IO dialect", fmt: ms, better: "lower" },
  { workload: "memory", key: "heapPerConn", label: "heap per idle connection (B)", fmt: bytes, better: "lower", targets: [{ vs: "ws", max: 1.2 }] },
  { workload: "memory", key: "rssPerConn", label: "RSS per idle connection (B)", fmt: bytes, better: "lower" },
  { workload: "crossnode", key: "remoteP50", label: "cross-node remote p50 (ms)", fmt: ms, better: "lower", targets: [{ vs: "socketio", max: 0.6 }] },
  { workload: "crossnode", key: "remoteP99", label: "cross-node remote p99 (ms)", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "localP50", label: "cross-node local p50 (ms)", fmt: ms, better: "lower" },
  { workload: "crossnode", key: "hopP50", label: "cross-node hop, remote − local p50 (ms)", fmt: ms, better: "lower" },
  { workload: "size", label: "client min+gzip, JSON codec", values: sizeOf("roomcast-json"), fmt: kb, better: "lower", targets: [{ max: 5 * 1024, unit: "5 KB" }] },
  { workload: "size", label: "client min+gzip, msgpack codec", values: (r) => ({ roomcast: r["roomcast-msgpack"]?.gzipBytes, socketio: r["socket.io-client"]?.gzipBytes }), fmt: kb, better: "lower" },
  { workload: "scale", key: "held", label: "idle connections held by one node", fmt: int, better: "higher", targets: [{ min: 50_000, unit: "50k" }] },
];

function valuesOf(row, results) {
  const raw = results.workloads[row.workload];
  if (!raw) return undefined;
  if (row.values) return row.values(raw);
  const values = {};
  for (const [column, system] of Object.entries(row.columns ?? OWN_COLUMNS)) {
    const r = raw[system];
    if (r && typeof r[row.key] === "number" && Number.isFinite(r[row.key])) values[column] = r[row.key];
    else if (r?.error) values[column] = "error";
    else if (r?.pending) values[column] = "pending";
  }
  return values;
}

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
