import { parseHost, parsePort } from "../server/bind-address.js";

/** What `pnpm demo:cluster` starts where; every field comes from the environment. */
export interface LaunchSettings {
  /** `DEMO_HOST`: the balancer's address (default 0.0.0.0, every IPv4 interface; 127.0.0.1 keeps it to this machine). */
  host: string;
  /** `DEMO_LB_PORT` (8080). */
  balancerPort: number;
  /** `DEMO_NODE_PORTS` (3001,3002,3003): three distinct ports, on 127.0.0.1. */
  nodePorts: [number, number, number];
  /** `DEMO_REDIS_PORT` (6390, not 6379, so a Redis already running here is left alone): the fresh Redis, on 127.0.0.1. */
  redisPort: number;
  /** `REDIS_URL`: use this Redis instead of starting one. */
  redisUrl: string | undefined;
}

/** @throws Error naming the variable whose value is not usable. */
export function readLaunchSettings(env: NodeJS.ProcessEnv): LaunchSettings {
  const settings: LaunchSettings = {
    host: parseHost("DEMO_HOST", env.DEMO_HOST),
    balancerPort: parsePort("DEMO_LB_PORT", env.DEMO_LB_PORT, 8080),
    nodePorts: parseNodePorts(env.DEMO_NODE_PORTS),
    redisPort: parsePort("DEMO_REDIS_PORT", env.DEMO_REDIS_PORT, 6390),
    redisUrl: env.REDIS_URL || undefined,
  };
  const ports = [settings.balancerPort, ...settings.nodePorts, ...(settings.redisUrl ? [] : [settings.redisPort])];
  const twice = ports.find((port, i) => ports.indexOf(port) !== i);
  if (twice !== undefined) throw new Error(`port ${twice} is given twice among DEMO_LB_PORT, DEMO_NODE_PORTS and DEMO_REDIS_PORT`);
  return settings;
}

function parseNodePorts(value: string | undefined): [number, number, number] {
  if (value === undefined || value === "") return [3001, 3002, 3003];
  const parts = value.split(",").map((part) => part.trim());
  if (parts.length !== 3 || parts.includes("")) throw new Error(`DEMO_NODE_PORTS must be three ports separated by commas (for example 3001,3002,3003), got "${value}"`);
  return parts.map((part) => parsePort("DEMO_NODE_PORTS", part, Number.NaN)) as [number, number, number];
}
