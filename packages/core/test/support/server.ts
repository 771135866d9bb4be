import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type ServerOptions } from "../../src/index.js";
import type { EventsMap } from "../../src/typed-events.js";
import { RawClient, type RawClientOptions } from "./raw-client.js";

/** Silences the default console logger in tests; keeps what was logged. */
export function memoryLogger(): ServerOptions["logger"] & { errors: unknown[] } {
  const errors: unknown[] = [];
  return {
    errors,
    warn: () => {},
    error: (message, error) => errors.push(error ?? message),
  };
}

export interface TestServer<L extends EventsMap = any, E extends EventsMap = any> {
  io: Server<L, E>;
  http: HttpServer;
  port: number;
  url: string;
  /** Opens a raw client; closed by `close()`. */
  client(options?: RawClientOptions & { query?: string }): Promise<RawClient>;
  /** Opens a client and joins namespace `nsp`. */
  joined(nsp?: string, options?: RawClientOptions): Promise<RawClient>;
  close(): Promise<void>;
}

/** A roomcast server on an HTTP server listening on 127.0.0.1, port 0. */
export async function startServer<L extends EventsMap = any, E extends EventsMap = any>(
  options: Partial<ServerOptions> = {},
): Promise<TestServer<L, E>> {
  const http = createServer();
  const io = new Server<L, E>(http, { logger: memoryLogger(), ...options });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `ws://127.0.0.1:${port}${options.path ?? "/roomcast"}`;
  const clients: RawClient[] = [];
  const server: TestServer<L, E> = {
    io,
    http,
    port,
    url,
    async client(clientOptions = {}) {
      const client = await RawClient.connect(url + (clientOptions.query ?? ""), clientOptions);
      clients.push(client);
      return client;
    },
    async joined(nsp = "/", clientOptions = {}) {
      const client = await server.client(clientOptions);
      await client.joinOk(nsp);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await io.close();
    },
  };
  return server;
}

/** Polls `condition` until it holds or `timeout` passes. */
export async function waitUntil(condition: () => boolean, timeout = 3000, message = "condition not met"): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves on the next emission of `event`. */
export function once<T = unknown>(emitter: { once(ev: string, fn: (...args: any[]) => void): unknown }, event: string, timeout = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeout} ms`)), timeout);
    emitter.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
