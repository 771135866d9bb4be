import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "../../src/socket-io.js";
import type { ServerOptionsInput } from "../../src/server/server-options.js";
import { memoryLogger } from "./server.js";

/**
 * The timings the published Engine.IO and Socket.IO test suites are written for: short enough
 * that a heartbeat, a ping timeout and a connect timeout each play out within a second or so.
 */
export const REFERENCE = {
  pingInterval: 300,
  pingTimeout: 200,
  maxPayload: 1_000_000,
  connectTimeout: 1000,
} as const;

export interface ConformanceServer {
  io: Server;
  http: HttpServer;
  /** `http://127.0.0.1:<port>/socket.io/` */
  httpBase: string;
  /** `ws://127.0.0.1:<port>/socket.io/` */
  wsBase: string;
  close(): Promise<void>;
}

/**
 * The server the Socket.IO protocol's README describes for its test suite, built with the drop-in
 * entry: it echoes `auth` on connect (main and "/custom"), answers "message" with "message-back"
 * and acknowledges "message-with-ack" with its own arguments.
 */
export async function startConformanceServer(overrides: ServerOptionsInput = {}): Promise<ConformanceServer> {
  const http = createServer();
  const io = new Server(http, {
    ...REFERENCE,
    cors: { origin: "*" },
    logger: memoryLogger(),
    // a polling session that stopped polling holds `close()` this long; tests need not wait 2 s
    closeTimeout: 300,
    ...overrides,
  });
  io.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
    socket.on("message", (...args: unknown[]) => {
      socket.emit("message-back", ...args);
    });
    socket.on("message-with-ack", (...args: unknown[]) => {
      const ack = args.pop() as (...reply: unknown[]) => void;
      ack(...args);
    });
  });
  io.of("/custom").on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    io,
    http,
    httpBase: `http://127.0.0.1:${port}/socket.io/`,
    wsBase: `ws://127.0.0.1:${port}/socket.io/`,
    async close() {
      await io.close();
      http.closeAllConnections();
    },
  };
}
