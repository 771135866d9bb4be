import { ErrorCode, PacketType } from "@roomcast/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterAdapter, type ClusterAdapterOptions, type ClusterCodec, InProcessHub, msgpackClusterCodec, PartialResponseError } from "../../src/cluster/index.js";
import { InProcessBus } from "../../src/cluster/in-process-bus.js";
import { MessageType } from "../../src/cluster/messages.js";
import { OutgoingPacket } from "../../src/dialect/outgoing-packet.js";
import { FakeNamespace } from "./support/fake-namespace.js";
import { settle, waitFor } from "./support/wait.js";

interface Node {
  nsp: FakeNamespace;
  adapter: ClusterAdapter;
  bus: InProcessBus;
}

const quiet = { warn: () => {} };
let nodes: Node[] = [];

async function cluster(count = 3, opts: ClusterAdapterOptions = {}): Promise<Node[]> {
  const hub = new InProcessHub();
  nodes = [];
  for (let i = 0; i < count; i++) {
    const nsp = new FakeNamespace("/");
    const bus = hub.endpoint();
    const adapter = new ClusterAdapter(nsp, bus, { logger: quiet, ...opts });
    nsp.adapter = adapter;
    nodes.push({ nsp, adapter, bus });
  }
  for (const node of nodes) await waitFor(async () => (await node.adapter.serverCount()) === count, "every node to see the others");
  return nodes;
}

function event(name: string, ...args: unknown[]): OutgoingPacket {
  return new OutgoingPacket({ type: PacketType.EVENT, nsp: "/", data: [name, ...args] });
}

afterEach(() => {
  for (const node of nodes) node.adapter.close();
  nodes = [];
});

describe("ClusterAdapter protocol (in-process bus, fake namespaces)", () => {
  it("encodes a broadcast once, however many nodes and rooms it reaches", async () => {
    let encodes = 0;
    const counting: ClusterCodec = { encode: (m) => (encodes++, msgpackClusterCodec.encode(m)), decode: msgpackClusterCodec.decode };
    const [a, b, c] = await cluster(3, { codec: counting });
    for (const node of [b, c]) for (const room of ["r1", "r2", "r3"]) node.nsp.connect().join(room);
    await settle();
    const before = encodes;
    a.adapter.broadcast(event("hello"), { rooms: new Set(["r1", "r2", "r3"]) });
    expect(encodes - before).toBe(1);
    await waitFor(() => [b, c].every((n) => [...n.nsp.sockets.values()].every((s) => s.received.length === 1)), "delivery");
    await settle();
    for (const node of [b, c]) for (const s of node.nsp.sockets.values()) expect(s.events()).toEqual(["hello"]);
    expect(b.adapter.metrics.duplicates + c.adapter.metrics.duplicates).toBe(4);
  });

  it("passes volatile and compress to remote sockets, never local", async () => {
    const [a, b] = await cluster(2);
    const remote = b.nsp.connect();
    await settle();
    a.adapter.broadcast(event("v"), { rooms: new Set(), flags: { volatile: true, compress: false } });
    await waitFor(() => remote.received.length === 1, "delivery");
    expect(remote.received[0].flags).toEqual({ volatile: true, compress: false });
  });

  it("ignores bytes that are not a cluster message", async () => {
    const [a, b] = await cluster(2);
    const channel = b.bus.subscriptions()[0];
    a.bus.publish(channel, new Uint8Array([0xc1, 0xff, 0x00]), false);
    a.bus.publish(channel, msgpackClusterCodec.encode({ type: 3, uid: "x", nsp: "/" } as never), false);
    await waitFor(() => b.adapter.metrics.malformed === 2, "malformed count");
  });

  it("keeps broadcast acks routed until every expected reply came back", async () => {
    const [a, b] = await cluster(2);
    const remote = b.nsp.connect();
    await settle();
    const counts: number[] = [];
    const replies: unknown[] = [];
    const packet = new OutgoingPacket({ type: PacketType.EVENT, nsp: "/", data: ["poll"], id: 7 });
    a.adapter.broadcastWithAck(packet, { rooms: new Set(), flags: { timeout: 1000 } }, (n) => counts.push(n), (r) => replies.push(r));
    // The remote node re-numbers the ack with its own counter: no clash with its sockets' acks.
    await waitFor(() => remote.acks.size === 1, "remote ack registration");
    expect(remote.acks.has(7)).toBe(false);
    remote.reply([...remote.acks.keys()][0], "yes");
    await waitFor(() => replies.length === 1, "reply");
    expect(counts).toEqual([0, 1]);
    expect(a.adapter.metrics.pendingRequests).toBe(0);
  });

  it("refuses requests beyond maxPendingRequests", async () => {
    const [a, b] = await cluster(2, { maxPendingRequests: 1 });
    b.bus.detach();
    const first = a.adapter.fetchSockets({ rooms: new Set() });
    await expect(a.adapter.fetchSockets({ rooms: new Set() })).rejects.toMatchObject({ code: ErrorCode.TOO_MANY_PENDING_REQUESTS });
    a.adapter.close();
    await expect(first).rejects.toMatchObject({ code: ErrorCode.SERVER_CLOSED });
  });

  it("is documented with the code it fails with (docs/DEPLOYMENT.md, adapter options)", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../../../docs/DEPLOYMENT.md", import.meta.url), "utf8");
    const row = doc.split("\n").find((line) => line.startsWith("| `maxPendingRequests` |"));
    expect(row).toBeDefined();
    expect(row!.match(/ERR_[A-Z_]+/g)).toEqual([ErrorCode.TOO_MANY_PENDING_REQUESTS]);
  });

  it("carries the late outcome of an emit with an id to every other node's namespace", async () => {
    const [a, b, c] = await cluster(3);
    a.adapter.handledLate({ pid: "p1", sid: "s1", id: 7, reply: ["done", { n: 1 }] });
    a.adapter.handledLate({ pid: "p2", sid: "s2", id: 8 });
    await waitFor(() => b.nsp.handledLate.length === 2 && c.nsp.handledLate.length === 2, "the notices");
    for (const node of [b, c]) {
      expect(node.nsp.handledLate).toEqual([
        { pid: "p1", sid: "s1", id: 7, reply: ["done", { n: 1 }] },
        { pid: "p2", sid: "s2", id: 8 },
      ]);
    }
    expect(a.nsp.handledLate).toEqual([]);
  });

  it("ignores a late-outcome notice without its fields", async () => {
    const [a, b] = await cluster(2);
    const channel = b.bus.subscriptions()[0];
    a.bus.publish(channel, msgpackClusterCodec.encode({ type: MessageType.HANDLED_LATE, uid: "x", nsp: "/", pid: "p", sid: "s", id: "7" } as never), false);
    a.bus.publish(channel, msgpackClusterCodec.encode({ type: MessageType.HANDLED_LATE, uid: "x", nsp: "/", pid: "p", id: 7 } as never), false);
    a.bus.publish(channel, msgpackClusterCodec.encode({ type: MessageType.HANDLED_LATE, uid: "x", nsp: "/", pid: "p", sid: "s", id: 7, reply: "no" } as never), false);
    await waitFor(() => b.adapter.metrics.malformed === 3, "malformed count");
    expect(b.nsp.handledLate).toEqual([]);
  });

  it("fails a request at once when a node it waits for announces its shutdown", async () => {
    const [a, b, c] = await cluster(3, { requestsTimeout: 10_000 });
    c.nsp.onServerSideEmitHook = () => {}; // c never answers
    b.nsp.onServerSideEmitHook = (args) => (args[args.length - 1] as (r: unknown) => void)("from-b");
    const result = new Promise<[Error | null, unknown[]]>((resolve) => a.adapter.serverSideEmit(["ping", (err: Error | null, r: unknown[]) => resolve([err, r])]));
    await waitFor(() => c.nsp.serverSideEvents.length === 1, "c to get the event");
    c.adapter.close();
    const [err, replies] = await result;
    expect(err).toBeInstanceOf(PartialResponseError);
    expect((err as PartialResponseError).data.missing).toEqual([c.adapter.uid]);
    expect(replies).toEqual(["from-b"]);
    expect(await a.adapter.serverCount()).toBe(2);
  });

  it("answers a node that starts later with a heartbeat at once", async () => {
    const hub = new InProcessHub();
    const first = new FakeNamespace();
    first.adapter = new ClusterAdapter(first, hub.endpoint(), { logger: quiet, heartbeatInterval: 60_000 });
    const second = new FakeNamespace();
    second.adapter = new ClusterAdapter(second, hub.endpoint(), { logger: quiet, heartbeatInterval: 60_000 });
    nodes = [first, second].map((nsp) => ({ nsp, adapter: nsp.adapter as ClusterAdapter, bus: undefined as never }));
    await waitFor(async () => (await second.adapter.serverCount()) === 2 && (await first.adapter.serverCount()) === 2, "mutual discovery");
  });
});
