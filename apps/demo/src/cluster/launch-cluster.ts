import { fileURLToPath } from "node:url";
import { nodeName, startCluster } from "./cluster-plan.js";
import { ProcessGroup } from "./process-group.js";
import { readLaunchSettings, type LaunchSettings } from "./launch-settings.js";
import { installHint, missingTools, type ExternalTool } from "./required-tools.js";

/**
 * `pnpm demo:cluster`: Redis, three demo nodes and HAProxy in front of them. Ctrl-C stops every
 * process started here. Settings (launch-settings.ts): DEMO_HOST (the balancer's address,
 * default every IPv4 interface), DEMO_LB_PORT (8080), DEMO_NODE_PORTS (3001,3002,3003),
 * DEMO_REDIS_PORT (6390), REDIS_URL (an existing Redis instead of a fresh one). The nodes and
 * the fresh Redis listen on 127.0.0.1 only.
 */
let settings: LaunchSettings;
try {
  settings = readLaunchSettings(process.env);
} catch (err) {
  console.error(`pnpm demo:cluster: ${(err as Error).message}`);
  process.exit(1);
}

const needed: ExternalTool[] = settings.redisUrl ? ["haproxy"] : ["haproxy", "redis-server"];
const missing = missingTools(needed);
if (missing.length > 0) {
  console.error(`pnpm demo:cluster needs HAProxy${settings.redisUrl ? "" : " and Redis"}.\n${installHint(missing)}`);
  console.error("Or point the nodes at a running Redis with REDIS_URL=redis://host:6379.");
  process.exit(1);
}

const group = new ProcessGroup();
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log("\nstopping: nodes, then haproxy and redis…");
    // Nodes first, so their pages see a clean close before the balancer goes away.
    await group.stopAll([nodeName(0), nodeName(1), nodeName(2), "haproxy", "redis"]);
  }
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  const cluster = await startCluster(group, {
    serverEntry: fileURLToPath(new URL("../server/main.js", import.meta.url)),
    balancerHost: settings.host,
    balancerPort: settings.balancerPort,
    nodePorts: settings.nodePorts,
    redisUrl: settings.redisUrl,
    redisPort: settings.redisPort,
  });
  watchForExits();
  const pids = cluster.nodes.map((n) => `${n.name} pid ${group.get(n.name)?.pid} (port ${n.port})`).join(", ");
  console.log(
    [
      "",
      `roomcast demo cluster is up: open ${cluster.url} in two tabs.`,
      `  ${pids}`,
      `  redis ${cluster.redisUrl}`,
      "  Kill a node (kill <pid>) to watch its tabs reconnect to another one. Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
} catch (err) {
  console.error(`cluster did not start: ${(err as Error).message}`);
  await shutdown(1);
}

/** A node may go (that is the point of the demo); without Redis or the balancer nothing works, so stop. */
function watchForExits(): void {
  for (const name of group.names()) {
    group.get(name)?.on("exit", async (code, signal) => {
      // Ctrl-C reaches the children too; give our own SIGINT handler the first word.
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (name === "haproxy" || name === "redis") {
        console.error(`${name} exited (${how}); stopping the cluster.`);
        void shutdown(1);
      } else {
        console.log(`${name} exited (${how}); the other nodes keep serving its pages.`);
      }
    });
  }
}
