import { fileURLToPath } from "node:url";
import { hostPort, localUrl, probeUrl } from "../server/bind-address.js";
import type { ProcessGroup } from "./process-group.js";
import { waitForProcessServing } from "./wait-for.js";

/** The balancer config shipped with the demo (same relative place from src/cluster and dist/cluster). */
export const HAPROXY_CONFIG = fileURLToPath(new URL("../../deploy/haproxy.cfg", import.meta.url));

export interface ClusterPlan {
  /** Built demo server entry (dist/server/main.js). */
  serverEntry: string;
  /** Address the balancer binds: "0.0.0.0" (every IPv4 interface), "127.0.0.1", "::1"… The nodes and Redis always bind 127.0.0.1. */
  balancerHost: string;
  balancerPort: number;
  nodePorts: [number, number, number];
  /** Use this Redis; when absent, `redisPort` gets a fresh redis-server. */
  redisUrl?: string;
  redisPort?: number;
  /** Extra environment for the nodes. */
  nodeEnv?: NodeJS.ProcessEnv;
  /** How long to wait for everything to answer. Default 20 s. */
  readyTimeoutMs?: number;
}

export interface RunningCluster {
  url: string;
  redisUrl: string;
  nodes: Array<{ name: string; port: number }>;
}

export const nodeName = (index: number): string => `node-${index + 1}`;

/**
 * Starts Redis (unless one is given), three demo nodes and HAProxy in `group`, and resolves when
 * the balancer serves the page. On failure the caller stops the group.
 */
export async function startCluster(group: ProcessGroup, plan: ClusterPlan): Promise<RunningCluster> {
  const timeout = plan.readyTimeoutMs ?? 20_000;
  let redisUrl = plan.redisUrl;
  if (!redisUrl) {
    const port = plan.redisPort ?? 6379;
    // A throwaway instance: nothing written to disk, only loopback.
    group.start("redis", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]);
    redisUrl = `redis://127.0.0.1:${port}`;
  }

  const nodes = plan.nodePorts.map((port, i) => ({ name: nodeName(i), port }));
  const children = nodes.map((node) => startNode(group, plan, node, redisUrl));
  await Promise.all(nodes.map((node, i) => waitForProcessServing(node.name, children[i], `http://127.0.0.1:${node.port}/readyz`, timeout)));

  const haproxy = group.start("haproxy", "haproxy", ["-db", "-f", HAPROXY_CONFIG], {
    env: {
      ...process.env,
      DEMO_LB_BIND: hostPort(plan.balancerHost, plan.balancerPort),
      DEMO_NODE1: `127.0.0.1:${plan.nodePorts[0]}`,
      DEMO_NODE2: `127.0.0.1:${plan.nodePorts[1]}`,
      DEMO_NODE3: `127.0.0.1:${plan.nodePorts[2]}`,
    },
  });
  await waitForProcessServing("haproxy", haproxy, probeUrl(plan.balancerHost, plan.balancerPort, "/readyz"), timeout);
  return { url: localUrl(plan.balancerHost, plan.balancerPort), redisUrl, nodes };
}

/** Starts (or restarts) one node of the plan. */
export function startNode(group: ProcessGroup, plan: ClusterPlan, node: { name: string; port: number }, redisUrl: string) {
  return group.start(node.name, process.execPath, [plan.serverEntry], {
    env: { ...process.env, ...plan.nodeEnv, PORT: String(node.port), HOST: "127.0.0.1", NODE_ID: node.name, REDIS_URL: redisUrl },
  });
}
