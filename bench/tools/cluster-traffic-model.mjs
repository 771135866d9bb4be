#!/usr/bin/env node
/**
 * How Redis traffic and each node's inbound traffic grow with the number of roomcast nodes and of
 * rooms, for a chat-like load: Socket.IO's Redis adapter, roomcast, and roomcast with
 * connection-state recovery (Redis Streams store) delivering per namespace or per room.
 * Deterministic for a seed; no dependencies. Prints markdown tables (docs/DEPLOYMENT.md, "How
 * traffic grows with nodes and rooms", is this output) or JSON.
 *
 *   node bench/tools/cluster-traffic-model.mjs [--nodes 3,10,50] [--rooms 100,1000,10000]
 *     [--connections 20000] [--rooms-per-connection 3] [--zipf 1] [--balancer least-connections|random]
 *     [--messages-per-minute 1] [--rooms-per-message 1] [--global-per-second 0]
 *     [--changes-per-second 0] [--sharded] [--heartbeat-ms 5000] [--session-minutes 30]
 *     [--refresh-ms 30000] [--payload-bytes 64] [--variants socketio,roomcast,...] [--seed 1]
 *     [--matrix inbound|deliveries|subscriptions] [--json] [--no-assumptions]
 *
 * --matrix prints one metric as a nodes × rooms table per system instead of the full tables:
 * per-node inbound msg/s, Redis deliveries msg/s, or subscriptions per node.
 */
import { generateLoad, modelTraffic, VARIANT_LABELS, VARIANTS } from "../lib/cluster-traffic/model.mjs";

const OPTIONS = {
  nodes: { kind: "list", value: [3, 10, 50] },
  rooms: { kind: "list", value: [100, 1000, 10000] },
  connections: { kind: "int", value: 20_000 },
  "rooms-per-connection": { kind: "int", value: 3 },
  zipf: { kind: "number", value: 1 },
  balancer: { kind: "choice", value: "least-connections", choices: ["least-connections", "random"] },
  "messages-per-minute": { kind: "number", value: 1 },
  "rooms-per-message": { kind: "int", value: 1 },
  "global-per-second": { kind: "number", value: 0 },
  "changes-per-second": { kind: "number", value: 0 },
  sharded: { kind: "flag", value: false },
  "heartbeat-ms": { kind: "number", value: 5000 },
  "session-minutes": { kind: "number", value: 30 },
  "refresh-ms": { kind: "number", value: 30_000 },
  "payload-bytes": { kind: "int", value: 64 },
  variants: { kind: "variants", value: [...VARIANTS] },
  seed: { kind: "int", value: 1 },
  matrix: { kind: "choice", value: undefined, choices: ["inbound", "deliveries", "subscriptions"] },
  json: { kind: "flag", value: false },
  "no-assumptions": { kind: "flag", value: false },
};

function parseArgs(argv) {
  const values = Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name, o.value]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith("--") ? arg.slice(2).split(/=(.*)/s) : [undefined];
    const option = name === undefined ? undefined : OPTIONS[name];
    if (option === undefined) fail(`unknown argument ${arg}; options: ${Object.keys(OPTIONS).map((o) => `--${o}`).join(" ")}`);
    if (option.kind === "flag") {
      values[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) fail(`--${name} needs a value`);
    values[name] = parseValue(name, option, raw);
  }
  return values;
}

function parseValue(name, option, raw) {
  const number = (text) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n < 0) fail(`--${name}: ${text} is not a number >= 0`);
    return n;
  };
  switch (option.kind) {
    case "list":
      return raw.split(",").map((text) => {
        const n = number(text);
        if (!Number.isInteger(n) || n < 1) fail(`--${name}: ${text} is not a positive integer`);
        return n;
      });
    case "int": {
      const n = number(raw);
      if (!Number.isInteger(n)) fail(`--${name}: ${raw} is not an integer`);
      return n;
    }
    case "number":
      return number(raw);
    case "choice":
      if (!option.choices.includes(raw)) fail(`--${name}: ${raw} is not one of ${option.choices.join(", ")}`);
      return raw;
    case "variants":
      return raw.split(",").map((v) => {
        if (!VARIANTS.includes(v)) fail(`--${name}: ${v} is not one of ${VARIANTS.join(", ")}`);
        return v;
      });
  }
  throw new Error(`option kind ${option.kind}`);
}

function fail(message) {
  console.error(`cluster-traffic-model: ${message}`);
  process.exit(2);
}

/** 3 significant digits below 100, whole numbers with separators above. */
function num(n) {
  if (n === 0) return "0";
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return Number(n.toPrecision(n >= 10 ? 3 : 2)).toLocaleString("en-US");
}
const mb = (bytes) => (bytes / 1e6).toFixed(bytes >= 1e7 ? 1 : 2);
const pct = (share) => (share === 0 ? "0" : share < 0.001 ? "<0.1" : (share * 100).toFixed(1));

function run(o) {
  const results = [];
  const loads = [];
  for (const nodes of o.nodes) {
    for (const rooms of o.rooms) {
      const load = generateLoad({
        nodes,
        rooms,
        connections: o.connections,
        roomsPerConnection: o["rooms-per-connection"],
        zipf: o.zipf,
        balancer: o.balancer,
        seed: o.seed,
      });
      const rates = {
        messagesPerConnection: o["messages-per-minute"] / 60,
        roomsPerMessage: o["rooms-per-message"],
        globalBroadcasts: o["global-per-second"],
        membershipChanges: o["changes-per-second"],
        sharded: o.sharded,
        heartbeatInterval: o["heartbeat-ms"],
        sessionMinutes: o["session-minutes"],
        sessionRefreshInterval: o["refresh-ms"],
        payloadBytes: o["payload-bytes"],
      };
      loads.push({ nodes, rooms, load });
      for (const variant of o.variants) results.push({ nodes, rooms, traffic: modelTraffic(load, rates, variant) });
    }
  }
  return { results, loads };
}

function assumptions(o) {
  const perMinute = o["messages-per-minute"];
  return [
    `Load: ${num(o.connections)} connections, one socket each in one namespace, placed by ${o.balancer === "random" ? "a random" : "a least-connections"} load balancer; each joins ${o["rooms-per-connection"]} distinct rooms, room i chosen with weight 1/(i+1)^${o.zipf} (Zipf; 0 is uniform). Seed ${o.seed}.`,
    `Messages: each connection sends ${perMinute} chat message(s) per minute, each to ${o["rooms-per-message"]} of its rooms, as \`socket.to(room).emit("chat", { text })\` with ${o["payload-bytes"]} characters of text (recoverable: no ack, not volatile).${o["global-per-second"] > 0 ? ` Plus ${o["global-per-second"]} io.emit() per second to the whole namespace.` : ""}`,
    `Heartbeats: each roomcast node publishes one every ${o["heartbeat-ms"]} ms on the namespace channel (Socket.IO's classic Redis adapter has none).`,
    o["changes-per-second"] > 0
      ? `Server-side membership changes: ${o["changes-per-second"]} per second (half socketsJoin, half socketsLeave), each confirmed by every other node (CHANGE_APPLIED) when it holds${o.sharded ? ", fenced on every room channel its origin published on since its previous change (Redis Cluster, sharded)" : " (joins, one Redis server)"}.`
      : "Server-side membership changes (socketsJoin/socketsLeave and their CHANGE_APPLIED/FENCE): none; sockets join their own rooms with socket.join(), which costs Redis only a SUBSCRIBE when the room is new on that node.",
    `Churn: connections last ${o["session-minutes"]} minutes on average and are replaced; a room's channel is subscribed when its first local member arrives and unsubscribed when its last one leaves (SUBSCRIBE/UNSUBSCRIBE in "Redis cmds/s").`,
    `Recovery (Redis Streams store): one append script per recoverable broadcast (EVALSHA, GET, GET, XADD, XTRIM, PUBLISH, SET); every live session written again every ${o["refresh-ms"]} ms and at disconnect (4 commands each), about 7 commands per connect. "per namespace": the script publishes on the namespace's \`#packets\` channel, which every node reads. "room-scoped": the same script (positions still from one stream per namespace) publishing on one channel per target room (adapter routing rules), read only by nodes with members; assumed to be channels of the store's own, so room subscriptions double.`,
    `Counted: "PUBLISH/s" includes the PUBLISH inside append scripts; "Redis → nodes" is every message Redis writes to a subscriber, a node's own publications included (roomcast's adapter ignores its own; the store delivers what it reads); bytes are RESP2 frames of PUBLISH/EVALSHA in and of their replies and pushes out (docs/PROTOCOL.md sizes for the event, msgpack for inter-node messages). "per-node in" is what one node's subscriber connections read per second (heartbeats included); "no member %" is the share of it for rooms the node has no local member in. Not counted: acks, fetchSockets/serverSideEmit, Socket.IO's PUBSUB NUMSUB, Redis Cluster's forwarding of classic PUBLISH between its nodes.`,
  ];
}

function markdown(o, { results, loads }) {
  const lines = [];
  if (!o["no-assumptions"]) {
    lines.push("Assumptions:", "");
    for (const line of assumptions(o)) lines.push(`- ${line}`);
    lines.push("");
  }
  lines.push("Load per room count (the same for every node count):", "");
  lines.push("| rooms | rooms in use | members per room, mean / largest | chat messages/s | WebSocket frames/s to clients |");
  lines.push("|---:|---:|---:|---:|---:|");
  const seen = new Set();
  for (const { rooms, load } of loads) {
    if (seen.has(rooms)) continue;
    seen.add(rooms);
    const used = load.memberTotal.filter((m) => m > 0).length;
    const total = load.memberTotal.reduce((a, b) => a + b, 0);
    const roomcast = results.find((r) => r.rooms === rooms && r.traffic.variant !== "socketio") ?? results.find((r) => r.rooms === rooms);
    lines.push(`| ${num(rooms)} | ${num(used)} | ${num(total / used)} / ${num(Math.max(...load.memberTotal))} | ${num((o.connections * o["messages-per-minute"]) / 60)} | ${num(roomcast.traffic.clientFrames)} |`);
  }
  lines.push("");
  for (const nodes of o.nodes) {
    lines.push(`**${nodes} nodes** (${num(o.connections / nodes)} connections each)`, "");
    lines.push("| rooms | system | PUBLISH/s | Redis → nodes msg/s | Redis out MB/s | Redis cmds/s | per-node in msg/s | no member % | subscriptions per node | channels |");
    lines.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const { rooms, traffic: t } of results.filter((r) => r.nodes === nodes)) {
      lines.push(
        `| ${num(rooms)} | ${VARIANT_LABELS[t.variant]} | ${num(t.publishes)} | ${num(t.deliveries)} | ${mb(t.bytesOut)} | ${num(t.commands)} | ${num(t.inboundMean)} | ${pct(t.irrelevantShare)} | ${num(t.subscriptionsMean)} | ${num(t.channels)} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

const MATRIX_METRICS = {
  inbound: { title: "per-node inbound msg/s", value: (t) => t.inboundMean },
  deliveries: { title: "Redis → nodes msg/s", value: (t) => t.deliveries },
  subscriptions: { title: "subscriptions per node", value: (t) => t.subscriptionsMean },
};

function matrix(o, { results }) {
  const metric = MATRIX_METRICS[o.matrix];
  const lines = [];
  if (!o["no-assumptions"]) {
    lines.push("Assumptions:", "");
    for (const line of assumptions(o)) lines.push(`- ${line}`);
    lines.push("");
  }
  for (const variant of o.variants) {
    lines.push(`**${VARIANT_LABELS[variant]}**: ${metric.title}`, "");
    lines.push(`| nodes | ${o.rooms.map((r) => `${num(r)} rooms`).join(" | ")} |`);
    lines.push(`|---:|${o.rooms.map(() => "---:").join("|")}|`);
    for (const nodes of o.nodes) {
      const cells = o.rooms.map((rooms) => num(metric.value(results.find((r) => r.nodes === nodes && r.rooms === rooms && r.traffic.variant === variant).traffic)));
      lines.push(`| ${nodes} | ${cells.join(" | ")} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function json(o, { results }) {
  return JSON.stringify(
    {
      options: o,
      assumptions: assumptions(o),
      results: results.map(({ nodes, rooms, traffic }) => {
        const { perNode, ...rest } = traffic;
        return { nodes, rooms, ...rest, perNode: Object.fromEntries(Object.entries(perNode).map(([k, v]) => [k, [...v]])) };
      }),
    },
    null,
    2,
  );
}

const options = parseArgs(process.argv.slice(2));
const output = run(options);
console.log(options.json ? json(options, output) : options.matrix ? matrix(options, output) : markdown(options, output));
