import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NodeProcess, packagesBuilt } from "./support/node-process.js";
import { closeClients, connected, numbers, range, trackedClient, type TrackedClient } from "./support/recovery-clients.js";
import { sleep, waitFor } from "./support/redis-nodes.js";
import { RedisServer } from "./support/redis-server.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/*
 * Crash-safe connection-state recovery (docs/RECOVERY.md, "Crashes"): nodes run as child processes
 * from the built packages (build first: pnpm turbo run build --filter=@roomcast/redis-adapter...),
 * clients reach them through a TCP relay, and a node is killed with SIGKILL while traffic flows.
 */
const script = new URL("./support/recovery-node.mjs", import.meta.url);
if (!packagesBuilt()) throw new Error("crash-recovery tests run the built packages: pnpm turbo run build --filter=@roomcast/redis-adapter... --filter=@roomcast/client");

let redis: RedisServer;
let run = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Nodes of one test, sharing a prefix of their own. */
async function startNodes(names: string[], env: Record<string, Record<string, string>> = {}): Promise<NodeProcess[]> {
  const prefix = `crash${process.pid}-${++run}`;
  const nodes = await Promise.all(names.map((name) => NodeProcess.start(script, name, { REDIS_URL: redis.url, PREFIX: prefix, ...env[name] })));
  cleanups.push(() => Promise.all(nodes.map((node) => node.stop())).then(() => {}));
  return nodes;
}

async function startProxy(target: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start(target);
  cleanups.push(() => proxy.close());
  return proxy;
}

function clientsOf(url: string, specs: { kind: "roomcast" | "socket.io"; rooms: string[] }[]): TrackedClient[] {
  const clients = specs.map((spec, i) => trackedClient(spec.kind, url, spec.rooms, `${spec.kind} #${i}`));
  cleanups.push(() => closeClients(clients));
  return clients;
}

/** Session keys stored under `prefix`, as redis-cli lists them. */
async function storedSessions(): Promise<number> {
  const keys = (await redis.cli("--scan", "--pattern", `{crash${process.pid}-${run}#*}#session#*`)).trim();
  return keys === "" ? 0 : keys.split("\n").length;
}

describe("a node killed with SIGKILL", () => {
  it("costs its clients nothing: they resume on another node with the same id, rooms and data, and every event once, in order", async () => {
    const [a, b, c] = await startNodes(["a", "b", "c"]);
    const proxy = await startProxy(a.port);
    const specs = [
      { kind: "roomcast" as const, rooms: ["room", "own-0"] },
      { kind: "roomcast" as const, rooms: ["room", "own-1"] },
      { kind: "roomcast" as const, rooms: ["room", "own-2"] },
      { kind: "socket.io" as const, rooms: ["room", "own-3"] },
      { kind: "socket.io" as const, rooms: ["room", "own-4"] },
    ];
    const clients = clientsOf(`http://127.0.0.1:${proxy.port}`, specs);
    await connected(clients);
    const ids = clients.map((client) => client.socket.id);
    // changes made while the socket lives: each ack comes once the change is stored
    for (const [i, client] of clients.entries()) {
      expect(await client.socket.timeout(5000).emitWithAck("join", `extra-${i}`)).toBe("a");
      expect(await client.socket.timeout(5000).emitWithAck("set-data", "note", `note-${i}`)).toBe("a");
    }

    await c.request("pace", { room: "room", every: 5 });
    await waitFor(() => clients.every((client) => numbers(client.received).length >= 30), "traffic before the crash");
    proxy.point(b.port);
    await a.crash();
    await connected(clients, 2);
    // the room joined after connecting came back too
    for (const i of clients.keys()) await c.request("emit", { room: `extra-${i}`, value: `extra ${i}` });
    await sleep(200);
    const { next } = await c.request<{ next: number }>("stop", { room: "room" });
    await waitFor(() => clients.every((client) => numbers(client.received).at(-1) === next - 1), "the last event on every client");

    for (const [i, client] of clients.entries()) {
      expect(client.connects.map((connect) => connect.recovered), client.label).toEqual([false, true]);
      expect(client.connects[1].id, client.label).toBe(ids[i]);
      expect(numbers(client.received), client.label).toEqual(range(0, next));
      expect(client.received, client.label).toContain(`extra ${i}`);
      const restored = await b.request<{ found: boolean; rooms: string[]; data: unknown; recovered: boolean }>("socket", { sid: ids[i] });
      expect(restored.recovered, client.label).toBe(true);
      expect(restored.rooms.sort(), client.label).toEqual([ids[i], "room", `own-${i}`, `extra-${i}`].sort());
      expect(restored.data, client.label).toEqual({ rooms: ["room", `own-${i}`], first: "a", note: `note-${i}` });
    }
    const { stats } = await b.request<{ stats: { recovered: number; failed: number } }>("stats");
    expect(stats).toMatchObject({ recovered: clients.length, failed: 0 });
  });

  it("never shows a client a change it had not stored: the client resumes the state stored before it, and nothing is missing", async () => {
    // a on a long flush delay: a join is stored 1.5 s after it happens, so the kill comes first
    const [a, b] = await startNodes(["a", "b"], { a: { FLUSH_DELAY: "1500" } });
    const proxy = await startProxy(a.port);
    const clients = clientsOf(`http://127.0.0.1:${proxy.port}`, [
      { kind: "roomcast", rooms: ["room"] },
      { kind: "socket.io", rooms: ["room"] },
    ]);
    await connected(clients);
    const ids = clients.map((client) => client.socket.id);
    // the fresh sessions are stored after the flush delay
    await waitFor(async () => (await storedSessions()) === clients.length, "the sessions stored", 8000);
    await b.request("pace", { room: "room", every: 5 });
    await waitFor(() => clients.every((client) => numbers(client.received).length >= 20), "traffic");

    // each client asks to join "secret"; the node joins it, tells the room and acks
    const acks = clients.map((client) => client.socket.timeout(4000).emitWithAck("join", "secret").then(() => "acked", () => "no ack"));
    await waitFor(() => a.events.filter((event) => event.event === "joined").length === clients.length, "the joins on node a");
    const receivedAtJoin = clients.map((client) => client.received.length);
    proxy.point(b.port);
    await a.crash();
    await connected(clients, 2);
    expect(await Promise.all(acks)).toEqual(["no ack", "no ack"]);

    await sleep(200);
    const { next } = await b.request<{ next: number }>("stop", { room: "room" });
    await waitFor(() => clients.every((client) => numbers(client.received).at(-1) === next - 1), "the last event on every client");
    for (const [i, client] of clients.entries()) {
      // nothing the join caused reached the client before the crash
      expect(client.received.slice(0, receivedAtJoin[i]), client.label).not.toContain("joined secret");
      expect(client.received, client.label).not.toContain("joined secret");
      // it resumed what was stored: its session without "secret", and every event of "room"
      expect(client.connects.map((connect) => connect.recovered), client.label).toEqual([false, true]);
      expect(numbers(client.received), client.label).toEqual(range(0, next));
      const restored = await b.request<{ rooms: string[] }>("socket", { sid: ids[i] });
      expect(restored.rooms.sort(), client.label).toEqual([ids[i], "room"].sort());
    }
  });

  it("gives recovered === false to a client whose session was not stored yet", async () => {
    const [a, b] = await startNodes(["a", "b"], { a: { FLUSH_DELAY: "5000" } });
    const proxy = await startProxy(a.port);
    const clients = clientsOf(`http://127.0.0.1:${proxy.port}`, [
      { kind: "roomcast", rooms: ["room"] },
      { kind: "socket.io", rooms: ["room"] },
    ]);
    await connected(clients);
    const ids = clients.map((client) => client.socket.id);
    expect(await storedSessions()).toBe(0);
    await b.request("pace", { room: "room", every: 5 });
    proxy.point(b.port);
    await a.crash();
    await connected(clients, 2);
    await b.request("stop", { room: "room" });
    for (const [i, client] of clients.entries()) {
      expect(client.connects.map((connect) => connect.recovered), client.label).toEqual([false, false]);
      expect(client.connects[1].id, client.label).not.toBe(ids[i]);
      // its output waited for the first write: it saw nothing that write would have covered
      expect(client.received.slice(0, client.sessionStarts[1]), client.label).toEqual([]);
    }
  });
});
