#!/usr/bin/env node
/**
 * Where does an idle connection's heap go? Starts one system's server, snapshots the heap empty
 * and with N idle connections (each in one room), and prints the retained growth per connection
 * by object kind (constructor / string / closure...), largest first.
 *
 *   node bench/tools/heap-diff.mjs [system=roomcast] [connections=2000] [--by-owner]
 *
 * --by-owner also names who holds each object: the retaining object's kind and the edge (field,
 * element or map entry) it is held by, e.g. `Connection.handshake -> object: Object`. Only the
 * first retainer is followed, so an object held from several places is counted under one of them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startClients, startServer, stopAll } from "../lib/fleet.mjs";

const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const system = positional[0] ?? "roomcast";
const n = Number(positional[1] ?? 2000);
const byOwner = process.argv.includes("--by-owner") || process.argv.includes("--deep");
/* --deep: name the owner's owner too (`Connection.handshake -> Object.headers -> ...`) */
const deep = process.argv.includes("--deep");

/** Self size summed by node type + name (and, with --by-owner, by the first retainer and its edge). */
function summarise(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const { node_fields: fields, node_types: [types], edge_fields: edgeFields, edge_types: [edgeTypes] } = snap.snapshot.meta;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const edgeCountAt = fields.indexOf("edge_count");
  const out = new Map();
  const nodes = snap.nodes;
  const kindOf = (i) => {
    const type = types[nodes[i + typeAt]];
    let name = snap.strings[nodes[i + nameAt]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(strings)";
    else if (type === "number") name = "(heap numbers)";
    else if (type === "code" || type === "hidden") name = `(${type})`;
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    return `${type}: ${name}`;
  };
  // first strong retainer of each node: owner node index and the edge's name
  let owner;
  let ownerEdge;
  if (byOwner) {
    const count = nodes.length / width;
    owner = new Int32Array(count).fill(-1);
    ownerEdge = new Array(count);
    const ew = edgeFields.length;
    const eType = edgeFields.indexOf("type");
    const eName = edgeFields.indexOf("name_or_index");
    const eTo = edgeFields.indexOf("to_node");
    let e = 0;
    for (let i = 0; i < nodes.length; i += width) {
      for (let k = 0; k < nodes[i + edgeCountAt]; k++, e += ew) {
        const et = edgeTypes[snap.edges[e + eType]];
        if (et === "weak" || et === "shortcut") continue;
        const to = snap.edges[e + eTo] / width;
        if (owner[to] !== -1) continue;
        owner[to] = i;
        const raw = snap.edges[e + eName];
        ownerEdge[to] = et === "element" || et === "hidden" ? `[${et}]` : String(snap.strings[raw]);
      }
    }
  }
  for (let i = 0; i < nodes.length; i += width) {
    let key = kindOf(i);
    if (byOwner) {
      const step = (node) => {
        const o = owner[node / width];
        return o === -1 ? ["(root)", -1] : [`${kindOf(o).replace(/^object: /, "")}.${ownerEdge[node / width] ?? ""}`, o];
      };
      const [who, o] = step(i);
      key = `${who} -> ${key}`;
      if (deep && o !== -1) key = `${step(o)[0]} -> ${key}`;
    }
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
  for (const [key, count, bytes] of rows.slice(0, byOwner ? 80 : 40)) console.log(`${count.toFixed(2).padStart(12)}  ${bytes.toFixed(0).padStart(10)}  ${key}`);
} finally {
  await stopAll(fleet?.children ?? []);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
