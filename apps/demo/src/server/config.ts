import { fileURLToPath } from "node:url";

/** How one demo node runs; every field comes from the environment so launchers and tests can vary it. */
export interface NodeConfig {
  port: number;
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

export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  return {
    port,
    host: env.HOST ?? "0.0.0.0",
    nodeId: env.NODE_ID ?? `node-${port}`,
    redisUrl: env.REDIS_URL || undefined,
    // dist/server/config.js -> dist/web
    staticDir: env.STATIC_DIR ?? fileURLToPath(new URL("../web/", import.meta.url)),
    presenceRefreshMs: Number(env.DEMO_PRESENCE_REFRESH_MS ?? 10_000),
  };
}
