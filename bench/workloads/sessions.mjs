/**
 * Sessions: what crash-safe recovery costs. The same server twice against its own redis-server,
 * with the Redis adapter only ("off") and with connection-state recovery on the Redis Streams
 * store ("streams"), which writes each live session to Redis at connect and after every join and
 * leave (batched per tick, the socket's output held until the write is done). Clients connect as
 * fast as they can, then each joins and leaves rooms in a loop, one request in flight per socket.
 * Redis commands are counted with INFO commandstats on that redis-server, from CONFIG RESETSTAT on.
 */
import { Redis } from "ioredis";
import { Child } from "../lib/child.mjs";
import { Histogram } from "../lib/histogram.mjs";
import { startRedis } from "../lib/redis.mjs";

const SERVER = new URL("../servers/sessions.mjs", import.meta.url);
const CLIENT = new URL("../load/sessions-client.mjs", import.meta.url);

/** calls per command since the last RESETSTAT: { evalsha: 12, subscribe: 3, ... } (script bodies' own calls included) */
async function commandCalls(redis) {
  const calls = {};
  for (const line of (await redis.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) calls[match[1]] = Number(match[2]);
  }
  return calls;
}

const total = (calls) => Object.entries(calls).reduce((sum, [name, n]) => (name === "info" || name === "config" ? sum : sum + n), 0);
const scripts = (calls) => (calls.evalsha ?? 0) + (calls.eval ?? 0);

async function runMode(mode, opts) {
  const redisServer = await startRedis();
  const probe = new Redis({ host: "127.0.0.1", port: redisServer.port });
  const server = new Child(SERVER, { args: [JSON.stringify({ redisPort: redisServer.port, mode })], name: `sessions ${mode} server` });
  let client;
  try {
    const { port } = await Promise.race([server.once("ready"), server.exit.then(() => { throw new Error(`sessions ${mode} server died on start`); })]);
    client = new Child(CLIENT, { args: [JSON.stringify({ url: `http://127.0.0.1:${port}`, count: opts.clients, concurrency: opts.connectConcurrency })], name: `sessions ${mode} clients` });
    await client.once("started");

    await probe.config("RESETSTAT");
    const connect = await client.request("connect");
    const connectCalls = await commandCalls(probe);

    await probe.config("RESETSTAT");
    const before = await server.request("stats");
    const churn = await client.request("churn", { durationMs: opts.durationMs, rooms: opts.rooms });
    const after = await server.request("stats");
    // the last writes of the churn land within a tick or two
    await new Promise((r) => setTimeout(r, 100));
    const churnCalls = await commandCalls(probe);

    const joins = new Histogram();
    joins.merge(churn.joins);
    const leaves = new Histogram();
    leaves.merge(churn.leaves);
    const changes = joins.total + leaves.total;
    const cpuMs = (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1000;
    return {
      connectsPerSec: connect.connected / (connect.elapsedMs / 1000),
      redisCallsPerConnect: total(connectCalls) / connect.connected,
      joinsPerSec: joins.total / (churn.elapsedMs / 1000),
      leavesPerSec: leaves.total / (churn.elapsedMs / 1000),
      joinP50: joins.summary().p50,
      joinP99: joins.summary().p99,
      serverCpuMsPer1000Changes: cpuMs / (changes / 1000),
      redisCallsPerChange: total(churnCalls) / changes,
      redisScriptsPerChange: scripts(churnCalls) / changes,
      churnCalls,
    };
  } finally {
    await Promise.all([client?.stop(), server.stop()]);
    probe.disconnect();
    await redisServer.stop();
  }
}

export async function sessions(_system, opts) {
  const off = await runMode("off", opts);
  const streams = await runMode("streams", opts);
  const ratio = (key) => streams[key] / off[key];
  return {
    off,
    streams,
    connectsPerSecOff: off.connectsPerSec,
    connectsPerSecStreams: streams.connectsPerSec,
    connectRatio: ratio("connectsPerSec"),
    joinsPerSecOff: off.joinsPerSec,
    joinsPerSecStreams: streams.joinsPerSec,
    joinRatio: ratio("joinsPerSec"),
    leavesPerSecOff: off.leavesPerSec,
    leavesPerSecStreams: streams.leavesPerSec,
    leaveRatio: ratio("leavesPerSec"),
    joinP50Off: off.joinP50,
    joinP50Streams: streams.joinP50,
    cpuPer1000Off: off.serverCpuMsPer1000Changes,
    cpuPer1000Streams: streams.serverCpuMsPer1000Changes,
    redisCallsPerChangeOff: off.redisCallsPerChange,
    redisCallsPerChangeStreams: streams.redisCallsPerChange,
    redisScriptsPerChangeStreams: streams.redisScriptsPerChange,
    redisCallsPerConnectOff: off.redisCallsPerConnect,
    redisCallsPerConnectStreams: streams.redisCallsPerConnect,
  };
}
