import { PacketType } from "@roomcast/protocol";
import { ClusterAdapter, type ClusterAdapterOptions, InProcessHub, type InProcessHubOptions, type InProcessBus } from "../../../src/cluster/index.js";
import { OutgoingPacket } from "../../../src/dialect/outgoing-packet.js";
import { FakeNamespace } from "./fake-namespace.js";
import { waitFor } from "./wait.js";

export interface FakeNode {
  nsp: FakeNamespace;
  adapter: ClusterAdapter;
  bus: InProcessBus;
}

export const quiet = { warn: () => {} };

/** `count` cluster adapters over fake namespaces on one in-process hub, once they all see each other. */
export async function fakeCluster(count: number, hubOptions: InProcessHubOptions = {}, opts: ClusterAdapterOptions = {}): Promise<{ hub: InProcessHub; nodes: FakeNode[] }> {
  const hub = new InProcessHub(hubOptions);
  const nodes: FakeNode[] = [];
  for (let i = 0; i < count; i++) {
    const nsp = new FakeNamespace("/");
    const bus = hub.endpoint();
    const adapter = new ClusterAdapter(nsp, bus, { logger: quiet, ...opts });
    nsp.adapter = adapter;
    nodes.push({ nsp, adapter, bus });
  }
  for (const node of nodes) await waitFor(async () => (await node.adapter.serverCount()) === count, "every node to see the others");
  return { hub, nodes };
}

export function event(name: string, ...args: unknown[]): OutgoingPacket {
  return new OutgoingPacket({ type: PacketType.EVENT, nsp: "/", data: [name, ...args] });
}

/**
 * Waits until nothing is on its way through the hub and no node holds operations or waits for
 * fences, twice in a row (a confirmation can set off another round).
 */
export async function quiesce(hub: InProcessHub, nodes: FakeNode[], timeoutMs = 5000): Promise<void> {
  const idle = (): boolean => hub.pending === 0 && nodes.every((n) => n.adapter.metrics.heldOperations === 0);
  for (let calm = 0; calm < 2; ) {
    await waitFor(idle, "the cluster to settle", timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 5));
    calm = idle() ? calm + 1 : 0;
  }
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so a run of "channel" ordering can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
