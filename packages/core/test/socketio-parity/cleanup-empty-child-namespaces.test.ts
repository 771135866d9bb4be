import { afterEach, describe, expect, it } from "vitest";
import { PacketType } from "@roomcast/protocol";
import { Adapter, type Namespace, type ServerOptions } from "../../src/index.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

/** The in-memory adapter, counting the adapters closed (one per removed namespace). */
const closed: string[] = [];
class CountingAdapter extends Adapter {
  override close(): void {
    closed.push(this.nsp.name);
  }
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  closed.length = 0;
});

/** A server with a RegExp namespace; `created` lists every child namespace object made for it. */
async function start(options: Partial<ServerOptions> = {}): Promise<{ s: TestServer; created: Namespace[] }> {
  const s = await startServer({ cleanupEmptyChildNamespaces: true, adapter: CountingAdapter, ...options });
  server = s;
  const created: Namespace[] = [];
  s.io.on("new_namespace", (nsp) => {
    if (nsp.name.startsWith("/team-")) created.push(nsp);
  });
  s.io.of(/^\/team-\d+$/);
  return { s, created };
}

function parentOf(nsp: Namespace): { children: Set<Namespace> } {
  return nsp.parent as unknown as { children: Set<Namespace> };
}

describe("cleanupEmptyChildNamespaces", () => {
  it("removes a dynamic child when its last socket leaves, and re-creates it on the next CONNECT", async () => {
    const { s, created } = await start();
    const a = await s.client();
    const b = await s.client();
    await a.joinOk("/team-1");
    await b.joinOk("/team-1");
    expect(created).toHaveLength(1);
    const first = created[0];
    a.close();
    await waitUntil(() => first.sockets.size === 1);
    expect(parentOf(first).children.has(first)).toBe(true);
    expect(closed).toEqual([]);

    b.close();
    await waitUntil(() => closed.length === 1);
    expect(closed).toEqual(["/team-1"]);
    expect(parentOf(first).children.has(first)).toBe(false);

    const c = await s.client();
    await c.joinOk("/team-1");
    expect(created).toHaveLength(2);
    expect(created[1]).not.toBe(first);
    expect(s.io.of("/team-1")).toBe(created[1]);
    expect(created[1].sockets.size).toBe(1);
  });

  it("a socket that leaves only the namespace (DISCONNECT) counts as leaving", async () => {
    const { s, created } = await start();
    const client = await s.client();
    await client.joinOk("/team-2");
    await client.joinOk("/");
    client.send({ type: PacketType.DISCONNECT, nsp: "/team-2" });
    await waitUntil(() => closed.length === 1);
    expect(parentOf(created[0]).children.size).toBe(0);
    // the connection and its other namespace are untouched
    expect(s.io.sockets.sockets.size).toBe(1);
    expect(client.closeInfo).toBeUndefined();
  });

  it("broadcasts through the parent no longer reach a removed child", async () => {
    const { s, created } = await start();
    const client = await s.client();
    await client.joinOk("/team-3");
    const parent = created[0].parent as Namespace;
    created[0].disconnectSockets();
    await waitUntil(() => closed.length === 1);
    const other = await s.client();
    await other.joinOk("/team-4");
    parent.emit("hello");
    await other.waitForEvent("hello", "/team-4");
    expect(client.events("/team-3", "hello")).toHaveLength(0);
  });

  it("removes a child whose CONNECT was refused by middleware, so refused names do not pile up", async () => {
    const { s } = await start();
    s.io.of(/^\/room-\d+$/).use((_socket, next) => next(new Error("no")));
    const client = await s.client();
    expect(await client.join("/room-9")).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "no" });
    await waitUntil(() => closed.length === 1);
    const other = await s.client();
    expect(await other.join("/room-9")).toMatchObject({ type: PacketType.CONNECT_ERROR, message: "no" });
    await waitUntil(() => closed.length === 2);
    expect(closed).toEqual(["/room-9", "/room-9"]);
  });

  it("keeps an emptied child while another CONNECT to it is still in its middleware", async () => {
    const { s } = await start();
    let release: (() => void) | undefined;
    const parent = s.io.of(/^\/slow-\d+$/);
    parent.use((socket, next) => {
      if (socket.handshake.auth.wait) release = () => next();
      else next();
    });
    const a = await s.client();
    await a.joinOk("/slow-1");
    const b = await s.client();
    const joining = b.join("/slow-1", { wait: true });
    await waitUntil(() => release !== undefined);
    a.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toEqual([]);
    release?.();
    expect(await joining).toMatchObject({ type: PacketType.CONNECTED });
    // the socket is in the namespace the server serves under that name, not in a removed one
    expect(s.io.of("/slow-1").sockets.size).toBe(1);
  });

  it("works for a function matcher too", async () => {
    const { s } = await start();
    s.io.of((name, _auth, next) => next(null, name.startsWith("/fn-")));
    const client = await s.client();
    await client.joinOk("/fn-a");
    client.send({ type: PacketType.DISCONNECT, nsp: "/fn-a" });
    await waitUntil(() => closed.includes("/fn-a"));
  });

  it("with connection-state recovery, the child's recovery store is closed with it", async () => {
    const { s, created } = await start({ connectionStateRecovery: {} });
    const client = await s.client();
    await client.joinOk("/team-5");
    const child = created[0];
    client.ws.terminate();
    await waitUntil(() => closed.length === 1);
    expect(parentOf(child).children.has(child)).toBe(false);
    const again = await s.client();
    expect(await again.join("/team-5")).toMatchObject({ type: PacketType.CONNECTED, info: { recovered: false } });
  });

  it("is off by default: a child outlives its sockets, as in Socket.IO", async () => {
    const { s, created } = await start({ cleanupEmptyChildNamespaces: false });
    const client = await s.client();
    await client.joinOk("/team-6");
    client.close();
    await waitUntil(() => created[0].sockets.size === 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(closed).toEqual([]);
    const again = await s.client();
    await again.joinOk("/team-6");
    expect(created).toHaveLength(1);
  });

  it("never removes static namespaces", async () => {
    const { s } = await start();
    const admin = s.io.of("/admin");
    const client = await s.client();
    await client.joinOk("/admin");
    client.close();
    await waitUntil(() => admin.sockets.size === 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s.io.of("/admin")).toBe(admin);
    expect(closed).toEqual([]);
  });
});
