import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Haproxy, requireHaproxy } from "./support/haproxy.js";
import { NodeProcess, packagesBuilt } from "./support/node-process.js";
import { closeClients, connected, numbers, range, trackedClient, type TrackedClient } from "./support/recovery-clients.js";
import { sleep, waitFor } from "./support/redis-nodes.js";
import { freePort, RedisServer } from "./support/redis-server.js";

/*
 * The demo's load balancer (apps/demo/deploy/haproxy.cfg: round-robin, health checks on /healthz,
 * redispatch) in front of three nodes in child processes with crash-safe recovery: one node is
 * killed with SIGKILL while traffic flows, and its clients come back through HAProxy on the others.
 */
const CONFIG = new URL("../../../apps/demo/deploy/haproxy.cfg", import.meta.url);
const script = new URL("./support/recovery-node.mjs", import.meta.url);
if (!packagesBuilt()) throw new Error("these tests run the built packages: pnpm turbo run build --filter=@roomcast/redis-adapter... --filter=@roomcast/client");

/** The demo configuration as written, its addresses (read from the environment) set to loopback ports. */
function demoConfig(balancerPort: number, nodePorts: number[]): string {
  const addresses: Record<string, string> = { DEMO_LB_BIND: `127.0.0.1:${balancerPort}` };
  nodePorts.forEach((port, i) => (addresses[`DEMO_NODE${i + 1}`] = `127.0.0.1:${port}`));
  const config = readFileSync(CONFIG, "utf8").replace(/"\$\{(DEMO_[A-Z0-9_]+)\}"/g, (all, name: string) => addresses[name] ?? all);
  expect(config).not.toContain("${DEMO_");
  expect(config).toMatch(/^\s+balance roundrobin$/m);
  expect(config).toMatch(/^\s+option redispatch$/m);
  return config;
}

describe("behind the demo's HAProxy, a node killed with SIGKILL", () => {
  let redis: RedisServer | undefined;
  let haproxy: Haproxy | undefined;
  const nodes: NodeProcess[] = [];
  const clients: TrackedClient[] = [];

  beforeAll(async () => {
    requireHaproxy();
    redis = await RedisServer.start();
    for (const name of ["node1", "node2", "node3"]) nodes.push(await NodeProcess.start(script, name, { REDIS_URL: redis.url, PREFIX: `haproxy${process.pid}` }));
  }, 30_000);

  afterAll(async () => {
    closeClients(clients);
    await haproxy?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    await redis?.kill();
  });

  it("costs its clients nothing: they come back through HAProxy on another node, recovered, with every event once and in order", async () => {
    const port = await freePort();
    haproxy = await Haproxy.start(demoConfig(port, nodes.map((node) => node.port)), port);
    const url = `http://127.0.0.1:${port}`;
    // one at a time, so that round-robin gives every node clients of both kinds
    for (let i = 0; i < 9; i++) {
      const client = trackedClient(i % 3 === 2 ? "socket.io" : "roomcast", url, ["room"], `client ${i}`);
      clients.push(client);
      await connected([client]);
    }
    const homes = await Promise.all(clients.map((client) => client.socket.timeout(3000).emitWithAck("whoami") as Promise<string>));
    expect(new Set(homes)).toEqual(new Set(["node1", "node2", "node3"]));
    const ids = clients.map((client) => client.socket.id);
    // changes made while connected are stored as they happen
    for (const [i, client] of clients.entries()) await client.socket.timeout(3000).emitWithAck("join", `own-${i}`);

    const [victim, pacer] = [nodes[0], nodes[1]];
    await pacer.request("pace", { room: "room", every: 5 });
    await waitFor(() => clients.every((client) => numbers(client.received).length >= 30), "traffic before the crash");
    await victim.crash();
    const moved = clients.filter((_, i) => homes[i] === victim.name);
    const stayed = clients.filter((_, i) => homes[i] !== victim.name);
    await connected(moved, 2, 15_000);
    for (const i of clients.keys()) await pacer.request("emit", { room: `own-${i}`, value: `own ${i}` });
    await sleep(200);
    const { next } = await pacer.request<{ next: number }>("stop", { room: "room" });
    await waitFor(() => clients.every((client) => numbers(client.received).at(-1) === next - 1), "the last event on every client");

    expect(moved.length).toBeGreaterThan(0);
    for (const client of moved) {
      const i = clients.indexOf(client);
      expect(client.connects.map((connect) => connect.recovered), client.label).toEqual([false, true]);
      expect(client.connects[1].id, client.label).toBe(ids[i]);
      const home = (await client.socket.timeout(3000).emitWithAck("whoami")) as string;
      expect(home, client.label).not.toBe(victim.name);
    }
    for (const client of stayed) expect(client.connects.length, client.label).toBe(1);
    for (const [i, client] of clients.entries()) {
      expect(numbers(client.received), client.label).toEqual(range(0, next));
      expect(client.received, client.label).toContain(`own ${i}`);
    }
  });
});
