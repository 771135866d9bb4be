#!/usr/bin/env node
/**
 * What one PUBLISH costs Redis itself, by number of subscribers: starts a redis-server of its own
 * on a free port, opens S subscriber connections on one channel and a publisher that pipelines
 * PUBLISH commands of a cluster broadcast's size, and reads Redis's CPU time (INFO cpu) around the
 * run. Fits cost = per PUBLISH + per delivery × subscribers, the two numbers that turn the traffic
 * model's "PUBLISH/s" and "Redis → nodes msg/s" into a share of one Redis core. Pure Node (net).
 *
 *   node bench/tools/redis-pubsub-cost.mjs [--subscribers 1,10,50] [--messages 100000] [--bytes 195]
 *     [--publishers 8] [--batch 1] [--append]
 *
 * --append runs the Redis Streams store's append script instead of a bare PUBLISH (read from
 * packages/redis-adapter/src/stream-scripts.ts, so it is the one the store runs) for a packet to
 * one room: XADD with MAXLEN ~ 10000, XTRIM, PUBLISH on the room's packet channel, and its
 * bookkeeping (origin sequence number, tick counter).
 *
 * Each of `publishers` connections writes `batch` PUBLISH commands at a time and waits for their
 * replies before the next write. A node's ioredis client writes what one tick published as one
 * batch, so `--batch 1` is a quiet cluster (a read and a write system call per message, the
 * expensive case) and large batches a busy one.
 *
 * Redis CPU time excludes the load generator's, but the machine's other work still slows Redis's
 * caches and scheduling: compare runs on one machine, not across machines.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createConnection, createServer } from "node:net";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]?.startsWith("--") ? undefined : all[i + 1]]] : pairs), []),
);
for (const key of Object.keys(args)) if (!["subscribers", "messages", "bytes", "publishers", "batch", "append"].includes(key)) fail(`unknown option --${key}`);
const append = "append" in args;
const subscriberCounts = (args.subscribers ?? "1,10,50").split(",").map(Number);
const messages = Number(args.messages ?? 100_000);
const publishers = Number(args.publishers ?? 8);
const batchSize = Number(args.batch ?? 1);
const bytes = Number(args.bytes ?? 195); // a roomcast BROADCAST of a 64-character chat message
if (subscriberCounts.some((n) => !Number.isInteger(n) || n < 1) || [messages, bytes, publishers, batchSize].some((n) => !Number.isInteger(n) || n < 1)) {
  fail("--subscribers, --messages, --bytes, --publishers and --batch take positive integers");
}

function fail(message) {
  console.error(`redis-pubsub-cost: ${message}`);
  process.exit(2);
}

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const command = (...parts) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(String(p))}\r\n${p}\r\n`).join("")}`;

async function connect(port) {
  for (let attempt = 0; ; attempt++) {
    try {
      const socket = createConnection({ port, host: "127.0.0.1" });
      await once(socket, "connect");
      return socket;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Sends one command and resolves with the reply text once `done(text)` says it is complete. */
async function ask(socket, text, done) {
  let reply = "";
  const listener = (chunk) => (reply += chunk.toString("latin1"));
  socket.on("data", listener);
  socket.write(text);
  while (!done(reply)) await new Promise((resolve) => setTimeout(resolve, 5));
  socket.off("data", listener);
  return reply;
}

/** The append script of the streams store, as the store defines it. */
function appendScript() {
  const source = readFileSync(new URL("../../packages/redis-adapter/src/stream-scripts.ts", import.meta.url), "utf8");
  const script = /const APPEND = `([^`]*)`/.exec(source)?.[1];
  if (script === undefined) fail("APPEND not found in packages/redis-adapter/src/stream-scripts.ts");
  return script;
}

/** A whole bulk reply: `$<length>\r\n<length bytes>\r\n`. */
function bulkComplete(reply) {
  const header = /^\$(\d+)\r\n/.exec(reply);
  return header !== null && reply.length >= header[0].length + Number(header[1]) + 2;
}

async function cpuSeconds(control) {
  const info = await ask(control, command("INFO", "cpu"), bulkComplete);
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)[1]);
  return field("used_cpu_sys") + field("used_cpu_user");
}

/* append sequence numbers per publisher, kept across runs: Redis remembers the last one it took */
const seqs = new Array(publishers).fill(0);

async function run(port, subscribers) {
  const channel = "roomcast#/#room-1#";
  const payload = "x".repeat(bytes);
  const subs = [];
  let delivered = 0;
  const pushBytes = command("message", channel, payload).length;
  for (let i = 0; i < subscribers; i++) {
    const sub = await connect(port);
    await ask(sub, command("SUBSCRIBE", channel), (r) => r.endsWith(":1\r\n"));
    let pending = 0;
    sub.on("data", (chunk) => {
      pending += chunk.length;
      delivered += Math.floor(pending / pushBytes);
      pending %= pushBytes;
    });
    subs.push(sub);
  }
  const control = await connect(port);
  const pubs = [];
  for (let i = 0; i < publishers; i++) pubs.push(await connect(port));
  let nextBatch = (_publisher) => command("PUBLISH", channel, payload).repeat(batchSize);
  if (append) {
    const reply = await ask(control, command("SCRIPT", "LOAD", appendScript()), bulkComplete);
    const sha = reply.split("\r\n")[1];
    const base = "{roomcast#/}";
    // the arguments the store passes: keys, epoch, MAXLEN, MINID, namespace channel, entry, sequence number, origin TTL, tick settings, room channel
    const keys = (p) => [`${base}#stream`, `${base}#epoch`, `${base}#origin#node${p}`, `${base}#tick`];
    // each publisher an origin of its own, each append a sequence number of its own: the script skips one it has seen
    nextBatch = (p) => {
      let text = "";
      for (let i = 0; i < batchSize; i++) text += command("EVALSHA", sha, 4, ...keys(p), "epoch0", 10_000, Date.now() - 120_000, `${base}#packets`, payload, ++seqs[p], 600_000, 1000, 1000, channel);
      return text;
    };
  }
  const before = await cpuSeconds(control);
  const started = performance.now();
  const perPublisher = Math.ceil(messages / publishers / batchSize);
  /* one publisher: a batch, its replies (one line each), the next batch */
  const publish = (pub, p) =>
    new Promise((resolve) => {
      let batches = 0;
      let lines = 0;
      pub.on("data", (chunk) => {
        // a PUBLISH answers one line; the append script its stream id, a bulk string of two lines
        for (const byte of chunk) if (byte === 0x0a) lines += append ? 0.5 : 1;
        if (lines < batchSize) return;
        lines -= batchSize;
        if (++batches === perPublisher) resolve();
        else pub.write(nextBatch(p));
      });
      pub.write(nextBatch(p));
    });
  await Promise.all(pubs.map(publish));
  const sent = perPublisher * publishers * batchSize;
  while (delivered < sent * subscribers) await new Promise((resolve) => setTimeout(resolve, 5));
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds(control)) - before;
  for (const socket of [...subs, control, ...pubs]) socket.destroy();
  return { subscribers, cpuMicrosPerPublish: (cpu * 1e6) / sent, publishesPerSecond: sent / seconds };
}

const port = await freePort();
const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
server.on("error", (err) => fail(`cannot start redis-server: ${err.message}`));
try {
  await connect(port);
  const rows = [];
  for (const subscribers of subscriberCounts) rows.push(await run(port, subscribers));
  // least squares: cpu per PUBLISH = a + b × subscribers
  const n = rows.length;
  const mx = rows.reduce((s, r) => s + r.subscribers, 0) / n;
  const my = rows.reduce((s, r) => s + r.cpuMicrosPerPublish, 0) / n;
  const sxx = rows.reduce((s, r) => s + (r.subscribers - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : rows.reduce((s, r) => s + (r.subscribers - mx) * (r.cpuMicrosPerPublish - my), 0) / sxx;
  const a = my - b * mx;
  const what = append ? "append script" : "PUBLISH";
  console.log(`| subscribers | Redis CPU µs per ${what} | ${what}/s reached |`);
  console.log(`|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.subscribers} | ${r.cpuMicrosPerPublish.toFixed(2)} | ${Math.round(r.publishesPerSecond).toLocaleString("en-US")} |`);
  console.log(`\nfit: ${a.toFixed(2)} µs per ${what} + ${b.toFixed(3)} µs per delivery (${bytes}-byte payload, ${publishers} publishers writing ${batchSize} at a time, redis-server on 127.0.0.1)`);
} finally {
  server.kill("SIGKILL");
}
