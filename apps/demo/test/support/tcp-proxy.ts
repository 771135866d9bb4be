import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay between one page and the demo (a node or the balancer): the page's network cable.
 * `cut()` destroys every relayed connection at both ends, so neither side gets a WebSocket close
 * frame: the server sees the transport close, the page sees an abnormal close (1006). While the
 * link is down, new connections are dropped as soon as they arrive; once it is up again the
 * page's next reconnect attempt goes through.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private up = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as import("node:net").AddressInfo).port);
    server.on("connection", (client) => proxy.relay(client, targetPort, targetHost));
    // A listening error after start (none expected on loopback) must not crash the test run.
    server.on("error", () => {});
    return proxy;
  }

  /** The page's URL through this relay. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Takes the link down: `cut` also drops what is open; without it, open connections live on. */
  down({ cut }: { cut: boolean }): void {
    this.up = false;
    if (cut) for (const socket of this.sockets) socket.destroy();
  }

  /** Brings the link back: connections arriving from now on are relayed again. */
  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.up = false;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number, targetHost: string): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: targetHost });
    for (const [socket, peer] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      // A reset on one side ends the other too, the way a dead link would look to both.
      socket.on("error", () => peer.destroy());
      socket.on("close", () => {
        this.sockets.delete(socket);
        peer.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
