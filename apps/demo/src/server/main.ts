import { createServer } from "node:http";
import { createHealthHandler, Server } from "@roomcast/core";
import { PING_INTERVAL_MS, PING_TIMEOUT_MS } from "../shared/connection-timing.js";
import { localUrl } from "./bind-address.js";
import { attachChat } from "./chat-server.js";
import { RECOVERY_WINDOW_MS, type ChatServer } from "./chat-types.js";
import { readNodeConfig, type NodeConfig } from "./config.js";
import { createStaticHandler } from "./static-files.js";

/**
 * One demo node: the built browser app and roomcast on the same HTTP server. With REDIS_URL
 * set it joins a cluster through the Redis adapter; without it, it runs alone in memory.
 */
let config: NodeConfig;
try {
  config = readNodeConfig();
} catch (err) {
  console.error(`demo node not started: ${(err as Error).message}`);
  process.exit(1);
}
const log = (message: string) => console.log(`[${config.nodeId}] ${message}`);

const serveStatic = createStaticHandler(config.staticDir);
const httpServer = createServer((req, res) => {
  // /healthz (live) and /readyz (ready: listening, not draining, Redis connected) for the balancer
  if (health(req, res)) return;
  serveStatic(req, res).catch(() => res.destroy());
});

// Loaded only in cluster mode: a single node never touches Redis.
const redis = config.redisUrl ? (await import("./redis-cluster.js")).connectRedis(config.redisUrl, log) : undefined;

const io: ChatServer = new Server(httpServer, {
  // The page's resend budget is sized against these (src/shared/connection-timing.ts).
  pingInterval: PING_INTERVAL_MS,
  pingTimeout: PING_TIMEOUT_MS,
  // A page that reconnects within two minutes keeps its rooms and gets the messages it missed
  // (listed by src/web/ui/missed-messages.ts). One node keeps them in memory; a cluster keeps
  // them in a Redis stream, so the page may come back on any node.
  connectionStateRecovery: { maxDisconnectionDuration: RECOVERY_WINDOW_MS, store: redis?.recoveryStore },
});
if (redis) io.adapter(redis.adapter);
const health = createHealthHandler(io);

// Nicknames, presence and room history: in Redis for a cluster (every node sees the same), else in memory.
const detachChat = attachChat(io, { nodeId: config.nodeId, state: redis?.chatState, presenceRefreshMs: config.presenceRefreshMs, log });

httpServer.on("error", (err) => {
  console.error(`[${config.nodeId}] cannot listen on ${config.host}:${config.port}: ${err.message}`);
  process.exit(1);
});
httpServer.listen(config.port, config.host, () => {
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const mode = config.redisUrl ? `cluster via ${config.redisUrl}` : "single node, in-memory adapter";
  log(`listening on ${localUrl(config.host, port)} (${mode}${config.host === "0.0.0.0" ? ", every IPv4 interface: DEMO_HOST=127.0.0.1 keeps it to this machine" : ""})`);
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: closing connections${config.redisUrl ? " (pages reconnect to another node)" : ""}`);
  detachChat();
  // A stuck close must not keep the process alive forever.
  setTimeout(() => process.exit(1), 5000).unref();
  try {
    await io.close();
    await redis?.close();
  } finally {
    process.exit(0);
  }
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
