#!/usr/bin/env node
/**
 * Soak run: a server in this process, churning clients in a child process, broadcasts and acks
 * both ways. Samples memory and the server's internal map sizes (`io.debugCounts()`), then stops
 * the clients and checks that memory returns to its baseline and every map drains to empty.
 *
 *   pnpm turbo run build --filter=@roomcast/core
 *   node --expose-gc packages/core/scripts/soak.mjs [minutes=30] [clients=300] [out.json]
 *
 * Exit code 0 when the end state passes, 1 otherwise.
 */
import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const role = process.argv[2];
if (role === "--clients") await runClients(Number(process.argv[3]), Number(process.argv[4]));
else await runServer();

async function runServer() {
  const minutes = Number(process.argv[2] ?? 30);
  const clients = Number(process.argv[3] ?? 300);
  const out = process.argv[4];
  const { Server } = await import("../dist/index.js");
  const gc = globalThis.gc ?? (() => {});
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(200);
    }
  };

  const io = new Server(0, { pingInterval: 5000, pingTimeout: 5000, maxPendingAcks: 50, maxConnectionsPerIp: 10_000 });
  await new Promise((resolve) => io.httpServer.once("listening", resolve));
  const port = io.httpServer.address().port;
  const rooms = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];
  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      if (rooms.includes(room)) socket.join(room);
      ack?.({ ok: true });
    });
    socket.on("leave", (room) => socket.leave(room));
    socket.on("say", (room, text, ack) => {
      socket.to(room).emit("said", text);
      ack?.(text.length);
    });
    // The server also waits for client acks: some are never answered and must expire.
    socket.timeout(2000).emit("probe", Date.now(), () => {});
  });
  const broadcaster = setInterval(() => {
    const room = rooms[Math.floor(Math.random() * rooms.length)];
    io.to(room).emit("tick", Date.now(), "x".repeat(200));
    io.volatile.emit("pulse", Date.now());
    if (Math.random() < 0.2) {
      io.to(room)
        .timeout(1000)
        .emit("poll", () => {});
    }
  }, 50);

  await settle();
  const baseline = process.memoryUsage();
  const samples = [];
  const sample = (phase) => {
    const m = process.memoryUsage();
    const s = {
      t: Math.round((Date.now() - started) / 1000),
      phase,
      rssMB: mb(m.rss),
      heapUsedMB: mb(m.heapUsed),
      externalMB: mb(m.external),
      counts: io.debugCounts(),
      opened: io.metrics.connectionsOpened,
      packetsSent: io.metrics.packetsSent,
    };
    samples.push(s);
    console.log(JSON.stringify(s));
  };
  const started = Date.now();
  console.log(`soak: ${minutes} min, ${clients} clients churning, port ${port}`);
  console.log(`baseline heapUsed ${mb(baseline.heapUsed)} MB, rss ${mb(baseline.rss)} MB`);

  const child = fork(fileURLToPath(import.meta.url), ["--clients", String(port), String(clients)], { stdio: "inherit" });
  const sampler = setInterval(() => sample("load"), 30_000);
  await sleep(minutes * 60_000);
  clearInterval(sampler);
  sample("load-end");
  clearInterval(broadcaster);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  // Let the server see every close and let ack timers (at most 2 s) run out.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && io.debugCounts().connections > 0) await sleep(200);
  await sleep(3000);
  await settle();
  sample("drained");
  const end = samples[samples.length - 1];
  const peak = Math.max(...samples.map((s) => s.heapUsedMB));
  const c = end.counts;
  const drained =
    c.connections === 0 && c.sockets === 0 && c.rooms === 0 && c.roomMemberships === 0 && c.indexedSockets === 0 &&
    c.pendingAcks === 0 && c.pendingNamespaces === 0 && c.pendingRequests === 0 && c.trackedAddresses === 0;
  // JIT code and interned strings from the run stay; a leak would scale with the churn.
  const heapBack = end.heapUsedMB <= mb(baseline.heapUsed) + 8;
  const summary = {
    command: `node --expose-gc packages/core/scripts/soak.mjs ${minutes} ${clients}`,
    minutes,
    clients,
    connectionsOpened: end.opened,
    packetsSent: end.packetsSent,
    baselineHeapMB: mb(baseline.heapUsed),
    peakHeapMB: peak,
    endHeapMB: end.heapUsedMB,
    baselineRssMB: mb(baseline.rss),
    endRssMB: end.rssMB,
    endCounts: c,
    metrics: { ...io.metrics },
    drained,
    heapBack,
  };
  console.log("summary " + JSON.stringify(summary, null, 2));
  if (out) writeFileSync(out, JSON.stringify({ summary, samples }, null, 2));
  await io.close();
  process.exit(drained && heapBack ? 0 : 1);
}

async function runClients(port, target) {
  const { default: WebSocket } = await import("ws");
  const live = new Set();
  let stopping = false;
  const open = () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/roomcast`, ["roomcast.v1.json"]);
    let id = 0;
    const rooms = [];
    ws.on("error", () => {});
    ws.on("open", () => {
      live.add(ws);
      ws.send(JSON.stringify([0, "/"]));
    });
    ws.on("message", (data) => {
      const packet = JSON.parse(data.toString());
      if (packet[0] === 7) return ws.send("[7]");
      if (packet[0] === 1) {
        for (let i = 0; i < 3; i++) {
          const room = `r${Math.floor(Math.random() * 8)}`;
          rooms.push(room);
          ws.send(JSON.stringify([5, "/", ++id, "join", room]));
        }
        return;
      }
      // Answer half of the server's acks; the other half must expire on the server.
      if (packet[0] === 5 && Math.random() < 0.5) ws.send(JSON.stringify([6, "/", packet[2], "ok"]));
    });
    ws.on("close", () => {
      live.delete(ws);
      if (!stopping) setTimeout(open, Math.random() * 200);
    });
    ws.chatter = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN || rooms.length === 0) return;
      const room = rooms[Math.floor(Math.random() * rooms.length)];
      if (Math.random() < 0.5) ws.send(JSON.stringify([5, "/", ++id, "say", room, "hello"]));
      else ws.send(JSON.stringify([4, "/", "say", room, "hi"]));
      if (Math.random() < 0.05) ws.send(JSON.stringify([4, "/", "leave", room]));
    }, 500 + Math.random() * 500);
    ws.on("close", () => clearInterval(ws.chatter));
  };
  for (let i = 0; i < target; i++) open();
  // Churn: every 100 ms a few clients go (politely or abruptly) and are replaced on close.
  const churn = setInterval(() => {
    let n = 0;
    for (const ws of live) {
      if (Math.random() < 0.01) {
        if (n++ % 2) ws.terminate();
        else ws.close(1000);
      }
    }
  }, 100);
  process.on("SIGTERM", () => {
    stopping = true;
    clearInterval(churn);
    for (const ws of live) ws.terminate();
    setTimeout(() => process.exit(0), 500);
  });
}

function mb(bytes) {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
