import { createConnection, createServer, type Server, type Socket } from "node:net";

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  frozen: boolean;
  /** One side closed while frozen: the other hears of it on thaw. */
  closed: boolean;
}

/**
 * A TCP relay on 127.0.0.1 that can stand for a network partition: `freeze()` stops the
 * connections open now in both directions, a close included (each side sees a silent peer, as
 * when packets are dropped); `thaw()` lets what waited through, as TCP does once a partition
 * heals. Connections opened later are not frozen. New connections go to `target` (`point()`).
 */
export class FreezableProxy {
  private readonly pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    private target: number,
  ) {}

  static async start(target: number): Promise<FreezableProxy> {
    const server = createServer();
    const proxy = new FreezableProxy(server, target);
    server.on("connection", (client) => {
      const upstream = createConnection({ port: proxy.target, host: "127.0.0.1" });
      const pair: Pair = { client, upstream, frozen: false, closed: false };
      proxy.pairs.add(pair);
      const drop = (): void => {
        pair.closed = true;
        // a partitioned peer hears of the close once the partition heals
        if (pair.frozen) return;
        proxy.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      // no pipe(): a piped stream may resume itself when its destination drains
      client.on("data", (chunk: Buffer) => upstream.write(chunk));
      upstream.on("data", (chunk: Buffer) => client.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  point(target: number): void {
    this.target = target;
  }

  freeze(): void {
    for (const pair of this.pairs) {
      pair.frozen = true;
      pair.client.pause();
      pair.upstream.pause();
    }
  }

  thaw(): void {
    for (const pair of [...this.pairs]) {
      if (!pair.frozen) continue;
      pair.frozen = false;
      if (pair.closed) {
        this.pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
        continue;
      }
      pair.client.resume();
      pair.upstream.resume();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
