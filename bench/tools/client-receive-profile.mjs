#!/usr/bin/env node
/**
 * CPU a Node client process spends per received broadcast: N `@roomcast/client` clients in one
 * process against a roomcast server, next to N bare `ws` WebSockets doing `JSON.parse` per message
 * against a bare ws server (one `ws.send` per recipient, as bench/servers/ws-plain.mjs). The two
 * runs alternate `--rounds` times (the machine is shared and noisy) and the report gives medians
 * and the roomcast/ws ratio. Loopback only, bounded: each run is `--events` paced broadcasts.
 *
 *   node bench/tools/client-receive-profile.mjs [--clients 500] [--events 500] [--rate 50]
 *        [--warmup 100] [--rounds 3] [--profile | --perf] [--only roomcast|ws]
 *        [--compare before=/tmp/client-before/dist/index.js,...]
 *
 * Each run also prints the socket reads per message (a frame split over reads costs more) and, on
 * Linux, the CPU per message of each thread of the client process (main, V8's helpers).
 *
 * With --compare [name=]path[,...], more systems (default name "before") run those builds of the
 * client (copies of packages/client with its node_modules linked) against a roomcast server.
 *
 * With --profile the client process of the first round of each system runs V8's CPU profiler
 * during the measured phase and the top self-time functions are printed (the profile itself is
 * written to /tmp/client-receive-<system>.cpuprofile); with --perf, Linux perf records it instead
 * (native and kernel frames too; needs perf and perf_event_paranoid <= 2).
 *
 * Uses the built workspace packages (dist/): run `pnpm --filter @roomcast/client build` after a
 * change to the client.
 */
import { fork, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { createServer } from "node:http";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { nowMs } from "../lib/histogram.mjs";
import { readStamp, stampedPayload } from "../lib/payload.mjs";

const SELF = fileURLToPath(import.meta.url);

/** A child of this script: `role` "server" or "client"; talks to the parent over IPC. */
function child(role, config, execArgv = []) {
  const proc = fork(SELF, [role, JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
  const waiting = [];
  proc.on("message", (msg) => waiting.shift()?.(msg));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  return {
    proc,
    next,
    request: (msg) => (proc.send(msg), next()),
    exit: () => new Promise((resolve) => (proc.once("exit", resolve), proc.send({ type: "exit" }))),
  };
}

/* ---------------- server ---------------- */

async function server(config) {
  let broadcast;
  let close;
  if (config.system !== "ws") {
    const { Server } = await import("@roomcast/core");
    const http = createServer();
    const io = new Server(http);
    io.on("connection", (socket) => socket.join("bench"));
    await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
    broadcast = (payload) => io.to("bench").emit("m", payload);
    close = () => io.close();
    process.send({ port: http.address().port });
  } else {
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, clientTracking: false });
    const members = new Set();
    wss.on("connection", (ws) => {
      members.add(ws);
      ws.on("error", () => {});
      ws.on("close", () => members.delete(ws));
    });
    await new Promise((resolve) => wss.once("listening", resolve));
    broadcast = (payload) => {
      const text = JSON.stringify(["m", payload]);
      for (const ws of members) ws.send(text);
    };
    close = () => new Promise((resolve) => wss.close(resolve));
    process.send({ port: wss.address().port });
  }
  process.on("message", async (msg) => {
    if (msg.type === "paced") {
      const interval = 1000 / msg.rate;
      const start = nowMs();
      let sent = 0;
      const tick = () => {
        if (sent === msg.count) return process.send({ sent });
        broadcast(stampedPayload(nowMs()));
        sent++;
        setTimeout(tick, Math.max(0, start + sent * interval - nowMs()));
      };
      tick();
    } else if (msg.type === "exit") {
      await close();
      process.exit(0);
    }
  });
}

/* ---------------- client ---------------- */

async function startProfiler() {
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return async () => {
    const { profile } = await post("Profiler.stop");
    session.disconnect();
    return profile;
  };
}

/** Self time per function (name, file, line), largest first, as shares of all samples. */
function topSelf(profile, limit, messages) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // each sample stands for the time until the next one
  const counts = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) counts.set(samples[i], (counts.get(samples[i]) ?? 0) + (timeDeltas[i + 1] ?? 0));
  let total = 0;
  for (const [id, count] of counts) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const file = url ? url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|packages\/)/, "").replace(/^file:\/\//, "") : "";
    const key = `${functionName || "(anonymous)"}  ${file}${file ? `:${lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + count);
    total += count;
  }
  const idle = [...self].filter(([key]) => key.startsWith("(idle)")).reduce((sum, [, n]) => sum + n, 0);
  return {
    busyUs: (total - idle) / messages,
    rows: [...self]
      .filter(([key]) => !key.startsWith("(idle)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([key, n]) => ({ share: n / (total - idle), us: n / messages, key })),
  };
}

async function client(config) {
  // how many socket reads the messages took (a frame split over reads costs more)
  const { Receiver } = await import("ws");
  const write = Receiver.prototype._write;
  let reads = 0;
  Receiver.prototype._write = function (chunk, encoding, cb) {
    reads++;
    return write.call(this, chunk, encoding, cb);
  };
  const latencies = new Float64Array(config.clients * (config.events + config.warmup) + 16);
  let received = 0;
  const onMessage = (payload) => {
    latencies[received++] = nowMs() - readStamp(payload);
  };
  const sockets = [];
  const connectOne =
    config.system !== "ws"
      ? async (url) => {
          const { io } = await import(config.clientEntry ?? "@roomcast/client");
          const socket = io(url, { forceNew: true, query: { room: "bench" }, reconnection: false });
          sockets.push(() => socket.disconnect());
          socket.on("m", onMessage);
          return new Promise((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("connect_error", reject);
          });
        }
      : async (url) => {
          const { default: WebSocket } = await import("ws");
          const ws = new WebSocket(`${url}/?room=bench`);
          sockets.push(() => ws.terminate());
          ws.on("message", (data) => {
            const message = JSON.parse(data);
            if (message[0] === "m") onMessage(message[1]);
          });
          return new Promise((resolve, reject) => {
            ws.once("open", resolve);
            ws.once("error", reject);
          });
        };
  const url = `ws://127.0.0.1:${config.port}`;
  for (let i = 0; i < config.clients; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, config.clients - i) }, () => connectOne(url)));
  }
  process.send({ connected: sockets.length });
  const waitFor = (count, ms = 60_000) =>
    new Promise((resolve) => {
      const deadline = Date.now() + ms;
      const check = () => (received >= count || Date.now() > deadline ? resolve() : setTimeout(check, 5));
      check();
    });
  let measuring, first, stopProfiler, cpu0, reads0, threads0;
  process.on("message", async (msg) => {
    if (msg.type === "warmup") {
      await waitFor(config.clients * config.warmup, 1000);
      process.send({ warmed: received });
    } else if (msg.type === "measure") {
      measuring = (async () => {
        first = received;
        reads0 = reads;
        threads0 = threadTicks();
        stopProfiler = config.profile ? await startProfiler() : undefined;
        cpu0 = process.cpuUsage();
      })();
      await measuring;
      process.send({ measuring: true });
    } else if (msg.type === "stop") {
      // the server sent everything: what has not arrived within a second is counted as lost
      await waitFor(first + config.clients * config.events, 1000);
      const cpu = process.cpuUsage(cpu0);
      const threads = {};
      for (const [name, [user, sys]] of threadTicks()) {
        const [user0, sys0] = threads0.get(name) ?? [0, 0];
        // clock ticks are 10 ms (USER_HZ 100)
        if (user + sys > user0 + sys0) threads[name] = `${(((user - user0) * 1e4) / (received - first)).toFixed(2)}u+${(((sys - sys0) * 1e4) / (received - first)).toFixed(2)}s`;
      }
      const stop = stopProfiler;
      const profile = stop ? await stop() : undefined;
      const count = received - first;
      const sorted = latencies.slice(first, received).sort();
      const result = {
        received: count,
        lost: first + config.clients * config.events - received,
        usPerMessage: (cpu.user + cpu.system) / count,
        sysPerMessage: cpu.system / count,
        readsPerMessage: (reads - reads0) / count,
        threads,
        p50: sorted[Math.floor(count * 0.5)],
        p99: sorted[Math.floor(count * 0.99)],
      };
      if (profile) {
        const file = `/tmp/client-receive-${config.system}.cpuprofile`;
        writeFileSync(file, JSON.stringify(profile));
        result.profile = { file, ...topSelf(profile, config.top, count) };
      }
      process.send(result);
    } else if (msg.type === "exit") {
      for (const close of sockets) close();
      setTimeout(() => process.exit(0), 50);
    }
  });
}

/** CPU ticks (user, system) per thread name of this process, from /proc (Linux only; empty elsewhere). */
function threadTicks() {
  const ticks = new Map();
  try {
    for (const task of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = task === String(process.pid) ? "main" : readFileSync(`/proc/self/task/${task}/comm`, "utf8").trim();
      const [user, sys] = ticks.get(name) ?? [0, 0];
      ticks.set(name, [user + Number(fields[11]), sys + Number(fields[12])]);
    }
  } catch {}
  return ticks;
}

/* ---------------- runner ---------------- */

async function run(system, opts, profile) {
  const srv = child("server", { system });
  const { port } = await srv.next();
  const perf = opts.perf && profile;
  const cli = child("client", { system, port, clientEntry: opts.clientEntry[system],  clients: opts.clients, events: opts.events, warmup: opts.warmup, profile: profile && !perf, top: opts.top }, perf ? ["--perf-basic-prof"] : []);
  await cli.next();
  await srv.request({ type: "paced", rate: opts.rate, count: opts.warmup });
  await cli.request({ type: "warmup" });
  const load = loadavg()[0];
  await cli.request({ type: "measure" });
  // --perf: Linux perf samples the client process (native frames too) instead of V8's profiler
  const recorder = perf
    ? spawn("perf", ["record", "-F", "4000", "-g", "-o", `/tmp/client-receive-${system}.perf.data`, "-p", String(cli.proc.pid)], { stdio: "ignore" })
    : undefined;
  await srv.request({ type: "paced", rate: opts.rate, count: opts.events });
  if (recorder) {
    recorder.kill("SIGINT");
    await new Promise((resolve) => recorder.once("exit", resolve));
    console.log(`  perf data: /tmp/client-receive-${system}.perf.data (perf report -i … --no-children --sort symbol)`);
  }
  const result = await cli.request({ type: "stop" });
  await cli.exit();
  await srv.exit();
  return { ...result, load };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: "string", default: "500" },
      events: { type: "string", default: "500" },
      warmup: { type: "string", default: "100" },
      rate: { type: "string", default: "50" },
      rounds: { type: "string", default: "3" },
      top: { type: "string", default: "25" },
      profile: { type: "boolean", default: false },
      perf: { type: "boolean", default: false },
      only: { type: "string" },
      // another build of the client to compare with, as a third system "roomcast@<path>"
      compare: { type: "string" },
    },
  });
  const opts = {
    clients: Number(values.clients),
    events: Number(values.events),
    warmup: Number(values.warmup),
    rate: Number(values.rate),
    rounds: Number(values.rounds),
    top: Number(values.top),
    perf: values.perf,
    clientEntry: {},
  };
  const systems = values.only ? [values.only] : ["roomcast", "ws"];
  for (const entry of values.compare?.split(",") ?? []) {
    const [name, path] = entry.includes("=") ? entry.split("=") : ["before", entry];
    systems.splice(systems.length - 1, 0, name);
    opts.clientEntry[name] = path;
  }
  const results = Object.fromEntries(systems.map((s) => [s, []]));
  console.log(`clients ${opts.clients}, ${opts.events} events at ${opts.rate}/s (+${opts.warmup} warm-up), ${opts.rounds} rounds`);
  for (let round = 0; round < opts.rounds; round++) {
    // alternate which goes first, so a drift in load does not favour one
    const order = round % 2 ? [...systems].reverse() : systems;
    for (const system of order) {
      const r = await run(system, opts, (values.profile || values.perf) && round === 0);
      results[system].push(r);
      console.log(
        `round ${round + 1} ${system.padEnd(8)} ${r.usPerMessage.toFixed(2)} µs/msg (sys ${r.sysPerMessage.toFixed(2)})  p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  received ${r.received} reads/msg ${r.readsPerMessage.toFixed(3)}${r.lost ? ` LOST ${r.lost}` : ""}  load ${r.load.toFixed(2)}`,
      );
      console.log(`  µs/msg by thread: ${Object.entries(r.threads).map(([name, v]) => `${name} ${v}`).join(", ")}`);
      if (r.profile) {
        console.log(`  profile ${r.profile.file}: ${r.profile.busyUs.toFixed(2)} µs/msg outside idle; top self time (share, µs/msg):`);
        for (const row of r.profile.rows) console.log(`  ${(row.share * 100).toFixed(1).padStart(5)}% ${row.us.toFixed(3).padStart(6)}  ${row.key}`);
      }
    }
  }
  const summary = {};
  for (const system of systems) {
    const rs = results[system];
    summary[system] = { us: median(rs.map((r) => r.usPerMessage)), sys: median(rs.map((r) => r.sysPerMessage)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)) };
    console.log(`median ${system.padEnd(8)} ${summary[system].us.toFixed(2)} µs/msg (sys ${summary[system].sys.toFixed(2)})  p50 ${summary[system].p50.toFixed(3)} ms  p99 ${summary[system].p99.toFixed(3)} ms`);
  }
  for (const system of systems) {
    if (system === "ws" || !summary.ws) continue;
    const { [system]: rc, ws } = summary;
    console.log(
      `${`${system}/ws:`.padEnd(13)} cpu ${(rc.us / ws.us).toFixed(3)}× (+${(rc.us - ws.us).toFixed(2)} µs)  p50 ${(rc.p50 / ws.p50).toFixed(2)}×  p99 ${(rc.p99 / ws.p99).toFixed(2)}×`,
    );
  }
  console.log(`load now ${loadavg()[0].toFixed(2)}`);
}

const [role, config] = process.argv.slice(2);
if (role === "server") await server(JSON.parse(config));
else if (role === "client") await client(JSON.parse(config));
else await main();
