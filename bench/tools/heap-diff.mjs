#!/usr/bin/env node
/**
 * Where does an idle connection's heap go? Starts one system's server, snapshots the heap empty
 * and with N idle connections (each in one room), and prints the retained growth per connection
 * by object kind (constructor / string / closure...), largest first.
 *
 *   node bench/tools/heap-diff.mjs [system=roomcast] [connections=2000]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startClients, startServer, stopAll } from "../lib/fleet.mjs";

const system = process.argv[2] ?? "roomcast";
const n = Number(process.argv[3] ?? 2000);

/** Self size summed by node type + name. */
function summarise(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    let name = snap.strings[nodes[i + nameAt]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(strings)";
    else if (type === "number") name = "(heap numbers)";
    else if (type === "code" || type === "hidden") name = `(${type})`;
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}: ${name}`;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    out.set(key, entry);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "roomcast-heap-"));
const server = await startServer(system);
let fleet;
try {
  const { file: empty } = await server.request("heapSnapshot", { file: join(dir, "empty.heapsnapshot") });
  const rooms = Array.from({ length: Math.min(1000, n) }, (_, i) => `room-${i}`);
  fleet = await startClients(system, server, n, { rooms, processes: 1 });
  await new Promise((r) => setTimeout(r, 500));
  const { file: loaded } = await server.request("heapSnapshot", { file: join(dir, "loaded.heapsnapshot") });
  const before = summarise(empty);
  const after = summarise(loaded);
  const rows = [];
  let total = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    const bytes = a.bytes - b.bytes;
    total += bytes;
    if (Math.abs(bytes) / n >= 4) rows.push([key, (a.count - b.count) / n, bytes / n]);
  }
  rows.sort((x, y) => y[2] - x[2]);
  console.log(`${system}: ${(total / n).toFixed(0)} B of heap per connection (${n} connections)\n`);
  console.log("objects/conn  bytes/conn  kind");
  for (const [key, count, bytes] of rows.slice(0, 40)) console.log(`${count.toFixed(2).padStart(12)}  ${bytes.toFixed(0).padStart(10)}  ${key}`);
} finally {
  await stopAll(fleet?.children ?? []);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
