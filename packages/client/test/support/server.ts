import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@roomcast/core";

export type { Server };

export interface TestServer {
  io: Server;
  httpServer: HttpServer;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** WebSocket upgrades the server has seen. */
  upgrades(): number;
  close(): Promise<void>;
}

/** Starts a roomcast server on loopback (`port` 0 = any free port). */
export async function startServer(opts: Record<string, unknown> = {}, port = 0): Promise<TestServer> {
  const httpServer = createServer();
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, "127.0.0.1", () => resolve());
  });
  let upgrades = 0;
  httpServer.on("upgrade", () => upgrades++);
  const io = new Server(httpServer, opts as never);
  const actual = (httpServer.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    io,
    httpServer,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    upgrades: () => upgrades,
    close: () =>
      (closed ??= (async () => {
        await io.close();
        httpServer.closeAllConnections();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      })()),
  };
}
