import { createServer, type Server as HttpServer } from "node:http";
import { createConnection, createServer as createTcpServer, type Server as TcpServer, type Socket as TcpSocket } from "node:net";
import type { AddressInfo } from "node:net";
import { io as ioClient, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from "socket.io-client";
import { Server, type ServerOptionsInput } from "../../src/index.js";
import { memoryLogger } from "./server.js";

export type { ClientSocket };
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** How a socket.io-client 4.8 reaches the server: its defaults (long-polling, then the upgrade) or WebSocket only. */
export interface ClientMode {
  name: string;
  options: ClientOptions;
  /** The transport the session starts on. */
  first: "polling" | "websocket";
}

export const CLIENT_MODES: readonly ClientMode[] = [
  { name: "default options (polling, then upgrade)", options: {}, first: "polling" },
  { name: 'transports: ["websocket"]', options: { transports: ["websocket"] }, first: "websocket" },
];

/** A roomcast server speaking the Socket.IO protocol, on 127.0.0.1, with socket.io-clients closed by `close()`. */
export interface SocketIoTestServer {
  io: Server;
  http: HttpServer;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /**
   * Opens a socket.io-client (never reconnecting unless asked) on `nsp`; does not wait. `base`
   * replaces the server's URL (a proxy in front of it).
   */
  client(nsp?: string, options?: ClientOptions, base?: string): ClientSocket;
  /** Opens a client and resolves once it is connected. */
  connected(nsp?: string, options?: ClientOptions): Promise<ClientSocket>;
  close(): Promise<void>;
}

export async function startSocketIoServer(mode: ClientMode, options: ServerOptionsInput = {}): Promise<SocketIoTestServer> {
  const http = createServer();
  const io = new Server(http, { logger: memoryLogger(), socketio: true, ...options });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  const server: SocketIoTestServer = {
    io,
    http,
    port,
    url,
    client(nsp = "/", clientOptions = {}, base = url) {
      const socket = ioClient(base + nsp, { forceNew: true, reconnection: false, ...mode.options, ...clientOptions });
      clients.push(socket);
      return socket;
    },
    async connected(nsp = "/", clientOptions = {}) {
      const socket = server.client(nsp, clientOptions);
      await connectedOnce(socket);
      return socket;
    },
    async close() {
      for (const socket of clients) socket.io.engine?.close();
      for (const socket of clients) socket.disconnect();
      await io.close();
    },
  };
  return server;
}

/** Resolves on the client's next "connect"; rejects on "connect_error" or after `timeout` ms. */
export function connectedOnce(socket: ClientSocket, timeout = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no connection within ${timeout} ms`));
    }, timeout);
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `timeout` ms. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: { once(ev: string, fn: (...args: any[]) => void): unknown },
  event: string,
  timeout = 3000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeout} ms`)), timeout);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/** Resolves once the default-mode client has moved to WebSocket (at once for a WebSocket-only one). */
export async function upgraded(socket: ClientSocket, timeout = 3000): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === "websocket") return;
  await nextEvent(engine, "upgrade", timeout);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TCP proxy in front of a server: `cut()` drops every connection through it at once, without
 * a close handshake, as a network failure does; new connections go through as before.
 */
export class DroppingProxy {
  private readonly pairs = new Set<[TcpSocket, TcpSocket]>();

  private constructor(private readonly server: TcpServer) {}

  static async start(targetPort: number): Promise<DroppingProxy> {
    const server = createTcpServer();
    const proxy = new DroppingProxy(server);
    server.on("connection", (client) => {
      const upstream = createConnection({ port: targetPort, host: "127.0.0.1" });
      const pair: [TcpSocket, TcpSocket] = [client, upstream];
      proxy.pairs.add(pair);
      const drop = (): void => {
        proxy.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Open connections through the proxy. */
  get size(): number {
    return this.pairs.size;
  }

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

/** Polls `condition` until it holds; rejects after `timeout` ms. */
export async function eventually(condition: () => boolean, what: string, timeout = 3000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
