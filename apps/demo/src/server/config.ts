import { fileURLToPath } from "node:url";
import { parseHost, parsePort } from "./bind-address.js";

/** How one demo node runs; every field comes from the environment so launchers and tests can vary it. */
export interface NodeConfig {
  port: number;
  /** The address to bind: `HOST`, else `DEMO_HOST`, else every IPv4 interface (0.0.0.0). */
  host: string;
  /** Shown in the page footer so you can see which node serves which tab. */
  nodeId: string;
  /** When set, the node joins the cluster through Redis; otherwise it uses the in-memory adapter. */
  redisUrl: string | undefined;
  /** The `vite build` output. */
  staticDir: string;
  /** How often presence is re-announced, which is what clears users of a node that died. */
  presenceRefreshMs: number;
}

/** @throws Error naming the variable whose value is not usable. */
export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const port = parsePort("PORT", env.PORT, 3000, true);
  // HOST is this node's own setting (the cluster launcher sets it to 127.0.0.1 for its nodes);
  // DEMO_HOST is the one setting for the demo's public address, here and in the cluster launcher.
  const host = env.HOST ? parseHost("HOST", env.HOST) : parseHost("DEMO_HOST", env.DEMO_HOST);
  const presenceRefreshMs = Number(env.DEMO_PRESENCE_REFRESH_MS ?? 10_000);
  if (!Number.isInteger(presenceRefreshMs) || presenceRefreshMs < 0) {
    throw new Error(`DEMO_PRESENCE_REFRESH_MS must be a whole number of ms (0 turns the refresh off), got "${env.DEMO_PRESENCE_REFRESH_MS}"`);
  }
  return {
    port,
    host,
    nodeId: env.NODE_ID ?? `node-${port}`,
    redisUrl: env.REDIS_URL || undefined,
    // dist/server/config.js -> dist/web
    staticDir: env.STATIC_DIR ?? fileURLToPath(new URL("../web/", import.meta.url)),
    presenceRefreshMs,
  };
}
