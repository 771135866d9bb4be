import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 that holds every chunk `delayMs` in each direction, in order: a Redis
 * shard farther away than the others, so that messages through it arrive after messages through
 * a nearer shard that were published later.
 */
export class SlowLink {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(target: number, delayMs: number): Promise<SlowLink> {
    const server = createServer();
    const link = new SlowLink(server);
    server.on("connection", (client) => {
      const upstream = createConnection({ port: target, host: "127.0.0.1" });
      for (const socket of [client, upstream]) link.sockets.add(socket);
      const drop = (): void => {
        for (const socket of [client, upstream]) {
          link.sockets.delete(socket);
          socket.destroy();
        }
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      // Equal delays keep the chunks in order: timers of one duration fire in the order they were set.
      const relay = (to: Socket) => (chunk: Buffer) => {
        if (delayMs === 0) to.write(chunk);
        else setTimeout(() => to.destroyed || to.write(chunk), delayMs);
      };
      client.on("data", relay(upstream));
      upstream.on("data", relay(client));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return link;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** CRC16/XMODEM, the checksum Redis Cluster takes modulo 16384 for a key's hash slot. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The hash slot of a key or sharded channel without a `{hash tag}`. */
export function hashSlot(key: string): number {
  return crc16(Buffer.from(key)) % 16384;
}
