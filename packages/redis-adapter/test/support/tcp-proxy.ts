import { createConnection, createServer, type Server, type Socket } from "node:net";

/** Which way bytes flow through the proxy. */
export type Direction = "toServer" | "toClient";

/**
 * Sees every chunk of one proxied connection before it is forwarded. Returns how many of its
 * bytes go through (all when `forward` is left out) and whether the connection is cut right after
 * them, as a network that fails at that byte does.
 */
export type Tap = (direction: Direction, chunk: Buffer) => { forward?: number; cut?: boolean } | undefined;

/**
 * A TCP proxy on 127.0.0.1 whose target can be changed, so a client with a fixed URL can be moved
 * to another node, as a load balancer does after a drop. `cut()` drops every proxied connection
 * without a close handshake. With `tap`, called once per proxied connection, chunks are forwarded
 * one by one through the tap it returns, which can cut a connection at a chosen byte.
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    public target: number,
  ) {}

  static async start(target: number, options: { tap?: () => Tap } = {}): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on("connection", (client) => {
      const upstream = createConnection({ port: proxy.target, host: "127.0.0.1" });
      const pair: [Socket, Socket] = [client, upstream];
      proxy.pairs.add(pair);
      const drop = (): void => {
        proxy.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      const tap = options.tap?.();
      if (tap === undefined) {
        client.pipe(upstream);
        upstream.pipe(client);
        return;
      }
      const relay = (direction: Direction, to: Socket) => (chunk: Buffer) => {
        const verdict = tap(direction, chunk);
        const forward = verdict?.forward ?? chunk.length;
        if (forward > 0) to.write(forward >= chunk.length ? chunk : chunk.subarray(0, forward));
        // the bytes written so far still leave; nothing after them does
        if (verdict?.cut) {
          proxy.pairs.delete(pair);
          to.end(() => drop());
          (direction === "toServer" ? client : upstream).destroy();
        }
      };
      client.on("data", relay("toServer", upstream));
      upstream.on("data", relay("toClient", client));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** New connections go to `target` from now on. */
  point(target: number): void {
    this.target = target;
  }

  /** Drops every proxied connection at once. */
  cut(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
