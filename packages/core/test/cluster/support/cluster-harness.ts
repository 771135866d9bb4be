import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { Server } from "../../../src/index.js";
import { type ClusterAdapter, type ClusterAdapterOptions, createClusterAdapter, InProcessHub, type InProcessBus } from "../../../src/cluster/index.js";
import { RawClient } from "./raw-client.js";
import { waitFor } from "./wait.js";

export interface ClusterNode {
  io: Server;
  port: number;
  bus: InProcessBus;
  adapter(nsp?: string): ClusterAdapter;
}

export const quietLogger = { warn: () => {}, error: () => {} };

/**
 * `count` real servers on port 0 sharing one in-process hub. Sockets join the rooms listed in
 * their `auth.rooms` and store `auth.data` in `socket.data`.
 */
export class TestCluster {
  readonly nodes: ClusterNode[] = [];
  readonly clients: RawClient[] = [];
  readonly hub = new InProcessHub();

  static async start(count = 3, opts: ClusterAdapterOptions = {}): Promise<TestCluster> {
    const cluster = new TestCluster();
    for (let i = 0; i < count; i++) await cluster.addNode(opts);
    await cluster.waitForServerCount(count);
    return cluster;
  }

  async addNode(opts: ClusterAdapterOptions = {}): Promise<ClusterNode> {
    const bus = this.hub.endpoint();
    const io = new Server(0, { adapter: createClusterAdapter(bus, { logger: quietLogger, ...opts }), logger: quietLogger });
    io.on("connection", (socket) => {
      const auth = socket.handshake.auth as { rooms?: string[]; data?: unknown };
      if (auth.rooms) socket.join(auth.rooms);
      if (auth.data !== undefined) socket.data = auth.data;
    });
    const http = io.httpServer!;
    if (!http.listening) await once(http, "listening");
    const node: ClusterNode = {
      io,
      port: (http.address() as AddressInfo).port,
      bus,
      adapter: (nsp = "/") => io.of(nsp).adapter as ClusterAdapter,
    };
    this.nodes.push(node);
    return node;
  }

  async waitForServerCount(count: number, nodes = this.nodes): Promise<void> {
    for (const node of nodes) {
      await waitFor(async () => (await node.adapter().serverCount()) === count, `serverCount ${count} on port ${node.port}`);
    }
  }

  /** A client on node `index`, in `rooms`. */
  async client(index: number, rooms: string[] = [], data?: unknown): Promise<RawClient> {
    const client = await RawClient.connect(this.nodes[index].port, "/", { rooms, data });
    this.clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    await Promise.all(this.nodes.map((node) => node.io.close()));
  }
}
